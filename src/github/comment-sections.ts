/**
 * The pull-request comment, built from small pure section functions (Renovate style): a hidden
 * marker, a heading with the outcome, what this pull request changes compared with the base
 * branch, validation problems, locks, the files changed, the plan itself (cut to fit GitHub's
 * limit by renderMarkdown) and what to do next.
 */
import { createHash } from 'node:crypto';
import type { Diagnostic } from '../model/diagnostic.js';
import type { Plan } from '../model/plan.js';
import { codeSpan, escapeMd, thousands } from '../render/plan/markdown-escape.js';
import { GITHUB_COMMENT_LIMIT, renderMarkdown } from '../render/plan/markdown.js';
import { costText, describeDiff } from './plan-diff.js';
import type { PlanDiff } from './plan-diff.js';

/** Finds our comment among all others: the first line of every comment Quartermaster keeps up to date. */
export const PLAN_MARKER = '<!-- quartermaster:plan -->';

const DIGEST_RE = /^<!-- quartermaster:digest=([0-9a-f]{16}) -->$/m;
const DIGEST_PLACEHOLDER = `<!-- quartermaster:digest=${'0'.repeat(16)} -->`;

/**
 * Seal a comment with a hidden digest of its stable content: the body without the parts that
 * change on every run of the same plan (`volatile`: the time, the plan id, the run's URL). Two
 * runs with the same digest say the same thing, and the comment is left as it is. The digest
 * line goes after the first two marker lines; its length is fixed, so a cut is not moved.
 */
export function sealComment(body: string, volatile: readonly (string | undefined)[]): string {
  const at = body.indexOf('\n', body.indexOf('\n') + 1);
  const placed = at < 0 ? `${body}\n${DIGEST_PLACEHOLDER}` : `${body.slice(0, at)}\n${DIGEST_PLACEHOLDER}${body.slice(at)}`;
  let stable = placed;
  const parts = [...new Set(volatile.filter((v): v is string => v !== undefined && v.length >= 6))].sort((a, b) => b.length - a.length);
  for (const v of parts) stable = stable.split(v).join('');
  const digest = createHash('sha256').update(stable).digest('hex').slice(0, 16);
  return placed.replace(DIGEST_PLACEHOLDER, `<!-- quartermaster:digest=${digest} -->`);
}

/** The digest a sealed comment carries, if any. */
export function commentDigest(body: string | undefined): string | undefined {
  return body === undefined ? undefined : DIGEST_RE.exec(body)?.[1];
}

/** Whether two comments say the same: equal, or sealed with the same digest. */
export function sameComment(a: string | undefined, b: string): boolean {
  if (a === b) return true;
  const d = commentDigest(a);
  return d !== undefined && d === commentDigest(b);
}

/** What changes from one run of the same plan to the next. */
function volatileParts(c: Pick<PlanCommentInput, 'now' | 'headPlan' | 'fullPlanUrl'>): (string | undefined)[] {
  const p = c.headPlan;
  const times = [c.now, p?.createdAt, p?.inputs.now];
  const hex = p?.planId.replace(/^sha256:/, '');
  return [...times, ...times.map((t) => (t === undefined ? undefined : escapeMd(t))), p?.planId, hex, hex?.slice(0, 12), c.fullPlanUrl];
}

export interface LockConflict {
  pool: string;
  holder: string;
}

export interface PlanCommentInput {
  pr: { number: number; baseRef: string; baseSha: string; headSha: string };
  changedFiles: readonly string[];
  /** Validation of the pull request's policy: errors and warnings. */
  diagnostics: readonly Diagnostic[];
  basePlan?: Plan | undefined;
  headPlan?: Plan | undefined;
  diff?: PlanDiff | undefined;
  /** Why main could not be planned (its policy is invalid, …): the comparison is left out. */
  baseProblem?: string | undefined;
  /** Why the pull request could not be planned although valid (a driver down, …). */
  planProblem?: string | undefined;
  lockConflicts: readonly LockConflict[];
  locksHeld: readonly string[];
  fullPlanUrl?: string | undefined;
  /** The collapsed "Replay of the last 7 days" section (src/github/replay.ts), when the change calls for one. */
  replay?: string | undefined;
  /** ISO 8601. */
  now: string;
}

export type PlanOutcome = 'invalid' | 'locked' | 'error' | 'planned';

/** The outcome the heading, the check run and the exit code share. */
export function planOutcome(c: PlanCommentInput): PlanOutcome {
  if (c.diagnostics.some((d) => d.severity === 'error')) return 'invalid';
  if (c.planProblem !== undefined || !c.headPlan) return 'error';
  if (c.lockConflicts.length > 0) return 'locked';
  return 'planned';
}

const short = (sha: string) => sha.slice(0, 7);

/** The hidden marker, with the pull request and base branch for readers of the raw body. */
export function markerSection(pr: PlanCommentInput['pr']): string {
  return `${PLAN_MARKER}\n<!-- quartermaster:pr=${pr.number} base=${pr.baseRef.replace(/-->/g, '')} -->`;
}

/** "## ✅ Quartermaster: plan for #12" with the outcome. */
export function headingSection(c: PlanCommentInput): string {
  const o = planOutcome(c);
  const errors = c.diagnostics.filter((d) => d.severity === 'error').length;
  const text =
    o === 'invalid' ? `❌ Quartermaster: the policy has ${thousands(errors)} error${errors === 1 ? '' : 's'}; nothing was planned` :
    o === 'error' ? '⚠️ Quartermaster: the plan could not be made' :
    o === 'locked' ? '🔒 Quartermaster: planned, but pools are locked by another pull request' :
    '✅ Quartermaster: planned';
  return `## ${text}`;
}

/** What merging would change compared with the base branch, in one sentence and a small table. */
export function comparisonSection(c: PlanCommentInput): string {
  if (!c.headPlan || !c.diff) return '';
  const base = `${codeSpan(c.pr.baseRef)} (${short(c.pr.baseSha)})`;
  if (!c.basePlan) return `**Compared with ${base}:** ${escapeMd(c.baseProblem ?? 'the base branch could not be planned')}; the comparison is left out.`;
  const phrases = describeDiff(c.diff, c.pr.baseRef);
  const sentence = phrases.length === 0 ? 'no difference: merging changes nothing in the plan' : phrases.join(', ');
  const rows: [keyof Plan['summary'], string][] = [
    ['place', 'place'],
    ['move', 'move'],
    ['evict', 'evict'],
    ['remove', 'remove'],
    ['scalePool', 'scale pool'],
    ['scaleAgent', 'scale agent'],
    ['blocked', 'blocked'],
  ];
  const table = [
    `| | ${escapeMd(c.pr.baseRef)} | this pull request | Δ |`,
    '|:--|--:|--:|--:|',
    ...rows.map(([k, label]) => {
      const b = c.basePlan!.summary[k];
      const h = c.headPlan!.summary[k];
      const d = h - b;
      return `| ${label} | ${thousands(b)} | ${thousands(h)} | ${d === 0 ? '' : d > 0 ? `+${thousands(d)}` : `−${thousands(-d)}`} |`;
    }),
  ];
  if (c.diff.costPerHourDelta !== 0) table.push(`| node cost | | | ${costText(c.diff.costPerHourDelta)} |`);
  return [`**Compared with ${base}:** ${escapeMd(sentence)}.`, '', ...table].join('\n');
}

/** Validation problems with file:line, the first `max`; all of them are annotations on the check run. */
export function validationSection(diags: readonly Diagnostic[], max = 30): string {
  if (diags.length === 0) return '';
  const errors = diags.filter((d) => d.severity === 'error').length;
  const warnings = diags.length - errors;
  const head = `### Validation: ${thousands(errors)} error${errors === 1 ? '' : 's'}, ${thousands(warnings)} warning${warnings === 1 ? '' : 's'}`;
  const items = diags.slice(0, max).map((d) => `- ${d.severity === 'error' ? '❌' : '⚠️'} ${codeSpan(`${d.file}:${d.line}:${d.column}`)} **${escapeMd(d.code)}**: ${escapeMd(d.message)}${d.hint ? ` _(${escapeMd(d.hint)})_` : ''}`);
  const more = diags.length > max ? [`- … and ${thousands(diags.length - max)} more: see the annotations of the check run`] : [];
  return [head, '', ...items, ...more].join('\n');
}

/** Pools another pull request holds, and the pools this one holds. */
export function locksSection(conflicts: readonly LockConflict[], held: readonly string[]): string {
  const out: string[] = [];
  if (conflicts.length > 0) {
    out.push('### 🔒 Locked pools', '', ...conflicts.map((c) => `- pool ${codeSpan(c.pool)} is locked by ${escapeMd(c.holder)}`), '', 'This pull request cannot be applied until they are released: when that pull request is merged or closed, or with `/qm unlock` there.');
  }
  if (held.length > 0) out.push(`${out.length ? '\n' : ''}This pull request holds the lock${held.length === 1 ? '' : 's'} on ${held.map((p) => codeSpan(p)).join(', ')} until it is merged or closed (or \`/qm unlock\`).`);
  return out.join('\n');
}

/** The policy files this pull request changes, collapsed. */
export function changedFilesSection(files: readonly string[], max = 50): string {
  if (files.length === 0) return '';
  const items = files.slice(0, max).map((f) => `- ${codeSpan(f)}`);
  if (files.length > max) items.push(`- … and ${thousands(files.length - max)} more`);
  return `<details><summary>${thousands(files.length)} policy file${files.length === 1 ? '' : 's'} changed</summary>\n\n${items.join('\n')}\n\n</details>`;
}

/** Why the plan could not be made. */
export function problemSection(c: PlanCommentInput): string {
  return c.planProblem === undefined ? '' : `> [!WARNING]\n> ${escapeMd(c.planProblem)}`;
}

/** How to go on from here. */
export function nextStepsSection(c: PlanCommentInput): string {
  const o = planOutcome(c);
  if (o === 'invalid') return 'Fix the errors above (they are also annotated on the files); the plan is made again on every push.';
  if (o === 'error') return 'Push again or comment `/qm plan` to retry.';
  if (!c.headPlan?.changes) return 'Nothing to apply: merging leaves the fleet as it is.';
  return 'Once approved, comment `/qm apply` to apply exactly this plan (or merge, when the repository applies on push to the base branch). Comment `/qm plan` to plan again.';
}

/** Which commits were compared, and when. */
export function footerSection(c: PlanCommentInput): string {
  const id = c.headPlan ? ` · plan ${codeSpan(c.headPlan.planId.replace(/^sha256:/, '').slice(0, 12))}` : '';
  return `<sub>Head ${short(c.pr.headSha)} against ${escapeMd(c.pr.baseRef)} ${short(c.pr.baseSha)}${id} · updated ${escapeMd(c.now)} · this comment is kept up to date</sub>`;
}

const SEP = '\n\n';

/**
 * The whole comment within `maxLength`: every section but the plan details is kept; the details
 * get what is left. Sealed with the digest of its stable content (see sealComment).
 */
export function renderPlanComment(c: PlanCommentInput, maxLength = GITHUB_COMMENT_LIMIT): string {
  return sealComment(renderUnsealed(c, maxLength - DIGEST_PLACEHOLDER.length - 1), volatileParts(c));
}

function renderUnsealed(c: PlanCommentInput, maxLength: number): string {
  const before = [markerSection(c.pr), headingSection(c), comparisonSection(c), problemSection(c), validationSection(c.diagnostics), locksSection(c.lockConflicts, c.locksHeld), changedFilesSection(c.changedFiles), c.replay ?? ''];
  const after = [nextStepsSection(c), footerSection(c)];
  const join = (xs: string[]) => xs.filter((x) => x !== '').join(SEP) + '\n';
  const skeleton = join([...before, ...after]);
  if (!c.headPlan || planOutcome(c) === 'invalid') return skeleton;
  const budget = maxLength - skeleton.length - SEP.length;
  if (budget < 1024) return skeleton;
  const details = renderMarkdown(c.headPlan, { maxLength: budget, ...(c.fullPlanUrl !== undefined ? { fullPlanUrl: c.fullPlanUrl } : {}) }).trimEnd();
  return join([...before, details, ...after]);
}

/** The comment left when a pull request no longer changes any policy file. */
export function noPolicyChangeComment(pr: PlanCommentInput['pr'], now: string): string {
  return sealComment(`${markerSection(pr)}\n\n## ➖ Quartermaster: no policy change\n\nThis pull request no longer changes anything under \`pools/\`, \`policies/\` or \`agents/\`; there is nothing to plan.\n\n<sub>Head ${short(pr.headSha)} · updated ${escapeMd(now)}</sub>\n`, [now, escapeMd(now)]);
}
