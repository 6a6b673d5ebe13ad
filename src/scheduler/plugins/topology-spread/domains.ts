/**
 * Per-instance spread state (kube's PodTopologySpread PreFilter): matching instances per domain,
 * counted over the nodes that pass the agent's node constraints and carry the key of every
 * constraint of the same kind (kube's nodeLabelsMatchSpreadConstraints: a node lacking one key
 * is no domain of any constraint), and the global minimum (0 when fewer than minDomains domains exist).
 */
import type { ClusterState } from '../../framework/cluster.js';
import type { Pod, SpreadRef } from '../../framework/workload.js';

export interface SpreadState {
  ref: SpreadRef;
  counts: Map<string, number>;
  min: number;
  selfMatch: number;
}

const NONE: SpreadState[] = [];

export function spreadStates(cluster: ClusterState, pod: Pod, eligible: Uint8Array, which: 'DoNotSchedule' | 'ScheduleAnyway'): SpreadState[] {
  // Most agents spread nothing; the swap pass starts a cycle for an instance about a million times
  // on a trace-sized batch, so this path must not allocate.
  if (pod.agent.placement.spread.length === 0) return NONE;
  const out: SpreadState[] = [];
  const refs = pod.agent.placement.spread.filter((r) => r.constraint.whenUnsatisfiable === which);
  const keys = [...new Set(refs.map((r) => r.term.key))];
  const hasAllKeys = (n: number) => keys.every((k) => cluster.domainOf(k, n) !== undefined);
  for (const ref of refs) {
    const t = ref.term;
    const counts = new Map<string, number>();
    for (let n = 0; n < eligible.length; n++) {
      if (!eligible[n]) continue;
      if (keys.length > 1 && !hasAllKeys(n)) continue;
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
