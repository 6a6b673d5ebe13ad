/**
 * `qm serve` as a function: a loop around engine/reconcile.ts. Every interval the replica makes
 * sure it leads (leader.ts), optionally fast-forwards its checkout, reconciles in report or fix
 * mode and records the run in the metrics. Followers only try to lead. `stop()` ends the loop
 * after the run in flight and releases the leader lock.
 */
import { simpleGit } from 'simple-git';
import { isTransient, reconcileOnce } from '../engine/reconcile.js';
import type { ReconcileMode, ReconcileRun } from '../engine/reconcile.js';
import type { ValidPolicy } from '../engine/plan.js';
import type { ReusablePlan } from '../engine/plan-reuse.js';
import type { PolicyCache } from '../engine/policy.js';
import { StorePort } from '../engine/store-port.js';
import { QmError } from '../model/errors.js';
import type { StateStore } from '../state/store.js';
import { Leadership } from './leader.js';
import type { Logger } from './log.js';
import type { ReconcileResult, ServeMetrics } from './metrics.js';
import { usageSamples } from './usage.js';

export interface ServiceOptions {
  dir: string;
  mode: ReconcileMode;
  intervalMs: number;
  leaseSeconds: number;
  /** `git pull --ff-only REMOTE BRANCH` before each run. */
  gitPull?: { remote: string; branch: string } | undefined;
  store: StateStore;
  holder: string;
  log: Logger;
  metrics: ServeMetrics;
  /** The policy read at start-up (used by the first run when no pull comes before it). */
  loaded?: ValidPolicy | undefined;
  /** Reuse the previous plan when nothing it is made from changed (default true; QM_SERVE_REUSE_PLAN=off). */
  reusePlans?: boolean | undefined;
  /** Usage samples older than this are pruned, at most once an hour (0 or absent: kept forever). */
  usageRetentionSeconds?: number | undefined;
  /** The validation of the policy files, kept between runs (filled by the start-up load when it used it). */
  policyCache?: PolicyCache | undefined;
}

/** What /readyz answers. */
export interface Readiness {
  ready: boolean;
  reason: string;
}

/** How often old usage samples are pruned. */
const PRUNE_EVERY_MS = 3600_000;

export class Service {
  private readonly port: StorePort;
  private readonly leadership: Leadership;
  private stopping = false;
  private readonly wake = new AbortController();
  /** Aborted by a second signal: the apply in flight then stops starting actions. */
  readonly abortApply = new AbortController();
  private loaded: ValidPolicy | undefined;
  private readonly policyCache: PolicyCache;
  private firstRunDone = false;
  private triedLeading = false;
  private lastError: string | undefined;
  /** The last plan made (not reused), its input key and when it was made (performance.now ms). */
  private lastPlan: (ReusablePlan & { madeAt: number }) | undefined;

  constructor(private readonly o: ServiceOptions) {
    this.port = new StorePort(o.store);
    this.loaded = o.loaded;
    this.policyCache = o.policyCache ?? {};
    this.leadership = new Leadership(o.store.locks, o.holder, o.leaseSeconds, o.log, (leader) => {
      o.metrics.leader.set(leader ? 1 : 0);
      o.metrics.changed();
      if (!leader) o.metrics.clearFleet();
      // Another replica may have changed the fleet meanwhile (its observation would show it, but be plain about it).
      this.lastPlan = undefined;
    });
  }

  /** Ready: a leader after its first finished reconcile, a follower after its first try to lead; and the store answers. */
  async readiness(): Promise<Readiness> {
    const store = await Promise.race([
      this.o.store.schemaVersion().then(() => undefined, (e: unknown) => (e as Error).message),
      new Promise<string>((r) => setTimeout(() => r('no answer within 2s'), 2000).unref()),
    ]);
    if (store !== undefined) return { ready: false, reason: `the state store ${this.o.store.location} does not answer: ${store}` };
    if (!this.triedLeading) return { ready: false, reason: 'starting: the leader lock was not tried yet' };
    if (this.leadership.isLeader && !this.firstRunDone) return { ready: false, reason: this.lastError ? `no reconcile has finished yet; the last one failed: ${this.lastError}` : 'the first reconcile has not finished yet' };
    return { ready: true, reason: this.leadership.isLeader ? 'leader' : 'follower' };
  }

  /** Run until stop(); never throws (every failure is logged and counted). */
  async run(): Promise<void> {
    while (!this.stopping) {
      await this.tick();
      // Whatever the tick recorded is in the next scrape (ServeMetrics caches the qm_* text).
      this.o.metrics.changed();
      if (this.stopping) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.o.intervalMs);
        this.wake.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    }
    await this.leadership.release();
  }

  /** Stop scheduling; run() returns once the run in flight has finished and the lock is released. */
  stop(): void {
    this.stopping = true;
    this.wake.abort();
  }

  private async tick(): Promise<void> {
    let leader = false;
    try {
      leader = await this.leadership.tryAcquire();
    } catch (e) {
      this.o.log.log('error', 'could not take the leader lock', { error: (e as Error).message });
    }
    this.triedLeading = true;
    if (!leader) return;
    if (this.o.gitPull) await this.pull(this.o.gitPull);
    if (this.stopping || !this.leadership.isLeader) return;
    await this.reconcile();
  }

  private async pull(to: { remote: string; branch: string }): Promise<void> {
    try {
      const r = await simpleGit({ baseDir: this.o.dir }).pull(to.remote, to.branch, { '--ff-only': null });
      if (r.summary.changes || r.files.length) this.o.log.log('info', 'pulled new commits', { remote: to.remote, branch: to.branch, files: r.files.length });
      // The policy changed under us: the start-up copy is no longer it.
      this.loaded = undefined;
    } catch (e) {
      this.o.log.log('warn', 'git pull failed; reconciling the last good checkout', { remote: to.remote, branch: to.branch, error: firstLine((e as Error).message) });
    }
  }

  private async reconcile(): Promise<void> {
    const started = performance.now();
    const loaded = this.loaded;
    this.loaded = undefined;
    let result: ReconcileResult;
    const previous = this.reusable();
    this.lastPlan = undefined;
    try {
      const run = await reconcileOnce({ dir: this.o.dir, store: this.port, mode: this.o.mode, now: isoNow, signal: this.abortApply.signal, actor: this.o.holder, loaded, usage: true, reuse: { previous }, policyCache: this.policyCache });
      if (run.reused) this.o.metrics.planReused.inc();
      if (run.inputKey !== undefined) this.lastPlan = { key: run.inputKey, plan: run.plan, madeAt: run.reused && previous ? previous.madeAt : performance.now() };
      result = this.record(run);
      await this.recordUsage(run);
      this.firstRunDone = true;
      this.lastError = undefined;
    } catch (e) {
      result = 'error';
      this.lastError = firstLine((e as Error).message);
      const hint = e instanceof QmError ? e.hint : undefined;
      this.o.log.log(isTransient(e) ? 'warn' : 'error', 'reconcile failed', { error: this.lastError, ...(hint ? { hint } : {}), ...(e instanceof QmError ? { code: e.code } : {}) });
    }
    const seconds = (performance.now() - started) / 1000;
    this.o.metrics.runEnded(result, seconds, new Date());
  }

  /** One usage sample per measured instance into the state store; a failure is logged, never fails the run. */
  private async recordUsage(run: ReconcileRun): Promise<void> {
    const samples = usageSamples(run.observed);
    if (samples.length === 0) return;
    try {
      await this.o.store.usage.record(samples);
    } catch (e) {
      this.o.log.log('warn', 'could not record usage samples', { error: firstLine((e as Error).message), samples: samples.length });
    }
    await this.pruneUsage(Date.now());
  }

  private lastPrune = -Infinity;

  /**
   * Keep the usage history bounded (qm recommend reads its window, 8 days by default): samples older
   * than the retention go, checked at most once an hour so a prune never rides on every run.
   */
  private async pruneUsage(nowMs: number): Promise<void> {
    const keep = this.o.usageRetentionSeconds;
    if (!keep || nowMs - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = nowMs;
    const before = new Date(nowMs - keep * 1000).toISOString();
    try {
      const pruned = await this.o.store.usage.prune(before);
      if (pruned > 0) this.o.log.log('info', 'pruned usage samples', { before, samples: pruned });
    } catch (e) {
      this.o.log.log('warn', 'could not prune usage samples', { error: firstLine((e as Error).message), before });
    }
  }

  /**
   * The plan the next run may reuse when nothing it was made from changed (engine/plan-reuse.ts):
   * the last run's plan if that run succeeded, in fix mode only a plan with nothing to do (a plan
   * with actions is applied, so the next run must observe the result and plan again), and never
   * one older than REPLAN_AFTER_MS, so a full plan still runs regularly.
   */
  private reusable(): (ReusablePlan & { madeAt: number }) | undefined {
    const p = this.lastPlan;
    if (!p || this.o.reusePlans === false || performance.now() - p.madeAt > REPLAN_AFTER_MS) return undefined;
    if (this.o.mode === 'fix' && p.plan.changes) return undefined;
    return p;
  }

  private record(run: ReconcileRun): ReconcileResult {
    const { metrics, log } = this.o;
    metrics.fleet(run.plan, run.observed, run.inputKey);
    const base = { plan_id: run.plan.planId, mode: this.o.mode, drift: run.drift.length, blocked: run.plan.summary.blocked, ...(run.reused ? { plan: 'reused' } : {}) };
    if (run.outcome) {
      metrics.applied(run.plan, run.outcome);
      const failed = run.outcome.results.filter((r) => r.status !== 'ok' && r.status !== 'pending');
      if (run.outcome.status === 'applied') {
        log.log('info', 'drift fixed', { ...base, actions: run.outcome.results.length });
        // What was fixed is gone: the gauges say so until the next run observes again.
        metrics.drift.set(0);
        return 'ok';
      }
      log.log('error', 'fix incomplete', { ...base, status: run.outcome.status, failed: failed.slice(0, 20).map((r) => `${r.id} ${r.action}: ${r.message}`) });
      return 'failed';
    }
    if (run.drift.length === 0) {
      log.log('info', 'in sync', base);
      return 'ok';
    }
    log.log('warn', 'drift detected', { ...base, details: run.drift.slice(0, 20) });
    return 'drift';
  }
}

/** A reused plan is planned afresh at least this often (ms), whatever the inputs say. */
export const REPLAN_AFTER_MS = 10 * 60_000;

const isoNow = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const firstLine = (s: string) => s.split('\n')[0] ?? s;
