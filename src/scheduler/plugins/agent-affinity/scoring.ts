/**
 * Preferred agent affinity and anti-affinity, as kube's InterPodAffinity scores the incoming pod's
 * terms: each term adds its weight once per matching instance in the node's domain (subtracts, for
 * anti-affinity). Raw: the evaluator normalises it over the feasible nodes (NormalizeScore).
 */
import type { ClusterState } from '../../framework/cluster.js';
import type { Pod } from '../../framework/workload.js';

export function agentAffinityScore(cluster: ClusterState, pod: Pod, node: number): number {
  const p = pod.agent.placement;
  let sum = 0;
  for (const ref of p.affinity) if (!ref.required) sum += ref.weight * ref.term.domainCount(cluster.domainOf(ref.term.key, node));
  for (const ref of p.antiAffinity) if (!ref.required) sum -= ref.weight * ref.term.domainCount(cluster.domainOf(ref.term.key, node));
  return sum;
}

export function hasPreferredTerms(pod: Pod): boolean {
  const p = pod.agent.placement;
  return p.affinity.some((r) => !r.required) || p.antiAffinity.some((r) => !r.required);
}
