/** What the engine needs of the state store (adapted from src/state in store-port.ts). */
import type { Decision } from '../scheduler/index.js';
import type { SimStore } from '../drivers/sim/store.js';
import type { RecordedDecision } from './decisions.js';

/**
 * How an apply ended, as read back: 'running' while its process still holds the apply lock,
 * 'interrupted' when it was recorded as running but its lock is gone, expired or held by a
 * process that no longer exists (killed, crashed, the machine lost).
 */
export type AppliedStatus = 'applied' | 'failed' | 'partial' | 'running' | 'interrupted';

/** What `qm explain` needs of an apply: when, how it ended, each action's status. */
export interface AppliedPlanInfo {
  appliedAt: string;
  status: AppliedStatus;
  results: { id: string; status: string }[];
}

export interface LockInfo {
  id: string;
  name: string;
  holder: string;
  acquiredAt: string;
  expiresAt: string;
  /** What the holder recorded about itself (the apply lock: host and pid, to tell a dead holder). */
  info?: Record<string, unknown>;
}

/** A lock as qm status lists it: expired locks stay until the next acquirer takes them over. */
export interface ListedLock extends LockInfo {
  expired: boolean;
  /** Its holder recorded a process on this host that no longer exists (killed, crashed). */
  holderGone?: boolean;
}

/** The latest audit record, in short. */
export interface LastApply {
  planId: string;
  appliedAt: string;
  actor: string;
  status: AppliedStatus;
}

export type LockResult = { ok: true; lock: LockInfo } | { ok: false; heldBy: LockInfo };

export interface AuditRecord {
  planId: string;
  appliedAt: string;
  actor: string;
  status: 'applied' | 'failed' | 'partial';
  plan: unknown;
  results: unknown;
}

/** An apply as it starts: recorded 'running' before the first action, then completed (startAudit/updateAudit). */
export interface StartedAudit {
  planId: string;
  appliedAt: string;
  actor: string;
  plan: unknown;
  results: unknown;
  /** The apply lock held while it runs. */
  lockId?: string | undefined;
}

export interface EnginePort extends SimStore {
  /** Where the store is, for messages: a path or host:port. */
  readonly location: string;
  /** A stable id of this store, recorded in plans so a plan made for another store is refused. */
  stateId(): Promise<string>;
  acquireLock(name: string, holder: string, ttlSeconds: number, info?: Record<string, unknown>): Promise<LockResult>;
  /** Extend a lock we hold; undefined when it is no longer ours (released, forced, or taken over after it expired). */
  renewLock(id: string, ttlSeconds: number): Promise<LockInfo | undefined>;
  releaseLock(id: string): Promise<void>;
  forceUnlock(id: string): Promise<LockInfo | undefined>;
  /** Every lock in the store (the apply lock, pull requests' pool locks), expired ones flagged, by name. */
  listLocks(): Promise<ListedLock[]>;
  /** The most recent apply's audit record, if any. */
  lastApply(): Promise<LastApply | undefined>;
  /** Record a plan's entries for `qm explain` (see decisions.ts); keeps the last 50 plans. */
  recordDecisions(planId: string, decisions: readonly RecordedDecision[]): Promise<void>;
  latestDecision(instance: string): Promise<{ planId: string; decision: Decision } | undefined>;
  /** The instance's entries from the plans that mention it, newest first. */
  decisionHistory(instance: string): Promise<{ planId: string; recordedAt: string; decision: RecordedDecision }[]>;
  /** The latest apply of a plan, from the audit trail; undefined when it was never applied. */
  appliedPlan(planId: string): Promise<AppliedPlanInfo | undefined>;
  recordAudit(record: AuditRecord): Promise<void>;
  /** Record an apply as 'running' when it starts; returns the reference updateAudit takes. */
  startAudit(record: StartedAudit): Promise<string>;
  /** Results so far, or with a status the end of the apply. */
  updateAudit(ref: string, change: { results: unknown; status?: AuditRecord['status'] }): Promise<void>;
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}
