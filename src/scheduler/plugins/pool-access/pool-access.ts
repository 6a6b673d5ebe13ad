/** Pool.access: only the listed agent types and owners may use the pool (absent = everyone). */
import type { AgentDoc, PoolDoc } from '../../../model/documents.js';
import { fail, SUCCESS, type Status } from '../../framework/status.js';

export function poolAccessStatus(agent: AgentDoc, pool: PoolDoc | undefined): Status {
  const access = pool?.spec.access;
  if (!access) return SUCCESS;
  if (access.agentTypes && !access.agentTypes.includes(agent.spec.type)) return fail('PoolAccessDenied', `type ${agent.spec.type}`);
  if (access.owners && !access.owners.includes(agent.spec.owner)) return fail('PoolAccessDenied', `owner ${agent.spec.owner}`);
  return SUCCESS;
}
