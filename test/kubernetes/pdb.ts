/**
 * PodDisruptionBudget status and the eviction decision of the `pods/eviction` subresource
 * (pkg/registry/core/pod/storage/eviction.go and the disruption controller), computed from the
 * current pods instead of by a controller loop.
 */
import type { KubeObject } from './store.js';
import { isPodReady, isTerminated } from './objects.js';
import { matchesLabels, selectorFromObject } from './selectors.js';
import { ApiError, failure } from './status.js';

function scaled(v: number | string, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number(v) || 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

export interface PdbStatus { currentHealthy: number; desiredHealthy: number; disruptionsAllowed: number; expectedPods: number; observedGeneration?: number }

/** The pods a budget covers: same namespace, matching selector (an empty selector matches none in policy/v1? it matches all). */
export function pdbPods(pdb: KubeObject, podsInNamespace: KubeObject[]): KubeObject[] {
  const sel = selectorFromObject(pdb.spec?.selector);
  return podsInNamespace.filter((p) => matchesLabels(sel, p.metadata.labels));
}

export function pdbStatus(pdb: KubeObject, pods: KubeObject[]): PdbStatus {
  const live = pods.filter((p) => !isTerminated(p));
  const expected = live.length;
  const healthy = live.filter(isPodReady).length;
  let desired: number;
  if (pdb.spec?.maxUnavailable !== undefined) desired = Math.max(0, expected - scaled(pdb.spec.maxUnavailable, expected, true));
  else desired = scaled(pdb.spec?.minAvailable ?? 1, expected, true);
  return { currentHealthy: healthy, desiredHealthy: desired, disruptionsAllowed: Math.max(0, healthy - desired), expectedPods: expected, observedGeneration: pdb.metadata.generation ?? 1 };
}

export function withStatus(pdb: KubeObject, pods: KubeObject[], at: string): KubeObject {
  const s = pdbStatus(pdb, pods);
  const cond = s.disruptionsAllowed > 0
    ? { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', lastTransitionTime: at, observedGeneration: s.observedGeneration }
    : { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', lastTransitionTime: at, observedGeneration: s.observedGeneration };
  return { ...pdb, status: { ...s, conditions: [cond] } };
}

/**
 * Whether evicting `pod` is allowed, given the budgets of its namespace. Throws the apiserver's
 * 429 (budget would be violated) or 500 (several budgets) Status; returns when allowed.
 */
export function checkEviction(pod: KubeObject, budgets: KubeObject[], podsInNamespace: KubeObject[]): void {
  // Pods that are not running (pending, finished) or already terminating are evicted without a budget check.
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata.deletionTimestamp) return;
  const matching = budgets.filter((b) => matchesLabels(selectorFromObject(b.spec?.selector), pod.metadata.labels));
  if (matching.length === 0) return;
  if (matching.length > 1) {
    throw new ApiError(failure(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.'));
  }
  const pdb = matching[0]!;
  // An unready pod does not count towards the budget; with the default IfHealthyBudget policy it may
  // be evicted while the budget is met (eviction.go: "pod is not ready ... can be evicted").
  const s = pdbStatus(pdb, pdbPods(pdb, podsInNamespace));
  if (!isPodReady(pod) && s.currentHealthy >= s.desiredHealthy) return;
  if (s.disruptionsAllowed <= 0 || !isPodReady(pod) && s.currentHealthy < s.desiredHealthy) {
    throw new ApiError(failure(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
      causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdb.metadata.name} needs ${s.desiredHealthy} healthy pods and has ${s.currentHealthy} currently` }],
    }));
  }
}
