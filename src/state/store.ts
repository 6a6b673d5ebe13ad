/**
 * The state store contract: what Quartermaster remembers between runs — the simulated cluster of
 * the `sim` driver, scaling history, the decision log behind `qm explain`, the audit trail of
 * applied plans, locks, usage history and a little metadata. Two backends implement it (SQLite, PostgreSQL); the
 * methods are async so both share it. Times go in as ISO 8601 strings and come back normalised to
 * UTC with milliseconds (`2026-11-28T09:00:00.000Z`).
 */
import type { ObservedInstance, ObservedNode, ScalingEvent } from '../model/state.js';
import type { UsageStore } from '../model/usage.js';

export type StateBackend = 'sqlite' | 'postgres';

/** The simulated cluster as stored: everything at one revision, sorted by name. */
export interface ClusterState {
  name: string;
  /** 0 for a cluster never written; +1 for every committed write. */
  revision: number;
  nodes: ObservedNode[];
  instances: ObservedInstance[];
}

/** One change in a cluster write; a write applies a list of them atomically. */
export type ClusterChange =
  | { op: 'putNode'; node: ObservedNode }
  | { op: 'deleteNode'; name: string }
  | { op: 'putInstance'; instance: ObservedInstance }
  | { op: 'deleteInstance'; name: string };

export interface ClusterWriteOptions {
  /** Refuse the write (QmError 'stale') unless the cluster is still at this revision. */
  expectRevision?: number;
}

/**
 * The `sim` driver's cluster, per cluster name. Every write is one transaction that bumps the
 * revision; an instance must sit on a node of the same cluster when the write commits, so a node
 * cannot be deleted while instances run on it.
 */
export interface ClusterStore {
  get(cluster: string): Promise<ClusterState>;
  /** The cluster's revision alone (0 when never written): a cheap check whether a copy read earlier is still current. */
  revision(cluster: string): Promise<number>;
  /** Names of the clusters ever written, sorted. */
  list(): Promise<string[]>;
  /** Apply the changes in one transaction; returns the new revision (the current one for no changes). */
  write(cluster: string, changes: readonly ClusterChange[], opts?: ClusterWriteOptions): Promise<number>;
  putNode(cluster: string, node: ObservedNode): Promise<number>;
  deleteNode(cluster: string, name: string): Promise<number>;
  putInstance(cluster: string, instance: ObservedInstance): Promise<number>;
  deleteInstance(cluster: string, name: string): Promise<number>;
}

export interface ScalingRecord extends ScalingEvent {
  planId?: string;
  reason?: string;
}

export interface ScalingQuery {
  target?: ScalingEvent['target'];
  /** Inclusive. */
  since?: string;
  /** The most recent `limit` events (still returned oldest first). */
  limit?: number;
}

export interface ScalingHistoryStore {
  append(event: ScalingRecord): Promise<void>;
  /** Oldest first. */
  list(query?: ScalingQuery): Promise<ScalingRecord[]>;
}

export interface DecisionRecord {
  planId: string;
  instance: string;
  recordedAt: string;
  decision: unknown;
}

/** What the planner decided per instance and why, for `qm explain`. */
export interface DecisionLog {
  /** Record a plan's decisions (instance name → opaque JSON); recording a planId again replaces it and makes it the latest. */
  record(planId: string, decisions: Readonly<Record<string, unknown>>): Promise<void>;
  /** The decision for this instance from the most recently recorded plan that mentions it. */
  latest(instance: string): Promise<DecisionRecord | undefined>;
  /** This instance's decisions from the `limit` (default 50) most recently recorded plans that mention it, newest first. */
  history(instance: string, limit?: number): Promise<DecisionRecord[]>;
  /** Keep the decisions of the `keepPlans` most recently recorded plans; returns how many plans were dropped. */
  prune(keepPlans: number): Promise<number>;
}

export type ApplyStatus = 'applied' | 'failed' | 'partial';

/** 'running': recorded when the apply started and not finished (yet, or ever: a crash leaves it so). */
export type AuditStatus = ApplyStatus | 'running';

export interface AppliedPlanRecord {
  planId: string;
  appliedAt: string;
  actor: string;
  status: AuditStatus;
  plan: unknown;
  results: unknown;
  /** The apply lock the apply held (schema 2): a 'running' record whose lock is gone was interrupted. */
  lockId?: string;
}

/** The audit trail of applied plans. */
export interface AuditLog {
  /** A finished apply, in one write. */
  record(entry: AppliedPlanRecord): Promise<void>;
  /** An apply that starts: recorded as 'running' at once; returns the record's reference for update(). */
  start(entry: Omit<AppliedPlanRecord, 'status'>): Promise<string>;
  /** The results so far (status stays 'running') or, with a status, the end of the apply. */
  update(ref: string, change: { results: unknown; status?: ApplyStatus }): Promise<void>;
  /** The latest `n` records, newest first. */
  latest(n: number): Promise<AppliedPlanRecord[]>;
  /** The latest record for this plan (a plan re-applied after a failure has several). */
  get(planId: string): Promise<AppliedPlanRecord | undefined>;
}

export type LockInfo = Record<string, unknown>;

export interface Lock {
  /** Random, 16 hex digits; what `qm force-unlock` takes. */
  id: string;
  name: string;
  holder: string;
  info: LockInfo;
  acquiredAt: string;
  expiresAt: string;
}

export type AcquireResult =
  | { ok: true; lock: Lock; /** The expired lock this one took over, if any. */ replaced?: Lock }
  | { ok: false; heldBy: Lock };

/**
 * Named leases ("apply", "pool/gpu-east", …). Acquiring is atomic across processes and hosts
 * sharing the store; a lock past its expiry is taken over by the next acquirer.
 */
export interface LockStore {
  acquire(name: string, holder: string, ttlSeconds: number, info?: LockInfo): Promise<AcquireResult>;
  /** Extend a held lock; undefined when it is no longer ours (released, forced or taken over). */
  renew(id: string, ttlSeconds: number): Promise<Lock | undefined>;
  /** Release a lock we hold; false when it was already gone. */
  release(id: string): Promise<boolean>;
  /** An operator's release by id (`qm force-unlock`); returns what was released. */
  forceUnlock(id: string): Promise<Lock | undefined>;
  /** All locks, expired ones included, by name. */
  list(): Promise<Lock[]>;
}

/** Small JSON values by key (e.g. the last reconcile time). */
export interface MetaStore {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<boolean>;
}

export interface StateStore {
  readonly backend: StateBackend;
  /** Where the store is, for messages: a file path or a URL without its password. */
  readonly location: string;
  readonly cluster: ClusterStore;
  readonly scaling: ScalingHistoryStore;
  readonly decisions: DecisionLog;
  readonly audit: AuditLog;
  readonly locks: LockStore;
  readonly meta: MetaStore;
  /** Usage history (schema 3, keyed by minute first since schema 4): one sample per instance per minute, recorded by qm serve. */
  readonly usage: UsageStore;
  /** The schema version the store is at (the highest migration applied). */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}

export interface OpenStateStoreOptions {
  /** The clock for lock expiry and timestamps the store adds (tests move it). */
  now?: () => Date;
  /** How long to wait for another process's write lock (SQLite busy_timeout, PostgreSQL lock_timeout). Default 5000. */
  busyTimeoutMs?: number;
  /** PostgreSQL: connections in the pool. Default 4. */
  poolMax?: number;
  /** PostgreSQL: give up connecting after this long. Default 5000. */
  connectTimeoutMs?: number;
}
