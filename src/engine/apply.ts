/**
 * `qm apply` as a function: verify the plan (integrity, policy, state store, freshness), hold the
 * lock, run the actions in order with bounded concurrency, stop what depends on a failure, finish
 * what does not, and write an audit record. Re-running after any failure converges.
 */
import os from 'node:os';
import type { PolicySet } from '../model/documents.js';
import { QmError } from '../model/errors.js';
import type { Plan, PlanAction } from '../model/plan.js';
import { computeScope, describeScopeChanges, scopeItems, stateFingerprint } from '../planner/fingerprint.js';
import { planIdOf } from '../planner/plan.js';
import type { Driver } from '../drivers/contract.js';
import { describeAction, DriverError } from '../drivers/contract.js';
import { driversFor, observeFleet } from './observe.js';
import type { DriverSet } from './observe.js';
import type { EnginePort, LockInfo } from './ports.js';
import { emptyPolicyError, isEmptyPolicy, loadPolicy } from './policy.js';
import { applyStopped, isStoreFailure } from '../state/failure.js';
import type { StoreFailure } from '../state/failure.js';
import { policyDigest } from './plan.js';
import type { ObservedNode } from '../model/state.js';
import { awaitRegistration, NodeBindings, startTimeoutMs } from './registration.js';
import { verifyPlanActions } from './verify-plan.js';

export const APPLY_LOCK = 'apply';
const LOCK_TTL_SECONDS = 300;

/** `pending`: its node was asked for but has not registered yet; the next reconcile places it. */
export type ActionStatus = 'ok' | 'failed' | 'skipped' | 'cancelled' | 'pending';

export interface ActionResult {
  id: string;
  action: string;
  status: ActionStatus;
  message: string;
  ms: number;
}

export interface ApplyEvents {
  start?(a: PlanAction): void;
  finish?(a: PlanAction, r: ActionResult): void;
}

export interface ApplyOptions {
  plan: Plan;
  dir: string;
  store: EnginePort;
  now: () => string;
  concurrency?: number;
  signal?: AbortSignal;
  events?: ApplyEvents;
  /** Who applies, for the lock and the audit record. */
  actor?: string;
  /** Skip taking the lock (the caller holds it, as reconcile does). */
  lockHeld?: boolean;
  /** The lock the caller holds (implies lockHeld): every action is fenced with it. */
  held?: HeldLock | undefined;
  /** The plan was made in this process (reconcile, apply without a plan file): no need to re-plan it to prove its actions. */
  trusted?: boolean;
}

export interface ApplyOutcome {
  status: 'applied' | 'failed' | 'partial';
  results: ActionResult[];
  /** Set when the apply lock was lost mid-apply: one sentence saying so (the actions left were not started). */
  lockLost?: string;
}

/** "user@host (pid N)". */
export function defaultActor(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    /* no passwd entry in some containers */
  }
  return `${user}@${os.hostname()} (pid ${process.pid})`;
}

/** "locked by … since … (lock id …)". */
export function lockedError(l: LockInfo): QmError {
  return new QmError('locked', `the state store is locked by ${l.holder} since ${l.acquiredAt} (lock id ${l.id})`, `wait for it to finish, or if it died: qm force-unlock ${l.id}`);
}

/** The apply lock, held and renewed until released. */
export interface HeldLock {
  readonly lock: LockInfo;
  /**
   * Renew the lock now and report whether it is still ours: the fence before each action. Once
   * lost (force-unlocked, or expired and taken over) it stays lost; the answer is a sentence.
   */
  check(): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Why the lock was lost, if it was (noticed by check() or by the periodic renewal). */
  readonly lost: string | undefined;
  release(): Promise<void>;
}

/** The sentence for a lost lock, naming who holds the apply lock now if anyone does. */
async function lostReason(store: EnginePort, lock: LockInfo): Promise<string> {
  const now = await store.listLocks().catch(() => []);
  const other = now.find((l) => l.name === lock.name && l.id !== lock.id);
  const how = other ? `it expired and ${other.holder} took it over (lock id ${other.id})` : 'it was released by someone else (qm force-unlock) or expired';
  return `this apply lost the state store's apply lock ${lock.id}: ${how}`;
}

/**
 * Take the apply lock (one apply or reconcile per state store) and keep renewing it until
 * released; a lock already held throws lockedError naming its holder. The lock records this
 * process (host, pid) so qm status can tell an apply whose process died.
 */
export async function takeApplyLock(store: EnginePort, holder: string): Promise<HeldLock> {
  const got = await store.acquireLock(APPLY_LOCK, holder, LOCK_TTL_SECONDS, { host: os.hostname(), pid: process.pid });
  if (!got.ok) throw lockedError(got.heldBy);
  const lock = got.lock;
  let lost: string | undefined;
  let released = false;
  // A lock id is never reused: a renewal by id succeeds only while no one else has held the lock since.
  const check = async (): Promise<{ ok: true } | { ok: false; reason: string }> => {
    if (lost === undefined && !released) {
      let mine: LockInfo | undefined;
      try {
        mine = await store.renewLock(lock.id, LOCK_TTL_SECONDS);
      } catch (e) {
        // A store that failed ends the apply as every store failure does (one sentence, see state/failure.ts).
        if (isStoreFailure(e)) throw e;
        // Unverifiable is not ours: starting an action without knowing is what the fence prevents.
        return { ok: false, reason: `the apply lock ${lock.id} could not be checked: ${(e as Error).message}` };
      }
      if (!mine) lost = await lostReason(store, lock);
    }
    return lost === undefined ? { ok: true } : { ok: false, reason: lost };
  };
  const renew = setInterval(() => void check().catch(() => undefined), (LOCK_TTL_SECONDS * 1000) / 3);
  renew.unref();
  return {
    lock,
    check,
    get lost() {
      return lost;
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(renew);
      // A lost lock is someone else's now: never release it.
      if (lost === undefined) await store.releaseLock(lock.id).catch(() => undefined);
    },
  };
}

/** Check a plan file before anything else touches the fleet. */
export function verifyPlanIntegrity(plan: Plan): void {
  const major = /^(\d+)\./.exec(String(plan.formatVersion))?.[1];
  if (major !== '1') throw new QmError('invalid', `plan format ${plan.formatVersion} is not supported by this qm (it reads 1.x)`, 'plan again with this version of qm');
  if (planIdOf(plan) !== plan.planId) throw new QmError('invalid', 'the plan file was changed after it was made (its content does not match its planId); it is refused', 'run qm plan again instead of editing a plan');
}

async function policyFor(plan: Plan, dir: string): Promise<PolicySet> {
  const work = await loadPolicy(dir);
  if (work.policy && policyDigest(work) === plan.inputs.policyDigest) return work.policy;
  if (plan.inputs.gitCommit) {
    const atCommit = await loadPolicy(dir, { ref: plan.inputs.gitCommit }).catch(() => undefined);
    if (atCommit?.policy && policyDigest(atCommit) === plan.inputs.policyDigest) return atCommit.policy;
  }
  if (isEmptyPolicy(work)) throw emptyPolicyError(dir, work, { command: 'apply' });
  throw new QmError('stale', `the plan was made for a different policy than the one in ${dir} (policy digest ${plan.inputs.policyDigest.slice(0, 19)}…)`, 'run qm plan again against this repository');
}

/** Route an action to the driver that carries it out. */
function driverFor(a: PlanAction, set: DriverSet, nodePool: Map<string, string>, policy: PolicySet): Driver {
  const pool =
    a.type === 'scalePool' ? a.pool :
    a.type === 'place' ? a.pool :
    a.type === 'move' ? nodePool.get(a.toNode) :
    a.type === 'scaleAgent' ? (policy.agents.find((x) => x.metadata.name === a.agent)?.spec.placement.pools?.[0] ?? policy.pools[0]?.metadata.name) :
    nodePool.get(a.node);
  const d = pool === undefined ? undefined : a.type === 'scalePool' ? set.scaleBy.get(pool) : set.placeBy.get(pool);
  if (!d) throw new QmError('invalid', `no driver serves ${describeAction(a)} (pool ${pool ?? 'unknown'})`);
  return d;
}

/** Apply a verified plan. Throws QmError for refusals; action failures come back in the outcome. */
export async function runApply(opts: ApplyOptions): Promise<ApplyOutcome> {
  const { plan, store } = opts;
  verifyPlanIntegrity(plan);
  if (plan.inputs.source?.startsWith('snapshot:')) throw new QmError('invalid', `the plan was made from ${plan.inputs.source.replace('snapshot:', 'the snapshot ')}, which is read-only; it cannot be applied`, 'plan against the drivers (without --snapshot) to apply');
  const policy = await policyFor(plan, opts.dir);
  const stateId = await store.stateId();
  if (plan.inputs.stateId && plan.inputs.stateId !== stateId) throw new QmError('stale', `the plan was made against another state store (${plan.inputs.stateId}), not ${store.location} (${stateId})`, 'plan again against this state store');
  const actor = opts.actor ?? defaultActor();

  const taken = opts.held !== undefined || opts.lockHeld ? undefined : await takeApplyLock(store, actor);
  const held = opts.held ?? taken;
  const set = driversFor(policy, store, opts.dir);
  try {
    const now = opts.now();
    const observed = await observeFleet(policy, set, now);
    const scope = plan.inputs.scope ?? {};
    const fresh = computeScope(policy, observed, scopeItems(scope));
    if (stateFingerprint(fresh) !== plan.inputs.stateFingerprint) {
      const changes = describeScopeChanges(scope, fresh);
      throw new QmError('stale', `the plan is stale: ${changes.length ? changes.join(', ') : 'the observed state changed'} since it was made`, 'run qm plan again');
    }
    if (!opts.trusted) await verifyPlanActions(plan, policy, observed, opts.dir);
    const nodePool = new Map(observed.nodes.map((n) => [n.name, n.pool]));
    for (const a of plan.actions) if (a.type === 'scalePool') for (const n of a.addNodes) nodePool.set(n, a.pool);
    // Recorded before the first action: a crash (kill -9, a lost machine) leaves a 'running' record that reads as interrupted.
    const auditRef = await store.startAudit({ planId: plan.planId, appliedAt: now, actor, plan, results: [], lockId: held?.lock.id });
    const progress = auditProgress(store, auditRef);
    const events: ApplyEvents = {
      start: (a) => opts.events?.start?.(a),
      finish: (a, r) => {
        progress.note(r);
        opts.events?.finish?.(a, r);
      },
    };
    const stop: { store?: StoreFailure } = {};
    const fence = held ? async () => { const c = await held.check(); return c.ok ? undefined : c.reason; } : undefined;
    const results = await execute(plan, policy, set, nodePool, observed.nodes, { ...opts, events }, stop, fence);
    const failed = results.some((r) => r.status === 'failed');
    // Pending actions wait for nodes still registering: nothing failed, the next reconcile places them.
    const incomplete = results.some((r) => r.status !== 'ok' && r.status !== 'pending');
    const outcome: ApplyOutcome = { status: !incomplete ? 'applied' : failed && !results.some((r) => r.status === 'ok') ? 'failed' : 'partial', results, ...(held?.lost !== undefined ? { lockLost: held.lost } : {}) };
    await progress.settle();
    const audit = store.updateAudit(auditRef, { results, status: outcome.status });
    // The store failed under the apply: one sentence for the whole run, the audit record if the store is back.
    if (stop.store) {
      await audit.catch(() => undefined);
      throw applyStopped(stop.store, held?.lock);
    }
    await audit;
    return outcome;
  } finally {
    await set.close();
    await taken?.release();
  }
}


/**
 * Results written to the running audit record as actions finish, at most every 250 ms and one
 * write at a time: a crash loses at most the last quarter second of results.
 */
function auditProgress(store: EnginePort, ref: string) {
  const done: ActionResult[] = [];
  let chain: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let last = 0;
  const flush = () => {
    timer = undefined;
    last = Date.now();
    const snapshot = [...done];
    // Best effort: the final update reports a store that is down.
    chain = chain.then(() => store.updateAudit(ref, { results: snapshot })).catch(() => undefined);
  };
  return {
    note(r: ActionResult) {
      done.push(r);
      if (timer) return;
      const wait = 250 - (Date.now() - last);
      if (wait <= 0) flush();
      else timer = setTimeout(flush, wait);
    },
    async settle() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await chain;
    },
  };
}

/**
 * Run the actions, at most `concurrency` at once, each after its dependencies succeeded. `fence`
 * runs before each action starts: a reason back (the apply lock was lost) cancels it and every
 * action not started yet. An abort signal (SIGINT, SIGTERM) lets the running ones finish and
 * starts nothing new; so does a failure of the state store (`stop`).
 */
async function execute(plan: Plan, policy: PolicySet, set: DriverSet, nodePool: Map<string, string>, observedNodes: readonly ObservedNode[], opts: ApplyOptions, stop: { store?: StoreFailure } = {}, fence?: () => Promise<string | undefined>): Promise<ActionResult[]> {
  const limit = Math.max(1, opts.concurrency ?? 4);
  const results = new Map<string, ActionResult>();
  const pending = [...plan.actions];
  const running = new Map<string, Promise<void>>();
  const done = (id: string) => results.has(id);
  // A pending action counts as settled for its dependents: they are pending too (see run).
  const ok = (id: string) => results.get(id)?.status === 'ok' || results.get(id)?.status === 'pending';
  let fenced: string | undefined;
  const halted = () => fenced !== undefined || stop.store !== undefined || opts.signal?.aborted === true;
  const cancel = (a: PlanAction) => {
    const message = stop.store ? 'not started: the state store failed' : fenced !== undefined ? `not started: ${fenced}` : 'not started: the apply was interrupted';
    const r: ActionResult = { id: a.id, action: describeAction(a), status: 'cancelled', message, ms: 0 };
    results.set(a.id, r);
    // After a store failure the run ends with one sentence, not one line per action never started.
    if (!stop.store) opts.events?.finish?.(a, r);
  };

  const bindings = new NodeBindings();
  const poolNodes = (pool: string) => observedNodes.filter((n) => n.pool === pool);
  const pendingOn = new Map<string, string>();
  /** After a scale-up: wait for the nodes it asked for and bind the planned names to them. */
  const register = async (a: Extract<PlanAction, { type: 'scalePool' }>): Promise<string> => {
    const pool = policy.pools.find((p) => p.metadata.name === a.pool);
    const placer = set.placeBy.get(a.pool);
    if (!pool || !placer) return 'done';
    const doc = (name: string | undefined) => policy.drivers.find((d) => d.metadata.name === name);
    const timeoutMs = startTimeoutMs(doc(pool.spec.provisioner), doc(pool.spec.driver));
    const reg = await awaitRegistration({ policy, pool, placer, before: poolNodes(a.pool), taken: bindings.taken(), action: a, now: opts.now, timeoutMs, signal: opts.signal });
    bindings.add(reg, a.id);
    for (const [planned, real] of reg.bound) nodePool.set(real, nodePool.get(planned) ?? a.pool);
    const renamed = [...reg.bound].filter(([p, real]) => p !== real).map(([p, real]) => `${p} → ${real}`);
    const parts = [renamed.length ? `nodes registered as ${renamed.join(', ')}` : ''];
    if (reg.unbound.length) parts.push(`${reg.unbound.join(', ')} not registered and ready within ${Math.round(timeoutMs / 1000)}s: what the plan put there stays pending for the next reconcile`);
    return parts.filter(Boolean).join('; ') || 'done';
  };

  const run = async (a: PlanAction) => {
    // The fence: the lock must still be this apply's when an action starts.
    let refused = fenced;
    try {
      refused ??= await fence?.();
    } catch (e) {
      if (!isStoreFailure(e)) throw e;
      stop.store ??= e;
    }
    if (refused !== undefined || stop.store) {
      fenced ??= refused;
      cancel(a);
      return;
    }
    opts.events?.start?.(a);
    const t = performance.now();
    let r: ActionResult;
    const missing = bindings.missing(a) ?? (a.dependsOn ?? []).map((d) => pendingOn.get(d)).find((x) => x !== undefined);
    if (missing) {
      const node = typeof missing === 'string' ? missing : missing.node;
      pendingOn.set(a.id, node);
      r = { id: a.id, action: describeAction(a), status: 'pending', message: `pending: node ${node} has not registered yet; the next reconcile places it`, ms: 0 };
      results.set(a.id, r);
      opts.events?.finish?.(a, r);
      return;
    }
    try {
      const act = bindings.rewrite(a);
      const driver = driverFor(act, set, nodePool, policy);
      const pools = set.drivers.get(driver.name)?.pools ?? [];
      await driver.apply(act, { policy, pools, now: opts.now(), planId: plan.planId, ...(act.type === 'scalePool' ? { poolNodes: poolNodes(act.pool) } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
      const message = act.type === 'scalePool' && act.addNodes.length ? await register(act) : 'done';
      r = { id: a.id, action: describeAction(act), status: 'ok', message, ms: performance.now() - t };
    } catch (e) {
      if (isStoreFailure(e)) stop.store ??= e;
      const msg = e instanceof DriverError || e instanceof QmError ? e.message : `driver error: ${(e as Error).message}`;
      r = { id: a.id, action: describeAction(a), status: 'failed', message: msg, ms: performance.now() - t };
    }
    results.set(a.id, r);
    opts.events?.finish?.(a, r);
  };

  while (pending.length || running.size) {
    let launched = false;
    for (let i = 0; i < pending.length && running.size < limit; ) {
      const a = pending[i]!;
      const deps = a.dependsOn ?? [];
      if (halted()) break;
      if (deps.some((d) => done(d) && !ok(d))) {
        const failedDep = deps.find((d) => done(d) && !ok(d))!;
        const r: ActionResult = { id: a.id, action: describeAction(a), status: 'skipped', message: `skipped: it depends on ${failedDep}, which did not succeed`, ms: 0 };
        results.set(a.id, r);
        opts.events?.finish?.(a, r);
        pending.splice(i, 1);
        launched = true;
        continue;
      }
      if (deps.every(ok)) {
        pending.splice(i, 1);
        const p = run(a).finally(() => running.delete(a.id));
        running.set(a.id, p);
        launched = true;
        continue;
      }
      i++;
    }
    if (halted() && running.size === 0) {
      for (const a of pending.splice(0)) cancel(a);
      break;
    }
    if (running.size) await Promise.race(running.values());
    else if (!launched && pending.length) {
      // Dependencies that name no earlier action: run them in order rather than deadlock.
      const a = pending.shift()!;
      await run(a);
    }
  }
  return plan.actions.map((a) => results.get(a.id)!);
}
