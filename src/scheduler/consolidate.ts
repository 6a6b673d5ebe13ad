/**
 * Consolidation after packing: among the nodes that hold only instances planned in this run
 * (never running ones), try to empty those with the fewest (then the least loaded) instances by
 * moving the instances onto other nodes already in use; a node is emptied only when all of its
 * instances find room, else nothing moves. Fewer nodes used means fewer nodes to pay for and
 * more to scale down. Bounded in work, deterministic.
 */
import type { ClusterState } from './framework/cluster.js';
import type { Evaluator } from './framework/evaluator.js';
import type { NodeInfo } from './framework/node-info.js';
import { chooseDevices, devicesFit, NO_DEVICES } from './framework/gpu-devices.js';
import { fits } from './plugins/node-resources/fit.js';
import { dominantShare } from './framework/resources.js';
import type { Pod } from './framework/workload.js';

/** Upper bound on node evaluations, so consolidation stays cheap on large clusters. */
export const CONSOLIDATION_WORK_LIMIT = 2_000_000;

export interface ConsolidationHooks {
  /** Quota bookkeeping around a pod leaving or joining a node. */
  remove(pod: Pod): void;
  add(pod: Pod): void;
  /** Called for every instance that ended up on another node. */
  moved(pod: Pod, from: number, score: number): void;
}

/** Instances that asked to be spread softly (preferred anti-affinity, ScheduleAnyway) are left where scoring put them. */
function hasSoftSpreading(p: Pod): boolean {
  const pl = p.agent.placement;
  return pl.antiAffinity.some((r) => !r.required) || pl.affinity.some((r) => !r.required) || pl.spread.some((s) => s.constraint.whenUnsatisfiable === 'ScheduleAnyway');
}

/**
 * The nodes in use that could take at least the smallest request of any instance on a candidate
 * node (element-wise minimum). Free capacity of these nodes only shrinks during a pass (an undo
 * restores it), so a node without that room now never fits a candidate later in the pass.
 */
export function nodesWithRoom(nodes: readonly NodeInfo[], candidates: readonly number[]): number[] {
  const width = nodes[0]?.capacity.length ?? 0;
  const min = new Float64Array(width).fill(Infinity);
  for (const c of candidates) {
    for (const p of nodes[c]!.pods) for (let k = 0; k < width; k++) if (p.req[k]! < min[k]!) min[k] = p.req[k]!;
  }
  const out: number[] = [];
  for (const n of nodes) {
    if (n.pods.length === 0) continue;
    let room = true;
    for (let k = 0; k < width && room; k++) {
      const r = min[k]!;
      if (r > 0 && n.allocated[k]! + r > n.overcommitted[k]! + 1e-9) room = false;
    }
    if (room) out.push(n.index);
  }
  return out;
}

/** Repeats passes while they empty nodes (at most `passes`), within the work limit. */
export function consolidate(cluster: ClusterState, ev: Evaluator, isPlanned: (p: Pod) => boolean, hooks: ConsolidationHooks, passes = 4): number {
  let total = 0;
  const budget = { work: 0 };
  for (let i = 0; i < passes; i++) {
    const emptied = pass(cluster, ev, isPlanned, hooks, budget);
    total += emptied;
    if (emptied === 0) break;
  }
  return total;
}

function pass(cluster: ClusterState, ev: Evaluator, isPlanned: (p: Pod) => boolean, hooks: ConsolidationHooks, budget: { work: number }): number {
  const nodes = cluster.nodes;
  const load = (n: number) => dominantShare(nodes[n]!.allocated, nodes[n]!.capacity);
  const candidates = nodes
    .filter((n) => n.pods.length > 0 && n.pods.every((p) => isPlanned(p) && !hasSoftSpreading(p)))
    .map((n) => n.index)
    .sort((a, b) => nodes[a]!.pods.length - nodes[b]!.pods.length || load(a) - load(b) || a - b);
  const room = nodesWithRoom(nodes, candidates);
  let emptied = 0;
  for (const from of candidates) {
    const node = nodes[from]!;
    if (node.pods.length === 0) continue;
    const used = room.filter((n) => n !== from && nodes[n]!.pods.length > 0);
    if (budget.work + node.pods.length * used.length > CONSOLIDATION_WORK_LIMIT) break;
    budget.work += node.pods.length * used.length;
    const pods = [...node.pods].sort((a, b) => dominantShare(b.req, node.capacity) - dominantShare(a.req, node.capacity) || a.id - b.id);
    const original = pods.map((p) => ({ pod: p, devices: p.devices }));
    const placed: { pod: Pod; score: number }[] = [];
    let ok = true;
    for (const pod of pods) {
      hooks.remove(pod);
      cluster.unplace(pod);
      ev.begin(pod);
      const st = ev.statics(pod);
      let best = -1;
      let bestScore = -Infinity;
      for (const n of used) {
        const target = nodes[n]!;
        if (st.position[n]! < 0 || !fits(pod, target) || !devicesFit(target.gpuUsed, pod.gpuMillis)) continue;
        if (ev.dynamicStatus(pod, n).code !== 'Success') continue;
        const s = ev.score(pod, n);
        if (s > bestScore) {
          best = n;
          bestScore = s;
        }
      }
      if (best < 0) {
        ok = false;
        break;
      }
      cluster.place(pod, best, chooseDevices(nodes[best]!.gpuUsed, pod.gpuMillis) ?? NO_DEVICES);
      hooks.add(pod);
      placed.push({ pod, score: bestScore });
    }
    if (ok) {
      emptied++;
      for (const p of placed) hooks.moved(p.pod, from, p.score);
      continue;
    }
    // Undo: everything back where it was.
    for (const p of placed) {
      hooks.remove(p.pod);
      cluster.unplace(p.pod);
    }
    for (const o of original) {
      if (o.pod.node >= 0) continue;
      cluster.place(o.pod, from, o.devices);
      hooks.add(o.pod);
    }
  }
  return emptied;
}
