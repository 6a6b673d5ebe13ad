/**
 * Checks and conversions both backends apply to what callers hand the store, so the two behave
 * the same: times normalised to UTC ISO 8601, counts and TTLs sane, statuses known.
 */
import { QmError } from '../model/errors.js';
import type { AuditStatus, ClusterChange } from './store.js';

/** A time as the store keeps it: `toISOString()` of the instant given. */
export function normalizeTime(value: string, what: string): string {
  const ms = Date.parse(value);
  if (typeof value !== 'string' || Number.isNaN(ms)) {
    throw new QmError('invalid', `${what} is not an ISO 8601 time: ${JSON.stringify(value)}`, 'write it like 2026-11-28T09:00:00Z');
  }
  return new Date(ms).toISOString();
}

export function checkTtl(ttlSeconds: number): void {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new QmError('invalid', `a lock TTL must be a positive number of seconds, not ${ttlSeconds}`);
  }
}

export function addSeconds(at: Date, seconds: number): string {
  return new Date(at.getTime() + Math.round(seconds * 1000)).toISOString();
}

export function checkCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0) throw new QmError('invalid', `${what} must be a whole number ≥ 0, not ${n}`);
}

export function checkScalingCounts(e: { from: number; to: number }): void {
  checkCount(e.from, "a scaling event's from");
  checkCount(e.to, "a scaling event's to");
}

const STATUSES: readonly AuditStatus[] = ['applied', 'failed', 'partial', 'running'];

export function checkStatus(status: string): void {
  if (!(STATUSES as readonly string[]).includes(status)) {
    throw new QmError('invalid', `an applied plan's status must be one of ${STATUSES.join(', ')}, not ${JSON.stringify(status)}`);
  }
}

/** JSON text for a column; undefined (which JSON cannot hold) is stored as null. */
export function toJson(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** The name a change is about (for the node/instance consistency check). */
export function changeName(change: ClusterChange): string {
  switch (change.op) {
    case 'putNode':
      return change.node.name;
    case 'putInstance':
      return change.instance.name;
    default:
      return change.name;
  }
}

export function staleRevision(cluster: string, expected: number, actual: number): QmError {
  return new QmError(
    'stale',
    `the simulated cluster "${cluster}" changed since revision ${expected} (it is at revision ${actual} now)`,
    'plan again against the current state',
  );
}

/** An instance whose node is missing when a cluster write commits. */
export function orphanedInstances(cluster: string, orphans: ReadonlyArray<{ name: string; node: string }>): QmError {
  const list = orphans.map((o) => `${o.name} on ${o.node}`).join(', ');
  return new QmError(
    'state',
    `cannot write the simulated cluster "${cluster}": instances would run on nodes that do not exist (${list})`,
    'put the node first, or remove or move its instances before deleting it',
  );
}
