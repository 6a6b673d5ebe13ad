/** DoNotSchedule spread: placing here must keep (count in domain + self − global min) ≤ maxSkew. */
import type { ClusterState } from '../../framework/cluster.js';
import { fail, SUCCESS, type Status } from '../../framework/status.js';
import type { SpreadState } from './domains.js';

export function spreadStatus(cluster: ClusterState, states: SpreadState[], node: number): Status {
  for (const s of states) {
    const key = s.ref.term.key;
    const d = cluster.domainOf(key, node);
    if (d === undefined) return fail('TopologySpreadViolation', `no ${key}`);
    const skew = (s.counts.get(d) ?? 0) + s.selfMatch - s.min;
    if (skew > s.ref.constraint.maxSkew) return fail('TopologySpreadViolation', key);
  }
  return SUCCESS;
}
