/** Required node affinity: every required selector (the agent's and each rule's) must match the node view. */
import type { Selector } from '../../../model/documents.js';
import { fail, SUCCESS, type Status } from '../../framework/status.js';
import { matchesSelector, type NodeView } from '../../views.js';

export function requiredNodeAffinityStatus(required: Selector[], view: NodeView): Status {
  for (const s of required) if (!matchesSelector(s, view)) return fail('NodeAffinityMismatch');
  return SUCCESS;
}
