/** ScheduleAnyway spread: 100 × maxSkew / (maxSkew + skew) averaged over constraints; a node without the key scores 0. */
import type { ClusterState } from '../../framework/cluster.js';
import type { SpreadState } from './domains.js';

export function spreadScore(cluster: ClusterState, states: SpreadState[], node: number): number {
  if (states.length === 0) return 100;
  let sum = 0;
  for (const s of states) {
    const d = cluster.domainOf(s.ref.term.key, node);
    if (d === undefined) continue;
    const skew = Math.max(0, (s.counts.get(d) ?? 0) + s.selfMatch - s.min);
    const m = Math.max(1, s.ref.constraint.maxSkew);
    sum += (100 * m) / (m + skew);
  }
  return sum / states.length;
}
