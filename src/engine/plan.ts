/** `qm plan` as a function: load → validate → observe → schedule → plan JSON. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeUtf8, headCommit } from '../config/load.js';
import { readSnapshot } from '../config/snapshot.js';
import type { Diagnostic } from '../model/diagnostic.js';
import type { PolicySet } from '../model/documents.js';
import { planInputKey, reuseBlocker } from './plan-reuse.js';
import type { ReusablePlan } from './plan-reuse.js';
import { QmError } from '../model/errors.js';
import type { Plan } from '../model/plan.js';
import type { ObservedState } from '../model/state.js';
import { digest } from '../model/digest.js';
import { makePlan } from '../planner/plan.js';
import { measureUtilization, usesUtilization } from '../metrics/utilization.js';
import type { Decision } from '../scheduler/index.js';
import { decisionRecords } from './decisions.js';
import type { LoadedPolicy, PolicyCache } from './policy.js';
import { emptyPolicyError, isEmptyPolicy, loadPolicy } from './policy.js';
// The drivers and metric sources are imported when used: a snapshot plan without ScalingPolicies
// needs neither, and loading every driver was a tenth of `qm plan --snapshot`'s start-up.
import type { ObservedFleet } from './observe.js';
import type { EnginePort } from './ports.js';

/** Thrown when the policy has errors: carries the diagnostics for the CLI to print. */
export class InvalidPolicyError extends QmError {
  constructor(
    readonly diagnostics: Diagnostic[],
    readonly loaded: LoadedPolicy,
  ) {
    super('invalid', `the policy has ${diagnostics.filter((d) => d.severity === 'error').length} error(s); nothing was planned`, 'run qm validate for details');
  }
}

export interface PlanOptions {
  dir: string;
  ref?: string | undefined;
  /** Plan against this snapshot file (read-only) instead of the drivers. */
  snapshot?: string | undefined;
  /** ISO 8601 clock of the plan. */
  now: string;
  /** Needed unless planning from a snapshot. */
  store?: EnginePort | undefined;
  /** The policy, already loaded with loadValidPolicy (from `dir` at `ref`): not read again. */
  loaded?: ValidPolicy | undefined;
  /** The fleet, already observed through the drivers of this policy (qm status): not observed again. */
  observed?: ObservedFleet | undefined;
  /** Plan an empty policy instead of refusing it (the base of a pull request that adds the first files). */
  allowEmptyPolicy?: boolean | undefined;
  /** Have the drivers measure real use (qm serve records it); plans whose ScalingPolicies target utilisation always do. */
  usage?: boolean | undefined;
  /**
   * Offer to reuse a plan made earlier (qm serve): when the policy allows it (reuseBlocker) and the
   * inputs have the same key, that plan is returned instead of planning again (`reused`), and the
   * key of this run's inputs is returned either way (`inputKey`). Never with a snapshot.
   */
  reuse?: { previous?: ReusablePlan | undefined } | undefined;
  /** Reuse the validation of unchanged policy files (see PolicyCache). */
  policyCache?: PolicyCache | undefined;
  /**
   * Whether the caller uses the returned decisions (default true). When false and nothing records
   * them (a snapshot, or no store), planning skips their candidate records: on a trace-sized batch,
   * scoring every feasible node once more per placement was about half of `qm plan --snapshot`.
   */
  decisions?: boolean | undefined;
}

export type ValidPolicy = LoadedPolicy & { policy: PolicySet };

export interface LoadValidOptions {
  /** Accept a directory without a single policy document (refused by default: see isEmptyPolicy). */
  allowEmpty?: boolean | undefined;
  /** The qm command, for the hint of an empty directory. */
  command?: string | undefined;
  /** Reuse the validation of unchanged files (qm serve: see PolicyCache). */
  cache?: PolicyCache | undefined;
}

export interface PlanRun {
  plan: Plan;
  /** Without candidate records when `decisions: false` was asked for and nothing records them. */
  decisions: Decision[];
  policy: PolicySet;
  loaded: LoadedPolicy;
  observed: ObservedState;
  /** With `reuse`: the key of this run's inputs (planInputKey), unless the policy forbids reuse. */
  inputKey?: string | undefined;
  /** With `reuse`: true when the previous plan was returned instead of a new one (decisions are then empty). */
  reused?: boolean;
}

/** Digest of the policy files as loaded: paths and texts, sorted. */
export function policyDigest(loaded: LoadedPolicy): string {
  return digest(loaded.files.map((f) => [f.path, f.text]));
}

/** Load a valid policy or throw InvalidPolicyError; a directory without any policy document is refused too. */
export async function loadValidPolicy(dir: string, ref?: string, opts: LoadValidOptions = {}): Promise<ValidPolicy> {
  const loaded = await loadPolicy(dir, ref !== undefined ? { ref } : {}, opts.cache);
  if (!loaded.policy) throw new InvalidPolicyError(loaded.diagnostics, loaded);
  if (!opts.allowEmpty && isEmptyPolicy(loaded)) throw emptyPolicyError(dir, loaded, { ref, command: opts.command });
  return loaded as ValidPolicy;
}

/**
 * Thrown when a snapshot file has problems: carries every one of them (the CLI prints them the way
 * qm validate does); the message lists them too, one `file:line:column: message` a line.
 */
export class InvalidSnapshotError extends QmError {
  constructor(
    readonly file: string,
    readonly diagnostics: Diagnostic[],
    /** The snapshot's text, for code frames; keyed by the diagnostics' file name. */
    readonly sources: ReadonlyMap<string, string>,
  ) {
    const n = diagnostics.length;
    super(
      'invalid',
      n === 1 ? `${file}:${diagnostics[0]!.line}:${diagnostics[0]!.column}: ${diagnostics[0]!.message}` : `the snapshot ${file} has ${n} problems:\n${diagnostics.map((d) => `  ${d.file}:${d.line}:${d.column}: ${d.message}`).join('\n')}`,
      n === 1 ? diagnostics[0]!.hint : 'fix them all, then plan again',
    );
  }
}

const SNAPSHOT_FORMAT = "a snapshot is a YAML or JSON file with nodes and instances, the format 'qm status --format json' prints";
const READ_ERRORS: Record<string, string> = { ENOENT: 'it does not exist', EISDIR: 'it is a directory', EACCES: 'permission denied', EPERM: 'permission denied' };

/** Observe from a snapshot file. */
export async function observeSnapshot(file: string, policy: PolicySet): Promise<ObservedState> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new QmError('usage', `snapshot ${file} cannot be read: ${(code && READ_ERRORS[code]) ?? code ?? (e as Error).message}`, SNAPSHOT_FORMAT);
  }
  const name = path.basename(file);
  const dec = decodeUtf8(buf);
  if (!dec.ok) {
    throw new InvalidSnapshotError(file, [{ severity: 'error', code: 'InvalidEncoding', file: name, line: dec.line, column: dec.column, jsonPointer: '', message: 'not a snapshot: the file is not UTF-8 text', hint: SNAPSHOT_FORMAT }], new Map());
  }
  const text = dec.text;
  const res = readSnapshot(name, text, policy);
  const errors = res.diagnostics.filter((d) => d.severity === 'error');
  // No code frames for a file that is not a snapshot at all: its text is not shown (it may be any file).
  if (!res.state) throw new InvalidSnapshotError(file, errors, errors.some((d) => d.code === 'NotAMapping') ? new Map() : new Map([[name, text]]));
  return res.state;
}

/** Plan: never changes infrastructure; records the decisions for `qm explain` when a store is given. */
export async function runPlan(opts: PlanOptions): Promise<PlanRun> {
  const loaded = opts.loaded ?? (await loadValidPolicy(opts.dir, opts.ref, { allowEmpty: opts.allowEmptyPolicy, cache: opts.policyCache }));
  const policy = loaded.policy;
  // git runs in child processes while the snapshot is read and parsed.
  const commitOfHead = opts.ref !== undefined ? undefined : headCommit(opts.dir);
  let observed: ObservedState;
  let source: string;
  let stateId: string | null = null;
  const warnings: { code: string; message: string }[] = loaded.diagnostics.filter((d) => d.severity === 'warning').map((d) => ({ code: d.code, message: `${d.file}:${d.line}:${d.column}: ${d.message}` }));
  if (opts.snapshot !== undefined) {
    observed = await observeSnapshot(opts.snapshot, policy);
    source = `snapshot:${path.basename(opts.snapshot)}`;
  } else {
    if (!opts.store) throw new QmError('usage', 'planning against drivers needs a state store');
    const { driversFor, observeFleet } = await import('./observe.js');
    const drivers = driversFor(policy, opts.store, opts.dir);
    try {
      const usage = Boolean(opts.usage) || usesUtilization(policy);
      const obs = opts.observed ?? (await observeFleet(policy, drivers, opts.now, usage ? { usage } : {}));
      observed = obs;
      warnings.push(...obs.warnings.map((message) => ({ code: 'Observe', message })));
    } finally {
      await drivers.close();
    }
    source = [...drivers.drivers.keys()].sort().join(',');
    stateId = await opts.store.stateId();
  }
  const gitCommit = commitOfHead === undefined ? loaded.gitCommit : await commitOfHead;
  let inputKey: string | undefined;
  if (opts.reuse && opts.snapshot === undefined && reuseBlocker(policy) === undefined) {
    inputKey = planInputKey({ policyDigest: policyDigest(loaded), gitCommit, source, stateId, observed, warnings });
    const previous = opts.reuse.previous;
    if (previous?.key === inputKey) return { plan: previous.plan, decisions: [], policy, loaded, observed, inputKey, reused: true };
  }
  // Metric history for the ScalingPolicies, up to the plan's clock (a source that is down becomes a warning, never a failure).
  const metrics = policy.scalingPolicies.length ? await (await import('../metrics/index.js')).collectMetrics(policy, opts.dir, opts.now, { commit: opts.ref !== undefined ? gitCommit : null }) : { data: {}, warnings: [] };
  warnings.push(...metrics.warnings);
  // Real use for utilisation targets: measured once here, recorded in the plan.
  const utilization = usesUtilization(policy) ? measureUtilization(policy, observed, opts.now) : undefined;
  // Decisions are recorded only in the state store (a snapshot plan records none).
  const recorder = opts.snapshot === undefined ? opts.store : undefined;
  const keep = opts.decisions !== false || recorder !== undefined;
  const { plan, decisions } = makePlan({ policy, observed, now: opts.now, policyDigest: policyDigest(loaded), gitCommit, source, stateId, warnings, metrics: metrics.data, utilization, decisions: keep });
  if (recorder) await recorder.recordDecisions(plan.planId, decisionRecords(plan, decisions));
  return { plan, decisions, policy, loaded, observed, ...(opts.reuse ? { inputKey, reused: false } : {}) };
}
