/** The engine's view of the state store (ports.ts), on top of src/state. */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { AppliedPlanRecord, StateStore } from '../state/store.js';
import type { SimCluster, SimOp } from '../drivers/sim/store.js';
import type { Decision } from '../scheduler/index.js';
import type { AppliedPlanInfo, AppliedStatus, AuditRecord, EnginePort, LastApply, ListedLock, LockInfo, LockResult, StartedAudit } from './ports.js';
import { isExpired } from '../state/locks.js';
import type { RecordedDecision } from './decisions.js';
import type { ObservedInstance, ObservedNode, ScalingEvent } from '../model/state.js';

const poolsKey = (cluster: string) => `sim/${cluster}/pools`;

/** Adapts a StateStore to what the engine and the sim driver need. */
export class StorePort implements EnginePort {
  constructor(readonly store: StateStore) {}

  get location(): string {
    return this.store.location;
  }

  async stateId(): Promise<string> {
    const existing = await this.store.meta.get('stateId');
    if (typeof existing === 'string') return existing;
    const id = `qm-state-${randomUUID()}`;
    await this.store.meta.set('stateId', id);
    // Two processes creating it at once: both read back whichever won.
    const stored = await this.store.meta.get('stateId');
    return typeof stored === 'string' ? stored : id;
  }

  /**
   * The last read of each sim cluster, frozen, at its revision. Every committed write bumps the
   * revision, so while it reads the same the copy is the stored cluster: a long-running process
   * (qm serve observing 10,000 instances every minute) asks for one number instead of parsing
   * every row again, as an informer's cache would.
   */
  private readonly clusters = new Map<string, { revision: number; nodes: ObservedNode[]; instances: ObservedInstance[] }>();

  async simGet(cluster: string): Promise<SimCluster> {
    const c = await this.clusterAtRevision(cluster);
    const marked = await this.store.meta.get(poolsKey(cluster));
    // A pool with stored nodes is known even if the marker write was lost in a crash.
    const pools = new Set<string>([...(Array.isArray(marked) ? (marked as string[]) : []), ...c.nodes.map((n) => n.pool)]);
    return { nodes: c.nodes, instances: c.instances, pools: [...pools].sort() };
  }

  private async clusterAtRevision(cluster: string): Promise<{ revision: number; nodes: ObservedNode[]; instances: ObservedInstance[] }> {
    const kept = this.clusters.get(cluster);
    if (kept && (await this.store.cluster.revision(cluster)) === kept.revision) return kept;
    const c = await this.store.cluster.get(cluster);
    // Frozen, as they are shared by every later read: whoever wants to change one copies it.
    const fresh = { revision: c.revision, nodes: c.nodes.map(deepFreeze), instances: c.instances.map(deepFreeze) };
    this.clusters.set(cluster, fresh);
    return fresh;
  }

  async simApply(cluster: string, ops: SimOp[]): Promise<void> {
    const changes = ops.filter((o) => o.op !== 'addPool') as Exclude<SimOp, { op: 'addPool' }>[];
    if (changes.length) await this.store.cluster.write(cluster, changes);
    const added = ops.filter((o): o is { op: 'addPool'; pool: string } => o.op === 'addPool').map((o) => o.pool);
    if (added.length) {
      const marked = await this.store.meta.get(poolsKey(cluster));
      const set = new Set<string>([...(Array.isArray(marked) ? (marked as string[]) : []), ...added]);
      await this.store.meta.set(poolsKey(cluster), [...set].sort());
    }
  }

  async scalingHistory(): Promise<ScalingEvent[]> {
    return (await this.store.scaling.list()).map((e) => ({ target: e.target, at: e.at, from: e.from, to: e.to }));
  }

  async appendScaling(event: ScalingEvent & { planId?: string; reason?: string }): Promise<void> {
    await this.store.scaling.append(event);
  }

  async acquireLock(name: string, holder: string, ttlSeconds: number, info?: Record<string, unknown>): Promise<LockResult> {
    const r = await this.store.locks.acquire(name, holder, ttlSeconds, info);
    return r.ok ? { ok: true, lock: toInfo(r.lock) } : { ok: false, heldBy: toInfo(r.heldBy) };
  }

  async renewLock(id: string, ttlSeconds: number): Promise<LockInfo | undefined> {
    const l = await this.store.locks.renew(id, ttlSeconds);
    return l ? toInfo(l) : undefined;
  }

  async releaseLock(id: string): Promise<void> {
    await this.store.locks.release(id);
  }

  async forceUnlock(id: string): Promise<LockInfo | undefined> {
    const l = await this.store.locks.forceUnlock(id);
    return l ? toInfo(l) : undefined;
  }

  async listLocks(): Promise<ListedLock[]> {
    const now = new Date();
    return (await this.store.locks.list()).map((l) => ({ ...toInfo(l), expired: isExpired(l, now), ...(holderGone(l.info) ? { holderGone: true } : {}) }));
  }

  async lastApply(): Promise<LastApply | undefined> {
    const [r] = await this.store.audit.latest(1);
    return r ? { planId: r.planId, appliedAt: r.appliedAt, actor: r.actor, status: await this.statusOf(r) } : undefined;
  }

  async recordDecisions(planId: string, decisions: readonly RecordedDecision[]): Promise<void> {
    // Entries come from decisionRecords(): a 'kept' instance the plan does not touch is not among them.
    if (decisions.length === 0) return;
    await this.store.decisions.record(planId, Object.fromEntries(decisions.map((d) => [d.instance, d])));
    await this.store.decisions.prune(50);
  }

  async decisionHistory(instance: string): Promise<{ planId: string; recordedAt: string; decision: RecordedDecision }[]> {
    return (await this.store.decisions.history(instance)).map((r) => ({ planId: r.planId, recordedAt: r.recordedAt, decision: r.decision as RecordedDecision }));
  }

  async appliedPlan(planId: string): Promise<AppliedPlanInfo | undefined> {
    const r = await this.store.audit.get(planId);
    if (!r) return undefined;
    const results = Array.isArray(r.results) ? (r.results as { id?: unknown; status?: unknown }[]).filter((x) => typeof x?.id === 'string').map((x) => ({ id: String(x.id), status: String(x.status) })) : [];
    return { appliedAt: r.appliedAt, status: await this.statusOf(r), results };
  }

  /** A record still 'running' is interrupted when its lock is gone, expired, or held by a dead process of this host. */
  private async statusOf(r: AppliedPlanRecord): Promise<AppliedStatus> {
    if (r.status !== 'running') return r.status;
    const now = new Date();
    const locks = await this.store.locks.list();
    if (r.lockId === undefined) return locks.some((l) => l.name === 'apply' && !isExpired(l, now)) ? 'running' : 'interrupted';
    const lock = locks.find((l) => l.id === r.lockId);
    if (!lock || isExpired(lock, now)) return 'interrupted';
    return holderGone(lock.info) ? 'interrupted' : 'running';
  }

  async latestDecision(instance: string): Promise<{ planId: string; decision: Decision } | undefined> {
    const r = await this.store.decisions.latest(instance);
    return r ? { planId: r.planId, decision: r.decision as Decision } : undefined;
  }

  async recordAudit(record: AuditRecord): Promise<void> {
    await this.store.audit.record(record);
  }

  async startAudit(record: StartedAudit): Promise<string> {
    const { lockId, ...rest } = record;
    return this.store.audit.start({ ...rest, ...(lockId !== undefined ? { lockId } : {}) });
  }

  async updateAudit(ref: string, change: { results: unknown; status?: AuditRecord['status'] }): Promise<void> {
    await this.store.audit.update(ref, change);
  }

  async getMeta(key: string): Promise<string | undefined> {
    const v = await this.store.meta.get(key);
    return v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v);
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.store.meta.set(key, value);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

function toInfo(l: { id: string; name: string; holder: string; acquiredAt: string; expiresAt: string; info?: Record<string, unknown> }): LockInfo {
  return { id: l.id, name: l.name, holder: l.holder, acquiredAt: l.acquiredAt, expiresAt: l.expiresAt, ...(l.info && Object.keys(l.info).length ? { info: l.info } : {}) };
}

/** The holder named in a lock's info (host, pid) runs on this host and is no longer alive. */
export function holderGone(info: Record<string, unknown> | undefined): boolean {
  if (!info || info.host !== os.hostname() || typeof info.pid !== 'number') return false;
  try {
    process.kill(info.pid, 0);
    return false;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Open the state store for a policy directory: --state, else $QM_STATE, else DIR/.qm/state.db. */
export async function openEnginePort(dir: string, flag: string | undefined, env: Readonly<Record<string, string | undefined>>): Promise<EnginePort> {
  const { openStateStore, resolveStateLocation } = await import('../state/index.js');
  return new StorePort(await openStateStore(resolveStateLocation(dir, flag, env)));
}

/** Freeze a JSON value and everything in it. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
