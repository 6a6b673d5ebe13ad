/**
 * Rows of the lock, scaling and audit tables → records, shared by both backends. SQLite returns
 * times and JSON as text; PostgreSQL returns Date objects and parsed JSON: `decodeJson` says which.
 */
import type { AppliedPlanRecord, AuditStatus, Lock, LockInfo, ScalingRecord } from './store.js';

type Time = string | Date;
const iso = (t: Time): string => (typeof t === 'string' ? t : t.toISOString());

export interface LockRow {
  id: string;
  name: string;
  holder: string;
  info: unknown;
  acquired_at: Time;
  expires_at: Time;
}

export interface ScalingRow {
  target_kind: 'Pool' | 'Agent';
  target_name: string;
  at: Time;
  from_count: number;
  to_count: number;
  plan_id: string | null;
  reason: string | null;
}

export interface AuditRow {
  plan_id: string;
  applied_at: Time;
  actor: string;
  status: AuditStatus;
  plan: unknown;
  results: unknown;
  /** Schema 2. */
  lock_id?: string | null;
}

/** The row → record functions of a backend. */
export function rowMappers(decodeJson: (v: unknown) => unknown) {
  return {
    toLock: (r: LockRow): Lock => ({ id: r.id, name: r.name, holder: r.holder, info: decodeJson(r.info) as LockInfo, acquiredAt: iso(r.acquired_at), expiresAt: iso(r.expires_at) }),
    toScaling: (r: ScalingRow): ScalingRecord => ({
      target: { kind: r.target_kind, name: r.target_name },
      at: iso(r.at),
      from: r.from_count,
      to: r.to_count,
      ...(r.plan_id === null ? {} : { planId: r.plan_id }),
      ...(r.reason === null ? {} : { reason: r.reason }),
    }),
    toAudit: (r: AuditRow): AppliedPlanRecord => ({ planId: r.plan_id, appliedAt: iso(r.applied_at), actor: r.actor, status: r.status, plan: decodeJson(r.plan), results: decodeJson(r.results), ...(r.lock_id ? { lockId: r.lock_id } : {}) }),
  };
}
