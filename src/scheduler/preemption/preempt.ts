/**
 * Preemption for one instance (kube's defaultpreemption PostFilter): on every node where only
 * resources are short, select victims, keep the nodes where the instance then passes every
 * filter, and pick one node by kube's criteria.
 */
import type { ClusterState } from '../framework/cluster.js';
import type { Evaluator } from '../framework/evaluator.js';
import type { Pod } from '../framework/workload.js';
import { pickNode, selectVictims, type NodeVictims } from './victims.js';

export function findPreemption(cluster: ClusterState, ev: Evaluator, pod: Pod, running: (p: Pod) => boolean, budgetLeft: (agent: number) => number): NodeVictims | undefined {
  const st = ev.statics(pod);
  const budget = new Map<number, number>();
  for (const a of cluster.agents) budget.set(a.index, budgetLeft(a.index));
  const options: NodeVictims[] = [];
  for (const node of st.feasible) {
    if (ev.dynamicStatus(pod, node).code !== 'InsufficientResource') continue;
    const n = cluster.nodes[node]!;
    const v = selectVictims(pod, n, running, budget);
    if (!v) continue;
    // Other filters (affinity, spread, quota) must pass with the victims gone.
    for (const x of v.victims) n.removeResources(x);
    const ok = ev.dynamicStatus(pod, node).code === 'Success';
    for (const x of v.victims) n.addResources(x);
    if (ok) options.push(v);
  }
  return pickNode(options);
}
