/** Filter results as values (kube-scheduler's Status): a SPEC §4 reason code plus short details. */
import type { ReasonCode } from '../types.js';

export interface Status {
  code: 'Success' | ReasonCode;
  /** Short details shown in parentheses when aggregated, e.g. ["gpu"] → "InsufficientResource(gpu)". */
  reasons: string[];
  /** A full sentence for the blocked message when the short details are not enough (quotas). */
  message?: string;
}

export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: Object.freeze([]) as unknown as string[] }) as Status;

export function fail(code: ReasonCode, ...reasons: string[]): Status {
  return { code, reasons };
}

export function isSuccess(s: Status): boolean {
  return s.code === 'Success';
}

const keys = new WeakMap<Status, string>();

/** The aggregation key of a failed status: "InsufficientResource(gpu)" or "PoolNotActive" (kept per status: shared ones are asked once per node). */
export function statusKey(s: Status): string {
  let k = keys.get(s);
  if (k === undefined) {
    k = s.reasons.length > 0 ? `${s.code}(${s.reasons.join(', ')})` : s.code;
    // Only frozen statuses can be cached: anything else could change after the first ask.
    if (Object.isFrozen(s)) keys.set(s, k);
  }
  return k;
}
