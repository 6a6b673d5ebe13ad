/** Cost: the node's costPerHour times the dominant share of it the instance uses; cheaper scores higher. */
import type { NodeInfo } from '../../framework/node-info.js';
import { dominantShare } from '../../framework/resources.js';
import type { Pod } from '../../framework/workload.js';

/** 0–100 against the most expensive node of the cluster (so the score is absolute per node). */
export function usageCostScore(pod: Pod, node: NodeInfo, value: number, maxValue: number): number {
  if (maxValue <= 0) return 100;
  const share = Math.min(1, dominantShare(pod.req, node.capacity));
  return 100 * (1 - (value * share) / maxValue);
}
