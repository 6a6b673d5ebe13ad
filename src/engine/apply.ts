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
}

export interface ApplyOutcome {
  status: 'applied' | 'failed' | 'partial';
  results: ActionResult[];
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
  release(): Promise<void>;
}

/**
 * Take the apply lock (one apply or reconcile per state store) and keep renewing it until
 * released; a lock already held throws lockedError naming its holder.
 */
export async function takeApplyLock(store: EnginePort, holder: string): Promise<HeldLock> {
  const got = await store.acquireLock(APPLY_LOCK, holder, LOCK_TTL_SECONDS);
  if (!got.ok) throw lockedError(got.heldBy);
  const lock = got.lock;
  const renew = setInterval(() => void store.renewLock(lock.id, LOCK_TTL_SECONDS).catch(() => undefined), (LOCK_TTL_SECONDS * 1000) / 3);
  renew.unref();
  let released = false;
  return {
    lock,
    async release() {
      if (released) return;
      released = true;
      clearInterval(renew);
      await store.releaseLock(lock.id).catch(() => undefined);
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

  const held = opts.lockHeld ? undefined : await takeApplyLock(store, actor);
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
    const nodePool = new Map(observed.nodes.map((n) => [n.name, n.pool]));
    for (const a of plan.actions) if (a.type === 'scalePool') for (const n of a.addNodes) nodePool.set(n, a.pool);
    const stop: { store?: StoreFailure } = {};
    const results = await execute(plan, policy, set, nodePool, observed.nodes, { ...opts, now: opts.now }, stop);
    const failed = results.some((r) => r.status === 'failed');
    // Pending actions wait for nodes still registering: nothing failed, the next reconcile places them.
    const incomplete = results.some((r) => r.status !== 'ok' && r.status !== 'pending');
    const outcome: ApplyOutcome = { status: !incomplete ? 'applied' : failed && !results.some((r) => r.status === 'ok') ? 'failed' : 'partial', results };
    const audit = store.recordAudit({ planId: plan.planId, appliedAt: opts.now(), actor, status: outcome.status, plan, results });
    // The store failed under the apply: one sentence for the whole run, the audit record if the store is back.
    if (stop.store) {
      await audit.catch(() => undefined);
      throw applyStopped(stop.store, held?.lock);
    }
    await audit;
    return outcome;
  } finally {
    await set.close();
    await held?.release();
  }
}

async function execute(plan: Plan, policy: PolicySet, set: DriverSet, nodePool: Map<string, string>, observedNodes: readonly ObservedNode[], opts: ApplyOptions, stop: { store?: StoreFailure } = {}): Promise<ActionResult[]> {
  const limit = Math.max(1, opts.concurrency ?? 4);
  const results = new Map<string, ActionResult>();
  const pending = [...plan.actions];
  const running = new Map<string, Promise<void>>();
  const done = (id: string) => results.has(id);
  // A pending action counts as settled for its dependents: they are pending too (see run).
  const ok = (id: string) => results.get(id)?.status === 'ok' || results.get(id)?.status === 'pending';

  const bindings = new NodeBindings();
  const poolNodes = (pool: string) => observedNodes.filter((n) => n.pool === pool);
  const pendingOn = new Map<string, string>();
  /** After a scale-up: wait for the nodes it asked for and bind the planned names to them. */
  const register = async (a: Extract<PlanAction, { type: 'scalePool' }>): Promise<string> => {
    const pool = policy.pools.find((p) => p.metadata.name === a.pool);
    const placer = set.placeBy.get(a.pool);
    if (!pool || !placer) return 'done';
    const provisioner = policy.drivers.find((d) => d.metadata.name === (pool.spec.provisioner ?? pool.spec.driver));
    const timeoutMs = startTimeoutMs(provisioner);
    const reg = await awaitRegistration({ policy, pool, placer, before: poolNodes(a.pool), taken: bindings.taken(), action: a, now: opts.now, timeoutMs, signal: opts.signal });
    bindings.add(reg, a.id);
    for (const [planned, real] of reg.bound) nodePool.set(real, nodePool.get(planned) ?? a.pool);
    const renamed = [...reg.bound].filter(([p, real]) => p !== real).map(([p, real]) => `${p} → ${real}`);
    const parts = [renamed.length ? `nodes registered as ${renamed.join(', ')}` : ''];
    if (reg.unbound.length) parts.push(`${reg.unbound.join(', ')} not registered and ready within ${Math.round(timeoutMs / 1000)}s: what the plan put there stays pending for the next reconcile`);
    return parts.filter(Boolean).join('; ') || 'done';
  };

  const run = async (a: PlanAction) => {
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
      if (opts.signal?.aborted || stop.store) break;
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
    if ((opts.signal?.aborted || stop.store) && running.size === 0) {
      for (const a of pending.splice(0)) {
        const r: ActionResult = { id: a.id, action: describeAction(a), status: 'cancelled', message: stop.store ? 'not started: the state store failed' : 'not started: the apply was interrupted', ms: 0 };
        results.set(a.id, r);
        // After a store failure the run ends with one sentence, not one line per action never started.
        if (!stop.store) opts.events?.finish?.(a, r);
      }
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
