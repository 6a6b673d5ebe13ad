/**
 * Rebalancing (SchedulingProfile.rebalance): when the utilisation spread of a pool's nodes
 * (dominant share, max − min) exceeds maxImbalancePercent, move running instances from the most
 * to the least utilised node, as long as each move passes every filter, narrows the spread, fits
 * the agent's disruption budget and the run's maxMovesPerRun.
 */
import type { ClusterState } from './framework/cluster.js';
import type { Evaluator } from './framework/evaluator.js';
import { chooseDevices, NO_DEVICES } from './framework/gpu-devices.js';
import { dominantShare } from './framework/resources.js';
import { moreImportant, type Pod } from './framework/workload.js';

export interface RebalanceHooks {
  /** Whether the instance is running where it was observed (only those are moved). */
  running(p: Pod): boolean;
  /** Disruptions still allowed for the agent in this plan. */
  budgetLeft(p: Pod): number;
  remove(p: Pod): void;
  add(p: Pod): void;
  moved(p: Pod, from: number, reason: string): void;
}

export function rebalance(cluster: ClusterState, ev: Evaluator, maxImbalancePercent: number, maxMoves: number, hooks: RebalanceHooks): number {
  let moves = 0;
  const pools = [...new Set(cluster.nodes.map((n) => n.node.pool))].sort();
  for (const pool of pools) {
    const members = cluster.nodes.filter((n) => n.node.pool === pool && n.node.ready && (n.pool?.spec.state ?? 'active') === 'active');
    if (members.length < 2) continue;
    const util = (i: number) => dominantShare(cluster.nodes[i]!.allocated, cluster.nodes[i]!.capacity) * 100;
    while (moves < maxMoves) {
      const order = members.map((n) => n.index).sort((a, b) => util(a) - util(b) || a - b);
      const low = order[0]!;
      const high = order[order.length - 1]!;
      const spread = util(high) - util(low);
      if (spread <= maxImbalancePercent) break;
      const before = util(high);
      const candidates = cluster.nodes[high]!.pods.filter((p) => hooks.running(p) && hooks.budgetLeft(p) > 0).sort((a, b) => -moreImportant(a, b));
      let done = false;
      for (const pod of candidates) {
        const devices = pod.devices;
        hooks.remove(pod);
        cluster.unplace(pod);
        ev.begin(pod);
        const ok = ev.statics(pod).position[low]! >= 0 && ev.dynamicStatus(pod, low).code === 'Success';
        if (ok) {
          cluster.place(pod, low, chooseDevices(cluster.nodes[low]!.gpuUsed, pod.gpuMillis) ?? NO_DEVICES);
          if (Math.max(util(low), util(high)) < before) {
            hooks.add(pod);
            hooks.moved(pod, high, `rebalance pool ${pool}: node utilisation spread ${Math.round(spread)}% exceeds ${maxImbalancePercent}%`);
            moves++;
            done = true;
            break;
          }
          cluster.unplace(pod);
        }
        cluster.place(pod, high, devices);
        hooks.add(pod);
      }
      if (!done) break;
    }
  }
  return moves;
}
