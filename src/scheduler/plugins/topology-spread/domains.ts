/**
 * Per-instance spread state (kube's PodTopologySpread PreFilter): matching instances per domain,
 * counted over the nodes that pass the agent's node constraints and carry the key, and the
 * global minimum (0 when fewer than minDomains domains exist).
 */
import type { ClusterState } from '../../framework/cluster.js';
import type { Pod, SpreadRef } from '../../framework/workload.js';

export interface SpreadState {
  ref: SpreadRef;
  counts: Map<string, number>;
  min: number;
  selfMatch: number;
}

export function spreadStates(cluster: ClusterState, pod: Pod, eligible: Uint8Array, which: 'DoNotSchedule' | 'ScheduleAnyway'): SpreadState[] {
  const out: SpreadState[] = [];
  for (const ref of pod.agent.placement.spread) {
    if (ref.constraint.whenUnsatisfiable !== which) continue;
    const t = ref.term;
    const counts = new Map<string, number>();
    for (let n = 0; n < eligible.length; n++) {
      if (!eligible[n]) continue;
      const d = cluster.domainOf(t.key, n);
      if (d === undefined) continue;
      counts.set(d, (counts.get(d) ?? 0) + t.nodeCounts[n]!);
    }
    let min = Infinity;
    for (const c of counts.values()) if (c < min) min = c;
    if (!Number.isFinite(min) || counts.size < (ref.constraint.minDomains ?? 1)) min = 0;
    out.push({ ref, counts, min, selfMatch: t.matches(pod) ? 1 : 0 });
  }
  return out;
}
