/** A not-ready node, or a node of a pool that is draining or in maintenance, takes nothing new. */
import type { NodeInfo } from '../../framework/node-info.js';
import { fail, SUCCESS, type Status } from '../../framework/status.js';

export function poolStateStatus(node: NodeInfo): Status {
  if (!node.node.ready) return fail('PoolNotActive', 'node not ready');
  const state = node.pool?.spec.state ?? 'active';
  if (state !== 'active') return fail('PoolNotActive', state);
  return SUCCESS;
}
