/**
 * `qm simulate` as a function: load the policy (and the base revision's), observe the fleet once
 * (read-only, or a snapshot), fetch the metric history once for the whole window, then replay it
 * step by step through each revision (src/simulate). Never applies anything to a driver.
 */
import { headCommit } from '../config/load.js';
import type { CsvParse } from '../forecast/csv.js';
import type { MetricResult } from '../autoscaler/index.js';
import { metricKey, metricLabel } from '../autoscaler/index.js';
import type { PolicySet } from '../model/documents.js';
import { QmError } from '../model/errors.js';
import type { ObservedState } from '../model/state.js';
import { fetchSeries, stepFor, wantedMetrics } from '../metrics/index.js';
import { simulateRun, stepCount } from '../simulate/run.js';
import { buildReport } from '../simulate/report.js';
import type { SimulateReport } from '../simulate/types.js';
import type { MetricHistory } from '../simulate/window.js';
import { loadValidPolicy, observeSnapshot, policyDigest } from './plan.js';
import type { ValidPolicy } from './plan.js';
import { driversFor, observeFleet } from './observe.js';
import type { EnginePort } from './ports.js';

/** More steps than this is almost surely a mistake (a year at one minute): refused. */
export const MAX_STEPS = 50_000;

export interface SimulateOptions {
  dir: string;
  ref?: string | undefined;
  base?: string | undefined;
  snapshot?: string | undefined;
  store?: EnginePort | undefined;
  /** Unix seconds. */
  from: number;
  to: number;
  step: number;
  nodeStartup: number;
  /** The head policy, already loaded (the CLI loads it before opening a store). */
  loaded?: ValidPolicy | undefined;
  onStep?: (run: number, index: number) => void;
}

const iso = (t: number) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Check the window before any work; each problem is one sentence. */
export function checkWindow(from: number, to: number, step: number): void {
  if (!(step > 0)) throw new QmError('usage', `--step must be longer than 0s`, 'e.g. --step 5m');
  if (from >= to) throw new QmError('usage', `--from ${iso(from)} is not before --to ${iso(to)}`, 'swap them, or widen the window');
  const n = stepCount(from, to, step);
  if (n === 0) throw new QmError('usage', `the window ${iso(from)} … ${iso(to)} is shorter than one --step of ${step}s`, 'widen the window or shorten --step');
  if (n > MAX_STEPS) throw new QmError('usage', `the window ${iso(from)} … ${iso(to)} at --step ${step}s is ${n} steps, more than the ${MAX_STEPS} qm simulate replays`, 'shorten the window or lengthen --step');
}

/**
 * Every metric the policy references, over [from − lookback, to], fetched once. A recording
 * (`file.replay`) is placed once, as of `to`: inside the recording it does not move, and every
 * step sees the same dates. A source that cannot be read stops the simulation (figures computed
 * without it would mislead).
 */
export async function fetchHistory(policy: PolicySet, dir: string, from: number, to: number, commit: string | null, files: Map<string, Promise<CsvParse>>): Promise<MetricHistory> {
  const data: Record<string, MetricResult> = {};
  const lookback = new Map<string, number>();
  for (const w of wantedMetrics(policy)) {
    const key = metricKey(w.ref);
    lookback.set(key, w.lookback);
    const source = policy.metricSources.find((m) => m.metadata.name === w.ref.source);
    if (!source) throw new QmError('invalid', `metric ${metricLabel(w.ref)}: MetricSource ${w.ref.source} does not exist; nothing was simulated`, 'add the MetricSource or fix the name in the ScalingPolicy');
    const start = from - w.lookback;
    try {
      data[key] = { points: await fetchSeries(source, w.ref, { start, end: to, step: stepFor(to - start) }, { dir, files, commit }) };
    } catch (e) {
      const hint = (e as { hint?: string }).hint;
      throw new QmError('invalid', `${(e as Error).message}; nothing was simulated`, hint ?? 'qm plan shows the same source as a warning');
    }
  }
  const sorted: Record<string, MetricResult> = {};
  for (const k of Object.keys(data).sort()) sorted[k] = data[k]!;
  return { data: sorted, lookback };
}

async function observeStart(opts: SimulateOptions, policy: PolicySet): Promise<ObservedState> {
  if (opts.snapshot !== undefined) return observeSnapshot(opts.snapshot, policy);
  if (!opts.store) throw new QmError('usage', 'simulating from the drivers needs a state store');
  const drivers = driversFor(policy, opts.store);
  try {
    const obs = await observeFleet(policy, drivers, iso(opts.from));
    return { nodes: obs.nodes, instances: obs.instances, scalingHistory: obs.scalingHistory };
  } finally {
    await drivers.close();
  }
}

/** Run the simulation of head (and base); the report is deterministic for the same inputs. */
export async function runSimulate(opts: SimulateOptions): Promise<SimulateReport> {
  checkWindow(opts.from, opts.to, opts.step);
  const head = opts.loaded ?? (await loadValidPolicy(opts.dir, opts.ref, { command: 'simulate' }));
  const base = opts.base !== undefined ? await loadValidPolicy(opts.dir, opts.base, { command: 'simulate' }) : undefined;
  const observed = await observeStart(opts, head.policy);
  // Scaling that happened after --from has not happened yet at the simulated clock.
  const start: ObservedState = { ...observed, scalingHistory: observed.scalingHistory.filter((e) => Date.parse(e.at) / 1000 <= opts.from) };
  // fetchFrom: the commit whose files a revision's file sources are read from (null: the work tree).
  const revisions: { label: string; loaded: ValidPolicy; commit: string | null; fetchFrom: string | null }[] = [];
  if (base) revisions.push({ label: opts.base!, loaded: base, commit: base.gitCommit, fetchFrom: base.gitCommit });
  revisions.push({ label: opts.ref ?? 'HEAD', loaded: head, commit: opts.ref !== undefined ? head.gitCommit : await headCommit(opts.dir), fetchFrom: opts.ref !== undefined ? head.gitCommit : null });
  const runs = [];
  for (const [i, r] of revisions.entries()) {
    // Parsed files are cached per revision: base and head may hold different versions of a CSV.
    const history = await fetchHistory(r.loaded.policy, opts.dir, opts.from, opts.to, r.fetchFrom, new Map<string, Promise<CsvParse>>());
    runs.push(simulateRun({ policy: r.loaded.policy, ref: r.label, commit: r.commit, policyDigest: policyDigest(r.loaded), start, history, from: opts.from, to: opts.to, step: opts.step, nodeStartup: opts.nodeStartup, ...(opts.onStep ? { onStep: (k: number) => opts.onStep!(i, k) } : {}) }));
  }
  const warnings = [...head.diagnostics, ...(base?.diagnostics ?? [])].filter((d) => d.severity === 'warning').map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`);
  return buildReport({ from: iso(opts.from), to: iso(opts.to), step: opts.step, nodeStartup: opts.nodeStartup, runs, compare: base !== undefined, warnings: [...new Set(warnings)] });
}
