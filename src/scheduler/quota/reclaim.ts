/**
 * Kueue's reclaimWithinCohort: an instance its quotas refuse only because cohort members borrow
 * what its owner lent takes that quota back. Candidates are the borrowers' instances (every one
 * for `Any`, lower-priority ones for `LowerPriority`), least important first — lowest priority,
 * then the newest, as Kueue's candidate ordering; each is taken while its quota still borrows,
 * until the instance fits a node. Then, as Kueue's fill-back, victims are returned from the
 * last but one down whenever the instance still fits without them.
 */
import type { ClusterState } from '../framework/cluster.js';
import type { Evaluator } from '../framework/evaluator.js';
import { moreImportant, type Pod } from '../framework/workload.js';
import type { QuotaTracker } from './quota-tracker.js';

export interface Reclaim {
  victims: Pod[];
  quota: string;
}

export function findReclaim(cluster: ClusterState, ev: Evaluator, quotas: QuotaTracker, pod: Pod): Reclaim | undefined {
  const st = ev.statics(pod);
  const poolOf = (node: number) => cluster.nodes[node]!.node.pool;
  const pools = [...new Set(Array.from(st.feasible, poolOf))].sort();
  const fits = () => {
    ev.begin(pod);
    for (const n of st.feasible) if (ev.dynamicStatus(pod, n).code === 'Success') return true;
    return false;
  };
  const take = (v: Pod) => {
    quotas.remove(v, poolOf(v.node));
    cluster.suspend(v);
  };
  const give = (v: Pod) => {
    cluster.resume(v);
    quotas.add(v, poolOf(v.node));
  };
  for (const pool of pools) {
    const r = quotas.reclaimable(pod, pool);
    if (!r) continue;
    const candidates: Pod[] = [];
    for (const n of cluster.nodes) {
      for (const v of n.pods) {
        if (v === pod || (r.policy === 'LowerPriority' && v.agent.priority >= pod.agent.priority)) continue;
        if (r.isVictim(v, n.node.pool)) candidates.push(v);
      }
    }
    candidates.sort((a, b) => moreImportant(b, a));
    const victims: Pod[] = [];
    let ok = false;
    for (const v of candidates) {
      // Only down to the borrower's own limit: once its quota no longer borrows, its instances stay.
      if (!r.isVictim(v, poolOf(v.node))) continue;
      take(v);
      victims.push(v);
      if (fits()) {
        ok = true;
        break;
      }
    }
    if (ok) {
      for (let k = victims.length - 2; k >= 0; k--) {
        const v = victims[k]!;
        give(v);
        if (fits()) victims.splice(k, 1);
        else take(v);
      }
    }
    for (const v of victims) give(v);
    ev.begin(pod);
    if (ok) return { victims: victims.sort(moreImportant), quota: r.quota };
  }
  return undefined;
}
