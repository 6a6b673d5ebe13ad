/**
 * Required agent affinity and anti-affinity (kube's InterPodAffinity filter):
 * - affinity: the node's domain must hold a matching instance; when no matching instance exists
 *   in any domain of the key (instances on nodes without the key count for no domain, as in kube's
 *   affinityCounts), the first instance of a group that matches its own selector may go anywhere;
 *   a node without the topology key is excluded;
 * - anti-affinity: the node's domain must hold no matching instance; a node without the key is fine;
 * - symmetry: an existing instance's required anti-affinity keeps matching newcomers out of its domain.
 */
import type { ClusterState } from '../../framework/cluster.js';
import { fail, SUCCESS, type Status } from '../../framework/status.js';
import type { Pod } from '../../framework/workload.js';

export function agentAffinityStatus(cluster: ClusterState, pod: Pod, node: number): Status {
  const p = pod.agent.placement;
  for (const ref of p.affinity) {
    if (!ref.required) continue;
    const t = ref.term;
    const d = cluster.domainOf(t.key, node);
    if (d === undefined) return fail('AgentAffinityUnsatisfied', `no ${t.key}`);
    if (t.domainCount(d) > 0) continue;
    if (t.domainCounts.size === 0 && t.matches(pod)) continue;
    return fail('AgentAffinityUnsatisfied', t.key);
  }
  for (const ref of p.antiAffinity) {
    if (!ref.required) continue;
    const t = ref.term;
    if (t.domainCount(cluster.domainOf(t.key, node)) > 0) return fail('AgentAntiAffinityConflict', t.key);
  }
  for (const t of pod.agent.repelledBy) {
    if (t.ownerCount(cluster.domainOf(t.key, node)) > 0 && t.matches(pod)) return fail('AgentAntiAffinityConflict', `existing ${t.key}`);
  }
  return SUCCESS;
}
