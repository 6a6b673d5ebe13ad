/** Preferred node affinity: the share of preference weight whose selector matches the node, 0–100. */
import type { Selector } from '../../../model/documents.js';
import { matchesSelector, type NodeView } from '../../views.js';

export function preferredNodeAffinityScore(preferred: { weight: number; selector: Selector }[], view: NodeView): number {
  let total = 0;
  let matched = 0;
  for (const p of preferred) {
    total += p.weight;
    if (matchesSelector(p.selector, view)) matched += p.weight;
  }
  return total > 0 ? (100 * matched) / total : 0;
}
