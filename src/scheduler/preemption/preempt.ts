/**
 * Preemption for one instance (kube's defaultpreemption PostFilter): on every node whose failure
 * removing instances can resolve (short resources, an anti-affinity conflict, a spread skew),
 * select victims such that the instance then passes every filter (with the
 * victims gone from resources and from affinity and spread counts), and pick one node by kube's
 * criteria.
 */
import type { ClusterState } from '../framework/cluster.js';
import type { Evaluator } from '../framework/evaluator.js';
import type { Status } from '../framework/status.js';
import type { Pod } from '../framework/workload.js';
import { pickNode, selectVictims, type NodeVictims } from './victims.js';

export function findPreemption(cluster: ClusterState, ev: Evaluator, pod: Pod, running: (p: Pod) => boolean, budgetLeft: (agent: number) => number): NodeVictims | undefined {
  const st = ev.statics(pod);
  const budget = new Map<number, number>();
  for (const a of cluster.agents) budget.set(a.index, budgetLeft(a.index));
  const options: NodeVictims[] = [];
  // Spread state is computed per cycle: recompute it while victims are out when it can count them.
  const recount = pod.agent.placement.spread.some((r) => cluster.agents.some((a) => a.priority < pod.agent.priority && r.term.agentMatch[a.index] !== 0));
  for (const node of st.feasible) {
    if (!resolvable(ev.dynamicStatus(pod, node))) continue;
    const passes = () => {
      if (recount) ev.begin(pod);
      return ev.dynamicStatus(pod, node).code === 'Success';
    };
    const v = selectVictims(pod, cluster.nodes[node]!, cluster, passes, running, budget);
    if (recount) ev.begin(pod);
    if (v) options.push(v);
  }
  return pickNode(options);
}

/**
 * Failures kube marks Unschedulable (not UnschedulableAndUnresolvable): resources, anti-affinity
 * and spread skew. Required affinity, a missing topology key and quotas cannot be fixed by evicting.
 */
function resolvable(st: Status): boolean {
  switch (st.code) {
    case 'InsufficientResource':
    case 'AgentAntiAffinityConflict':
      return true;
    case 'TopologySpreadViolation':
      return !st.reasons[0]?.startsWith('no ');
    default:
      return false;
  }
}
