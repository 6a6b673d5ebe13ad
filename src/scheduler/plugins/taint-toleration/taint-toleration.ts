/** Taints and tolerations (kube semantics): NoSchedule filters, PreferNoSchedule lowers the score. */
import type { Taint, Toleration } from '../../../model/documents.js';
import { fail, SUCCESS, type Status } from '../../framework/status.js';

/** Whether a toleration tolerates a taint: same key (or no key with Exists), value for Equal, same or no effect. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && t.effect !== taint.effect) return false;
  if (t.key === undefined || t.key === '') return t.operator === 'Exists';
  if (t.key !== taint.key) return false;
  return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
}

export function describeTaint(taint: Taint): string {
  return taint.value !== undefined && taint.value !== '' ? `${taint.key}=${taint.value}` : taint.key;
}

export function taintStatus(taints: Taint[], tolerations: Toleration[]): Status {
  for (const taint of taints) {
    if (taint.effect !== 'NoSchedule') continue;
    if (!tolerations.some((t) => tolerates(t, taint))) return fail('UntoleratedTaint', describeTaint(taint));
  }
  return SUCCESS;
}

/** 100 with no untolerated PreferNoSchedule taint, less for each one (kube counts them). */
export function taintScore(taints: Taint[], tolerations: Toleration[]): number {
  let untolerated = 0;
  for (const taint of taints) {
    if (taint.effect === 'PreferNoSchedule' && !tolerations.some((t) => tolerates(t, taint))) untolerated++;
  }
  return 100 / (1 + untolerated);
}
