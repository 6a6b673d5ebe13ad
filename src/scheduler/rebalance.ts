/**
 * Rebalancing (SchedulingProfile.rebalance): when the utilisation spread of a pool's nodes
 * (dominant share, max − min) exceeds maxImbalancePercent, move instances from the most
 * to the least utilised node, as long as each move passes every filter, narrows the spread, fits
 * the agent's disruption budget and the run's maxMovesPerRun. Instances placed by this plan are
 * placed elsewhere instead (no disruption, not counted as moves).
 */
import type { ClusterState } from './framework/cluster.js';
import type { Evaluator } from './framework/evaluator.js';
import { chooseDevices, NO_DEVICES } from './framework/gpu-devices.js';
import { dominantShare } from './framework/resources.js';
import { moreImportant, type Pod } from './framework/workload.js';

export interface RebalanceHooks {
  /** Whether the instance is running where it was observed (such moves are disruptions). */
  running(p: Pod): boolean;
  /** Whether the instance is placed by this plan and may go to another node instead, at no disruption. */
  planned(p: Pod): boolean;
  /** Disruptions still allowed for the agent in this plan. */
  budgetLeft(p: Pod): number;
  remove(p: Pod): void;
  add(p: Pod): void;
  /** A running instance moved (counts against maxMoves and the disruption budget). */
  moved(p: Pod, from: number, reason: string): void;
  /** A planned instance placed on another node than first chosen. */
  replanned(p: Pod, from: number, reason: string): void;
}

/**
 * Narrows each pool's spread. Instances placed by this plan go first: placing them elsewhere
 * disrupts nothing, so a plan applied on a fresh fleet leaves nothing to rebalance in the next one.
 * Returns the number of running instances moved.
 */
export function rebalance(cluster: ClusterState, ev: Evaluator, maxImbalancePercent: number, maxMoves: number, hooks: RebalanceHooks): number {
  let moves = 0;
  const pools = [...new Set(cluster.nodes.map((n) => n.node.pool))].sort();
  for (const pool of pools) {
    const members = cluster.nodes.filter((n) => n.node.pool === pool && n.node.ready && (n.pool?.spec.state ?? 'active') === 'active');
    if (members.length < 2) continue;
    const util = (i: number) => dominantShare(cluster.nodes[i]!.allocated, cluster.nodes[i]!.capacity) * 100;
    const byUtil = (a: number, b: number) => util(a) - util(b) || a - b;
    const order = members.map((n) => n.index).sort(byUtil);
    // Each step lowers the pair's maximum, so this ends. The bound keeps large pools cheap, but
    // leaves room to spread every instance this plan places in the pool: those moves disrupt
    // nothing, and a plan cut short here is finished by maxMovesPerRun moves per later plan.
    const plannedHere = members.reduce((n, m) => n + m.pods.filter((p) => hooks.planned(p)).length, 0);
    for (let steps = 4 * members.length + 64 + plannedHere; steps > 0; steps--) {
      const low = order[0]!;
      const high = order[order.length - 1]!;
      const spread = util(high) - util(low);
      if (spread <= maxImbalancePercent) break;
      const before = util(high);
      const candidates = cluster.nodes[high]!.pods
        .filter((p) => hooks.planned(p) || (moves < maxMoves && hooks.running(p) && hooks.budgetLeft(p) > 0))
        .sort((a, b) => Number(hooks.planned(b)) - Number(hooks.planned(a)) || -moreImportant(a, b));
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
            const reason = `rebalance pool ${pool}: node utilisation spread ${Math.round(spread)}% exceeds ${maxImbalancePercent}%`;
            if (hooks.planned(pod)) hooks.replanned(pod, high, reason);
            else {
              hooks.moved(pod, high, reason);
              moves++;
            }
            done = true;
            break;
          }
          cluster.unplace(pod);
        }
        cluster.place(pod, high, devices);
        hooks.add(pod);
      }
      if (!done) break;
      for (const n of [low, high]) {
        order.splice(order.indexOf(n), 1);
        let lo = 0;
        let hi = order.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (byUtil(order[mid]!, n) < 0) lo = mid + 1;
          else hi = mid;
        }
        order.splice(lo, 0, n);
      }
    }
  }
  return moves;
}
