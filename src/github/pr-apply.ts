/**
 * `qm pr apply` and `/qm apply`: apply the pull request's stored plan only when the gate opens —
 * approved (latest review per reviewer, no changes requested, enough approvals), mergeable, not
 * from a fork, planned at the current head, fresh, asked by someone with write permission, pools
 * not locked by another pull request. Otherwise reply with exactly what is missing.
 */
import { QmError } from '../model/errors.js';
import { runApply } from '../engine/apply.js';
import type { ActionResult, ApplyOutcome } from '../engine/apply.js';
import type { EnginePort } from '../engine/ports.js';
import { codeSpan, escapeMd, thousands } from '../render/plan/markdown-escape.js';
import type { StateStore } from '../state/store.js';
import type { GithubApi, PullInfo } from './api.js';
import type { GateResult } from './gate.js';
import { evaluateGate } from './gate.js';
import { lockPools, prHolder } from './pool-locks.js';
import { loadStoredPlan, saveStoredPlan } from './stored-plan.js';

export interface PrApplyOptions {
  api: GithubApi;
  dir: string;
  pr: number;
  actor: string;
  store: StateStore;
  port: EnginePort;
  now: () => string;
  requiredApprovals: number;
  maxPlanAgeSeconds: number;
  concurrency?: number | undefined;
  log: (line: string) => void;
  /** How long to wait for GitHub to compute mergeability (ms between tries; tests use 0). */
  mergeablePollMs?: number;
}

export interface PrApplyResult {
  gate: GateResult;
  outcome?: ApplyOutcome | undefined;
  /** Why apply refused after the gate (a stale plan, …). */
  refused?: string | undefined;
  reply: string;
}

export const APPLY_MARKER = '<!-- quartermaster:apply -->';

/** The reply when the gate stays shut: every missing piece, one per line. */
export function refusalReply(pr: number, actor: string, gate: GateResult): string {
  return [
    APPLY_MARKER,
    `### 🚫 Quartermaster did not apply #${pr}`,
    '',
    `@${escapeMd(actor).replace(/^@&#8203;/, '')} asked to apply, but:`,
    '',
    ...gate.problems.map((p) => `- [ ] **${p.code}**: ${escapeMd(p.message)}`),
  ].join('\n') + '\n';
}

const ICON: Record<ActionResult['status'], string> = { ok: '✅', failed: '❌', skipped: '⏭️', cancelled: '⏹️', pending: '⏳' };

/** The reply after an apply: status and one row per action (the first 200). */
export function resultReply(pr: number, planId: string, outcome: ApplyOutcome, max = 200): string {
  const counts = (s: ActionResult['status']) => outcome.results.filter((r) => r.status === s).length;
  const head = outcome.status === 'applied' ? `### ✅ Quartermaster applied #${pr}` : `### ❌ Quartermaster's apply of #${pr} ${outcome.status === 'partial' ? 'was partial' : 'failed'}`;
  const rows = outcome.results.slice(0, max).map((r) => `| ${ICON[r.status]} | ${r.id} | ${escapeMd(r.action)} | ${escapeMd(r.message)} |`);
  const more = outcome.results.length > max ? [`\n_… ${thousands(outcome.results.length - max)} more actions not shown._`] : [];
  const again = outcome.status === 'applied' ? 'Merge the pull request to release its locks.' : 'Every action is idempotent: comment `/qm plan` and then `/qm apply` to converge from where it stopped.';
  return [APPLY_MARKER, head, '', `Plan ${codeSpan(planId.replace(/^sha256:/, '').slice(0, 12))}: ${counts('ok')} done, ${counts('failed')} failed, ${counts('skipped')} skipped, ${counts('cancelled')} not started.`, '', '| | Id | Action | Result |', '|:-:|:--|:--|:--|', ...rows, ...more, '', again].join('\n') + '\n';
}

async function pullWithMergeability(api: GithubApi, pr: number, pollMs: number): Promise<PullInfo> {
  let pull = await api.getPull(pr);
  for (let i = 0; i < 3 && (pull.mergeable === null || pull.mergeable === undefined) && pull.state === 'open'; i++) {
    await new Promise((r) => setTimeout(r, pollMs));
    pull = await api.getPull(pr);
  }
  return pull;
}

/** Check the gate, apply, reply on the pull request. */
export async function prApply(o: PrApplyOptions): Promise<PrApplyResult> {
  const [pull, reviews, permission, stored] = await Promise.all([
    pullWithMergeability(o.api, o.pr, o.mergeablePollMs ?? 2000),
    o.api.listReviews(o.pr),
    o.api.permission(o.actor),
    loadStoredPlan(o.store.meta, o.api.fullName, o.pr),
  ]);
  const holder = prHolder(o.api.fullName, o.pr);
  // Locks are checked only for a plan that could otherwise go: a refused request takes nothing.
  let gate = evaluateGate({ pull, reviews, requiredApprovals: o.requiredApprovals, actor: o.actor, actorPermission: permission, stored, now: o.now(), maxPlanAgeSeconds: o.maxPlanAgeSeconds, lockConflicts: [] });
  if (gate.ok && stored) {
    const locks = await lockPools(o.store.locks, holder, stored.pools, new Date(o.now()));
    gate = evaluateGate({ pull, reviews, requiredApprovals: o.requiredApprovals, actor: o.actor, actorPermission: permission, stored, now: o.now(), maxPlanAgeSeconds: o.maxPlanAgeSeconds, lockConflicts: locks.conflicts });
  }
  if (!gate.ok || !stored) {
    const reply = refusalReply(o.pr, o.actor, gate);
    await o.api.createComment(o.pr, reply);
    o.log(`${o.api.fullName}#${o.pr}: apply refused: ${gate.problems.map((p) => p.code).join(', ')}`);
    return { gate, reply };
  }
  let outcome: ApplyOutcome;
  try {
    outcome = await runApply({ plan: stored.plan, dir: o.dir, store: o.port, now: o.now, actor: `${o.actor} via ${holder}`, ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}) });
  } catch (e) {
    if (!(e instanceof QmError)) throw e;
    const refused = `${e.message}${e.hint ? ` (${e.hint === 'run qm plan again' ? 'comment /qm plan' : e.hint})` : ''}`;
    const reply = `${APPLY_MARKER}\n### 🚫 Quartermaster did not apply #${o.pr}\n\n- [ ] **${e.code === 'stale' ? 'StalePlan' : e.code === 'locked' ? 'Locked' : 'Refused'}**: ${escapeMd(refused)}\n`;
    await o.api.createComment(o.pr, reply);
    o.log(`${o.api.fullName}#${o.pr}: apply refused: ${refused}`);
    return { gate, refused, reply };
  }
  await saveStoredPlan(o.store.meta, o.api.fullName, o.pr, { ...stored, appliedAt: o.now(), status: outcome.status });
  const reply = resultReply(o.pr, stored.planId, outcome);
  await o.api.createComment(o.pr, reply);
  o.log(`${o.api.fullName}#${o.pr}: apply ${outcome.status}`);
  return { gate, outcome, reply };
}
