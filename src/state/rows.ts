/**
 * Rows of the lock, scaling and audit tables → records, shared by both backends. SQLite returns
 * times and JSON as text; PostgreSQL returns Date objects and parsed JSON: `decodeJson` says which
 * (and names the row when a value cannot be decoded).
 */
import { corruptRow } from './failure.js';
import type { AppliedPlanRecord, ApplyStatus, Lock, LockInfo, ScalingRecord } from './store.js';

/** Decode one JSON column; `row` names the row for a message ("name \"apply\"") and `column` the column. */
export type DecodeJson = (value: unknown, table: string, row: string, column: string) => unknown;

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
  status: ApplyStatus;
  plan: unknown;
  results: unknown;
}

/** The row → record functions of a backend. */
export function rowMappers(decodeJson: DecodeJson) {
  return {
    toLock: (r: LockRow): Lock => ({
      id: r.id,
      name: r.name,
      holder: r.holder,
      info: decodeJson(r.info, 'qm_locks', `name ${JSON.stringify(r.name)}`, 'info') as LockInfo,
      acquiredAt: iso(r.acquired_at),
      expiresAt: iso(r.expires_at),
    }),
    toScaling: (r: ScalingRow): ScalingRecord => ({
      target: { kind: r.target_kind, name: r.target_name },
      at: iso(r.at),
      from: r.from_count,
      to: r.to_count,
      ...(r.plan_id === null ? {} : { planId: r.plan_id }),
      ...(r.reason === null ? {} : { reason: r.reason }),
    }),
    toAudit: (r: AuditRow): AppliedPlanRecord => {
      const row = `plan_id ${JSON.stringify(r.plan_id)}`;
      return { planId: r.plan_id, appliedAt: iso(r.applied_at), actor: r.actor, status: r.status, plan: decodeJson(r.plan, 'qm_applied_plans', row, 'plan'), results: decodeJson(r.results, 'qm_applied_plans', row, 'results') };
    },
  };
}

/**
 * A node or instance document as stored: an object named as its row. Anything else (a row edited
 * by hand, a half-written restore) is a corrupt row of the store, not a driver failure.
 */
export function clusterDoc<T>(doc: unknown, location: string, table: 'qm_nodes' | 'qm_instances', cluster: string, name: string): T {
  const named = typeof doc === 'object' && doc !== null && !Array.isArray(doc) && (doc as { name?: unknown }).name === name;
  if (!named) {
    const what = table === 'qm_nodes' ? 'node' : 'instance';
    throw corruptRow(location, table, `cluster ${JSON.stringify(cluster)}, name ${JSON.stringify(name)}`, `its doc is not a ${what} named ${JSON.stringify(name)}`);
  }
  return doc as T;
}
