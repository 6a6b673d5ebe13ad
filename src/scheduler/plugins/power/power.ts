/** Power: like cost, with the node's powerWatts: less power for what the instance uses scores higher. */
import type { NodeInfo } from '../../framework/node-info.js';
import type { Pod } from '../../framework/workload.js';
import { usageCostScore } from '../cost/cost.js';

export function powerScore(pod: Pod, node: NodeInfo, maxWatts: number): number {
  return usageCostScore(pod, node, node.node.powerWatts, maxWatts);
}
