/** What the engine needs of the state store (adapted from src/state in store-port.ts). */
import type { Decision } from '../scheduler/index.js';
import type { SimStore } from '../drivers/sim/store.js';
import type { RecordedDecision } from './decisions.js';

/** What `qm explain` needs of an apply: when, how it ended, each action's status. */
export interface AppliedPlanInfo {
  appliedAt: string;
  status: 'applied' | 'failed' | 'partial';
  results: { id: string; status: string }[];
}

export interface LockInfo {
  id: string;
  name: string;
  holder: string;
  acquiredAt: string;
  expiresAt: string;
}

/** A lock as qm status lists it: expired locks stay until the next acquirer takes them over. */
export interface ListedLock extends LockInfo {
  expired: boolean;
}

/** The latest audit record, in short. */
export interface LastApply {
  planId: string;
  appliedAt: string;
  actor: string;
  status: AuditRecord['status'];
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

export interface EnginePort extends SimStore {
  /** Where the store is, for messages: a path or host:port. */
  readonly location: string;
  /** A stable id of this store, recorded in plans so a plan made for another store is refused. */
  stateId(): Promise<string>;
  acquireLock(name: string, holder: string, ttlSeconds: number): Promise<LockResult>;
  renewLock(id: string, ttlSeconds: number): Promise<void>;
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
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}
