/**
 * Victim selection on one node (kube's defaultpreemption SelectVictimsOnNode): remove every
 * lower-priority instance; if the preemptor then passes every filter, reprieve victims from the
 * most important down (budget-violating ones first), keeping each whose return still lets it
 * pass. Removal takes instances out of resources and of the affinity and spread counts.
 */
import type { ClusterState } from '../framework/cluster.js';
import type { NodeInfo } from '../framework/node-info.js';
import { moreImportant, type Pod } from '../framework/workload.js';

export interface NodeVictims {
  node: number;
  victims: Pod[];
  /** Victims whose eviction exceeds their agent's disruption budget. */
  violating: number;
}


/** `passes` runs the preemptor's filters on the node in the cluster's current (what-if) state. */
export function selectVictims(pod: Pod, node: NodeInfo, cluster: ClusterState, passes: () => boolean, isRunning: (p: Pod) => boolean, budget: Map<number, number>): NodeVictims | null {
  const candidates = node.pods.filter((p) => p.agent.priority < pod.agent.priority).sort(moreImportant);
  if (candidates.length === 0) return null;
  for (const v of candidates) cluster.suspend(v);
  if (!passes()) {
    for (const v of candidates) cluster.resume(v);
    return null;
  }
  // Split by disruption budget in importance order, as kube's filterPodsWithPDBViolation does.
  const left = new Map(budget);
  const violatingSet: Pod[] = [];
  const nonViolating: Pod[] = [];
  for (const v of candidates) {
    if (!isRunning(v)) {
      nonViolating.push(v);
      continue;
    }
    const allowed = left.get(v.agent.index) ?? 0;
    if (allowed <= 0) violatingSet.push(v);
    else {
      left.set(v.agent.index, allowed - 1);
      nonViolating.push(v);
    }
  }
  const victims: Pod[] = [];
  let violating = 0;
  const reprieve = (v: Pod, isViolating: boolean) => {
    cluster.resume(v);
    if (passes()) return;
    cluster.suspend(v);
    victims.push(v);
    if (isViolating) violating++;
  };
  for (const v of violatingSet) reprieve(v, true);
  for (const v of nonViolating) reprieve(v, false);
  for (const v of victims) cluster.resume(v);
  victims.sort(moreImportant);
  return { node: node.index, victims, violating };
}

/** Larger than any priority (0–100), as kube's MaxInt32 + 1 is larger than any int32 priority. */
const VICTIM_WEIGHT = 1 << 20;

/**
 * kube's pickOneNodeForPreemption: fewest budget violations, then the lowest highest-victim
 * priority, the lowest sum of priorities, the fewest victims, the latest start among the most
 * important victims, then the first node. Like kube (which adds MaxInt32 + 1 to every priority),
 * each victim adds more to the sum than any priority difference, so fewer victims win first.
 */
export function pickNode(options: NodeVictims[]): NodeVictims | undefined {
  const sum = (o: NodeVictims) => o.victims.reduce((s, v) => s + v.agent.priority + VICTIM_WEIGHT, 0);
  const top = (o: NodeVictims) => o.victims[0]?.agent.priority ?? -1;
  const earliestTopStart = (o: NodeVictims) => {
    const p = top(o);
    let e = '\uffff';
    for (const v of o.victims) if (v.agent.priority === p && (v.startedAt ?? '\uffff') < e) e = v.startedAt ?? '\uffff';
    return e;
  };
  return [...options].sort(
    (a, b) =>
      a.violating - b.violating ||
      top(a) - top(b) ||
      sum(a) - sum(b) ||
      a.victims.length - b.victims.length ||
      (earliestTopStart(a) > earliestTopStart(b) ? -1 : earliestTopStart(a) < earliestTopStart(b) ? 1 : 0) ||
      a.node - b.node,
  )[0];
}
