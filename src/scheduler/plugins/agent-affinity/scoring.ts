/**
 * Preferred agent affinity and anti-affinity: each term contributes its weight times
 * c/(c+1) for c matching instances in the node's domain (positive for affinity, negative for
 * anti-affinity), mapped to 0–100 around 50. Absolute, so scores of other nodes never change
 * when one node changes.
 */
import type { ClusterState } from '../../framework/cluster.js';
import type { Pod } from '../../framework/workload.js';

export function agentAffinityScore(cluster: ClusterState, pod: Pod, node: number): number {
  const p = pod.agent.placement;
  let total = 0;
  let sum = 0;
  for (const ref of p.affinity) {
    if (ref.required) continue;
    const c = ref.term.domainCount(cluster.domainOf(ref.term.key, node));
    total += ref.weight;
    sum += (ref.weight * c) / (c + 1);
  }
  for (const ref of p.antiAffinity) {
    if (ref.required) continue;
    const c = ref.term.domainCount(cluster.domainOf(ref.term.key, node));
    total += ref.weight;
    sum -= (ref.weight * c) / (c + 1);
  }
  return total > 0 ? 50 + (50 * sum) / total : 50;
}

export function hasPreferredTerms(pod: Pod): boolean {
  const p = pod.agent.placement;
  return p.affinity.some((r) => !r.required) || p.antiAffinity.some((r) => !r.required);
}
