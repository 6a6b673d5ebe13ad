/**
 * `qm pr plan`: the living plan of a pull request. Finds the policy files it changes; when none,
 * a neutral check and no comment. Otherwise validates the head (diagnostics become annotations),
 * plans base and head against the same observed state, renders the difference, takes the pools'
 * locks, keeps one comment up to date, completes the check run and writes the plan file.
 */
import type { Diagnostic } from '../model/diagnostic.js';
import type { Plan } from '../model/plan.js';
import { writeOutFile } from '../engine/output.js';
import { loadPolicy } from '../engine/policy.js';
import type { EnginePort } from '../engine/ports.js';
import { renderPlanJson } from '../render/plan/json.js';
import type { StateStore } from '../state/store.js';
import { toAnnotations } from './annotations.js';
import type { CheckConclusion, GithubApi } from './api.js';
import { changedPolicyFiles } from './changed-files.js';
import { completeCheck, startCheck, CHECK_NAME } from './check-run.js';
import { findPlanComment, upsertPlanComment } from './comment.js';
import type { PlanCommentInput } from './comment-sections.js';
import { comparisonSection, headingSection, locksSection, noPolicyChangeComment, planOutcome, renderPlanComment, sameComment } from './comment-sections.js';
import { diffPlans, diffSentence } from './plan-diff.js';
import type { PlanDiff } from './plan-diff.js';
import { lockPools, prHolder, releasePrLocks } from './pool-locks.js';
import { planRevision, planRevisionConcurrently } from './plan-worker.js';
import { saveStoredPlan } from './stored-plan.js';
import { replayRelevant, replaySection } from './replay.js';

/** The replay section's default window: the last 7 days. */
export const REPLAY_WINDOW = 7 * 86400;

export interface PrPlanOptions {
  api: GithubApi;
  dir: string;
  pr: number;
  baseRef: string;
  baseSha: string;
  headSha: string;
  now: string;
  /** The state store: observed state (sim driver), locks, the stored plan. Absent with a snapshot. */
  store?: StateStore | undefined;
  port?: EnginePort | undefined;
  /** The store's location, so the base can be planned in a worker thread with its own connection. */
  stateLocation?: string | undefined;
  snapshot?: string | undefined;
  /** Write the pull request's plan JSON here (for upload as an artifact). */
  out?: string | undefined;
  /** `out` as the user wrote it, for messages. */
  outShown?: string | undefined;
  /** Where the full plan can be read (the workflow run with the artifact). */
  fullPlanUrl?: string | undefined;
  checkName?: string | undefined;
  /** Seconds of metric history to replay base and head over when scaling changes (0: no replay). Default 7 days. */
  replayWindow?: number | undefined;
  log: (line: string) => void;
}

export interface PrPlanResult {
  outcome: 'no-change' | ReturnType<typeof planOutcome>;
  conclusion: CheckConclusion;
  comment?: 'created' | 'updated' | 'unchanged' | undefined;
  diff?: PlanDiff | undefined;
  headPlan?: Plan | undefined;
  timings: Record<string, number>;
}

type PoolInfo = { name: string; spec: string; costPerHour: number };

function costs(...pools: PoolInfo[][]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const list of pools) for (const p of list) out[p.name] ??= p.costPerHour;
  return out;
}

/** Pools whose Pool document differs between base and head (added, removed or edited). */
function changedPools(base: PoolInfo[] | undefined, head: PoolInfo[]): string[] {
  const b = new Map((base ?? []).map((p) => [p.name, p.spec]));
  const h = new Map(head.map((p) => [p.name, p.spec]));
  return [...new Set([...b.keys(), ...h.keys()])].filter((n) => b.get(n) !== h.get(n));
}

const conclusionOf: Record<ReturnType<typeof planOutcome>, CheckConclusion> = { planned: 'success', invalid: 'failure', locked: 'failure', error: 'failure' };

/** Run the whole pull-request plan; throws only when GitHub or Git cannot be reached. */
export async function prPlan(o: PrPlanOptions): Promise<PrPlanResult> {
  const timings: Record<string, number> = {};
  const time = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await f();
    } finally {
      timings[name] = (timings[name] ?? 0) + performance.now() - t;
    }
  };
  const pr = { number: o.pr, baseRef: o.baseRef, baseSha: o.baseSha, headSha: o.headSha };
  const holder = prHolder(o.api.fullName, o.pr);
  const checkName = o.checkName ?? CHECK_NAME;
  const changed = await time('git', () => changedPolicyFiles(o.dir, o.baseSha, o.headSha));

  if (changed.files.length === 0) {
    o.log(`no policy file changed between ${o.baseSha.slice(0, 7)} and ${o.headSha.slice(0, 7)}: nothing to plan`);
    await o.api.createCheck(checkName, o.headSha, { status: 'completed', conclusion: 'neutral', output: { title: 'No policy change', summary: 'This pull request changes nothing under pools/, policies/ or agents/; there is nothing to plan.' } });
    // A pull request that used to change policies: say so in the comment it already has, and free its pools.
    const existing = await findPlanComment(o.api, o.pr);
    const body = noPolicyChangeComment(pr, o.now);
    const comment = !existing ? undefined : sameComment(existing.body, body) ? 'unchanged' : 'updated';
    if (existing && comment === 'updated') await o.api.updateComment(existing.id, body);
    if (o.store) await releasePrLocks(o.store.locks, holder, new Date(o.now));
    return { outcome: 'no-change', conclusion: 'neutral', comment, timings };
  }

  const checkId = await startCheck(o.api, o.headSha, checkName);
  try {
    // The base is planned while the head is validated and planned: in a worker thread from compiled code.
    const job = { dir: o.dir, snapshot: o.snapshot, now: o.now, stateLocation: o.stateLocation };
    // The base may have no policy yet (a pull request adding the first files): plan it as empty. The head may not.
    const basePlan = planRevisionConcurrently({ ...job, ref: o.baseSha, allowEmptyPolicy: true }, o.port);
    basePlan.catch(() => undefined); // awaited below, or dropped when the head is invalid
    const head = await time('load', () => loadPolicy(o.dir, { ref: o.headSha }));
    const diagnostics: Diagnostic[] = head.diagnostics;
    const input: PlanCommentInput = { pr, changedFiles: changed.files, diagnostics, lockConflicts: [], locksHeld: [], fullPlanUrl: o.fullPlanUrl, now: o.now };
    if (head.policy) {
      const [h, b] = await time('plan', () => Promise.all([planRevision({ ...job, ref: o.headSha }, o.port), basePlan]));
      if (!h.ok) input.planProblem = `the pull request could not be planned: ${h.message}${h.hint ? ` (${h.hint})` : ''}`;
      else {
        input.headPlan = h.plan;
        if (b.ok) input.basePlan = b.plan;
        else input.baseProblem = b.invalid ? `the policy on ${o.baseRef} is invalid (${b.errors} errors)` : `${o.baseRef} could not be planned: ${b.message}`;
        const basePools = b.ok ? b.pools : [];
        const empty = { ...h.plan, actions: [], blocked: [], pools: [] };
        input.diff = diffPlans(input.basePlan ?? empty, h.plan, { costPerHour: costs(h.pools, basePools) });
        if (o.store) {
          const pools = [...new Set([...input.diff.touchedPools, ...changedPools(b.ok ? basePools : undefined, h.pools)])];
          const locks = await time('locks', () => lockPools(o.store!.locks, holder, pools, new Date(o.now)));
          input.lockConflicts = locks.conflicts;
          input.locksHeld = locks.held;
          if (locks.released.length) o.log(`released the locks on ${locks.released.join(', ')}: this pull request no longer touches them`);
          await saveStoredPlan(o.store.meta, o.api.fullName, o.pr, { planId: h.plan.planId, headSha: o.headSha, baseSha: o.baseSha, createdAt: o.now, changes: h.plan.changes, pools: locks.held, plan: h.plan });
        }
        if (o.out !== undefined) await writeOutFile(o.out, renderPlanJson(h.plan), o.outShown);
        const window = o.replayWindow ?? REPLAY_WINDOW;
        if (window > 0 && head.policy) {
          const base = await loadPolicy(o.dir, { ref: o.baseSha }).catch(() => undefined);
          if (replayRelevant(base?.policy, head.policy)) input.replay = await time('replay', () => replaySection({ dir: o.dir, baseSha: o.baseSha, headSha: o.headSha, baseRef: o.baseRef, now: o.now, window, snapshot: o.snapshot, port: o.port }));
        }
      }
    }

    const outcome = planOutcome(input);
    const body = await time('render', async () => renderPlanComment(input));
    const { action } = await upsertPlanComment(o.api, o.pr, body);
    const conclusion = conclusionOf[outcome];
    const title = outcome === 'invalid' ? `${diagnostics.filter((d) => d.severity === 'error').length} validation error(s)` : outcome === 'planned' && input.diff ? diffSentence(input.diff, o.baseRef) : headingSection(input).replace(/^## \S+ /, '');
    const summary = [headingSection(input), comparisonSection(input), locksSection(input.lockConflicts, input.locksHeld)].filter((s) => s !== '').join('\n\n');
    await completeCheck(o.api, checkId, conclusion, title, summary, toAnnotations(diagnostics, changed.prefix));
    const took = Object.entries(timings).map(([k, v]) => `${k} ${Math.round(v)} ms`).join(', ');
    o.log(`${o.api.fullName}#${o.pr}: ${outcome}; comment ${action}; check ${conclusion} (${took})`);
    return { outcome, conclusion, comment: action, diff: input.diff, headPlan: input.headPlan, timings };
  } catch (e) {
    await o.api.updateCheck(checkId, { status: 'completed', conclusion: 'failure', output: { title: 'Quartermaster failed', summary: e instanceof Error ? e.message : String(e) } }).catch(() => undefined);
    throw e;
  }
}
