/** Agent.placement.nodeSelector: every pair must equal a node label. */
import { fail, SUCCESS, type Status } from '../../framework/status.js';

export function nodeSelectorStatus(selector: Record<string, string> | undefined, labels: Record<string, string>): Status {
  if (!selector) return SUCCESS;
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return fail('NodeSelectorMismatch');
  return SUCCESS;
}
