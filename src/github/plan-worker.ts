/**
 * Plans one revision, in a worker thread when possible: a pull request is planned twice (base and
 * head) and planning is CPU-bound, so the base plan runs beside the head plan on a second core.
 * From TypeScript sources (the tests) there is no worker: the plan runs in this thread.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { QmError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import { InvalidPolicyError, runPlan } from '../engine/plan.js';
import type { EnginePort } from '../engine/ports.js';

export interface RevisionJob {
  dir: string;
  ref: string;
  snapshot?: string | undefined;
  now: string;
  /** Where the state store is (a worker opens its own connection). */
  stateLocation?: string | undefined;
  /** Plan a revision without any policy document instead of refusing it (a pull request's base). */
  allowEmptyPolicy?: boolean | undefined;
}

/** What the pull-request flow needs of a revision's plan. */
export type RevisionPlan =
  | { ok: true; plan: Plan; pools: { name: string; spec: string; costPerHour: number }[] }
  | { ok: false; invalid: boolean; errors: number; message: string; hint?: string | undefined; code: string };

/** A view of the engine port that does not record decisions: a pull request's plans must not change what `qm explain` says. */
export function quiet(port: EnginePort): EnginePort {
  return Object.create(port, { recordDecisions: { value: async () => undefined } }) as EnginePort;
}

/** Plan `job` with `port` in this thread; expected failures come back as values. */
export async function planRevision(job: RevisionJob, port: EnginePort | undefined): Promise<RevisionPlan> {
  try {
    const r = await runPlan({ dir: job.dir, ref: job.ref, snapshot: job.snapshot, now: job.now, store: port ? quiet(port) : undefined, allowEmptyPolicy: job.allowEmptyPolicy });
    return { ok: true, plan: r.plan, pools: r.policy.pools.map((p) => ({ name: p.metadata.name, spec: JSON.stringify(p.spec), costPerHour: p.spec.node.costPerHour ?? 0 })) };
  } catch (e) {
    if (e instanceof InvalidPolicyError) return { ok: false, invalid: true, errors: e.diagnostics.filter((d) => d.severity === 'error').length, message: e.message, code: e.code };
    if (e instanceof QmError) return { ok: false, invalid: false, errors: 0, message: e.message, hint: e.hint, code: e.code };
    throw e;
  }
}

async function openPort(location: string): Promise<{ port: EnginePort; close: () => Promise<void> }> {
  const { openStateStore } = await import('../state/index.js');
  const { StorePort } = await import('../engine/store-port.js');
  const store = await openStateStore(location);
  return { port: new StorePort(store), close: () => store.close() };
}

/** Plan in a worker thread when running from compiled JavaScript, else in this thread with `port`. */
export function planRevisionConcurrently(job: RevisionJob, port: EnginePort | undefined): Promise<RevisionPlan> {
  const self = new URL(import.meta.url);
  if (!self.pathname.endsWith('.js') || (job.snapshot === undefined && job.stateLocation === undefined)) return planRevision(job, port);
  return new Promise((resolve) => {
    let settled = false;
    // A worker that cannot start or dies is no reason to fail the plan: plan here instead.
    const fallback = () => {
      if (settled) return;
      settled = true;
      resolve(planRevision(job, port));
    };
    let w: Worker;
    try {
      w = new Worker(self, { workerData: { qmRevisionJob: job } });
    } catch {
      return fallback();
    }
    w.once('message', (m: { result?: RevisionPlan; error?: string }) => {
      if (!m.result) return fallback();
      settled = true;
      resolve(m.result);
    });
    w.once('error', fallback);
    w.once('exit', fallback);
  });
}

// The worker's side: plan the job it was given and post the result back.
if (!isMainThread && parentPort && (workerData as { qmRevisionJob?: RevisionJob } | null)?.qmRevisionJob) {
  const job = (workerData as { qmRevisionJob: RevisionJob }).qmRevisionJob;
  const port = parentPort;
  void (async () => {
    const opened = job.snapshot === undefined && job.stateLocation !== undefined ? await openPort(job.stateLocation) : undefined;
    try {
      port.postMessage({ result: await planRevision(job, opened?.port) });
    } finally {
      await opened?.close();
    }
  })().catch((e: unknown) => port.postMessage({ error: e instanceof Error ? e.message : String(e) }));
}
