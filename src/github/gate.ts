/**
 * The apply gate: may this pull request's plan be applied now, and if not, exactly what is
 * missing. Pure: every fact comes in as a value (the pull request, its reviews, the asker's
 * permission, the stored plan, the locks), every problem comes out as a value.
 */

export interface GateReview {
  user: { login: string } | null;
  state: string;
  submitted_at?: string | null | undefined;
}

export interface GatePull {
  number: number;
  state: string;
  merged?: boolean | null | undefined;
  draft?: boolean | null | undefined;
  /** null while GitHub computes it. */
  mergeable: boolean | null | undefined;
  mergeable_state?: string | undefined;
  head: { sha: string; repo: { full_name: string } | null };
  base: { repo: { full_name: string } };
  user?: { login: string } | null;
}

export interface StoredPlanInfo {
  planId: string;
  headSha: string;
  createdAt: string;
  /** The plan has no changes to apply. */
  changes: boolean;
  /** When it was applied already (successfully). */
  appliedAt?: string | undefined;
  status?: string | undefined;
}

export interface GateInput {
  pull: GatePull;
  reviews: readonly GateReview[];
  requiredApprovals: number;
  actor: string;
  /** "admin" | "maintain" | "write" | "triage" | "read" | "none". */
  actorPermission: string;
  stored: StoredPlanInfo | undefined;
  /** ISO 8601. */
  now: string;
  maxPlanAgeSeconds: number;
  /** Pools this pull request needs that another one holds. */
  lockConflicts: readonly { pool: string; holder: string }[];
}

export type GateCode =
  | 'NotOpen'
  | 'Draft'
  | 'Fork'
  | 'NoPermission'
  | 'ChangesRequested'
  | 'NotApproved'
  | 'NotMergeable'
  | 'MergeabilityUnknown'
  | 'NoPlan'
  | 'HeadMoved'
  | 'PlanTooOld'
  | 'NothingToApply'
  | 'AlreadyApplied'
  | 'Locked';

export interface GateProblem {
  code: GateCode;
  message: string;
}

export interface GateResult {
  ok: boolean;
  approvals: string[];
  problems: GateProblem[];
}

const WRITE = new Set(['admin', 'maintain', 'write']);

/** The latest decisive review of each reviewer: APPROVED or CHANGES_REQUESTED; a DISMISSED review clears it; comments do not count. */
export function latestReviews(reviews: readonly GateReview[]): Map<string, 'APPROVED' | 'CHANGES_REQUESTED'> {
  const ordered = reviews
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (Date.parse(a.r.submitted_at ?? '') || 0) - (Date.parse(b.r.submitted_at ?? '') || 0) || a.i - b.i);
  const latest = new Map<string, 'APPROVED' | 'CHANGES_REQUESTED'>();
  for (const { r } of ordered) {
    const who = r.user?.login;
    if (!who) continue;
    if (r.state === 'APPROVED' || r.state === 'CHANGES_REQUESTED') latest.set(who, r.state);
    else if (r.state === 'DISMISSED') latest.delete(who);
  }
  return latest;
}

const short = (sha: string) => sha.slice(0, 7);

function ageText(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

/** Everything that stands between this pull request and an apply, in the order a reviewer would fix it. */
export function evaluateGate(g: GateInput): GateResult {
  const problems: GateProblem[] = [];
  const p = g.pull;
  if (p.state !== 'open' || p.merged) problems.push({ code: 'NotOpen', message: `the pull request is ${p.merged ? 'merged' : p.state}; only an open pull request is applied` });
  if (p.draft) problems.push({ code: 'Draft', message: 'the pull request is a draft: mark it ready for review' });
  if (!p.head.repo || p.head.repo.full_name !== p.base.repo.full_name)
    problems.push({ code: 'Fork', message: `the pull request comes from a fork (${p.head.repo?.full_name ?? 'a deleted repository'}); plans from forks are never applied: push the branch to ${p.base.repo.full_name}` });
  if (!WRITE.has(g.actorPermission)) problems.push({ code: 'NoPermission', message: `@${g.actor} has ${g.actorPermission} permission on ${p.base.repo.full_name}; applying needs write, maintain or admin` });

  const latest = latestReviews(g.reviews);
  const author = p.user?.login;
  const approvals = [...latest].filter(([who, s]) => s === 'APPROVED' && who !== author).map(([who]) => who).sort();
  const blockers = [...latest].filter(([, s]) => s === 'CHANGES_REQUESTED').map(([who]) => who).sort();
  if (blockers.length > 0) problems.push({ code: 'ChangesRequested', message: `changes requested by ${blockers.map((b) => `@${b}`).join(', ')}: they must approve or their review be dismissed` });
  if (approvals.length < g.requiredApprovals)
    problems.push({ code: 'NotApproved', message: `${approvals.length} of ${g.requiredApprovals} required approval${g.requiredApprovals === 1 ? '' : 's'}${approvals.length ? ` (${approvals.map((a) => `@${a}`).join(', ')})` : ''}` });

  if (p.mergeable === false || p.mergeable_state === 'dirty') problems.push({ code: 'NotMergeable', message: `the pull request cannot be merged (${p.mergeable_state ?? 'conflicts'}): update the branch` });
  else if (p.mergeable === null || p.mergeable === undefined) problems.push({ code: 'MergeabilityUnknown', message: 'GitHub has not finished checking whether the pull request can be merged: try again in a minute' });

  const s = g.stored;
  if (!s) problems.push({ code: 'NoPlan', message: 'there is no plan for this pull request: comment /qm plan' });
  else {
    if (s.headSha !== p.head.sha) problems.push({ code: 'HeadMoved', message: `the plan was made at ${short(s.headSha)} but the head is now ${short(p.head.sha)}: comment /qm plan` });
    const age = (Date.parse(g.now) - Date.parse(s.createdAt)) / 1000;
    if (age > g.maxPlanAgeSeconds) problems.push({ code: 'PlanTooOld', message: `the plan is ${ageText(age)} old (at most ${ageText(g.maxPlanAgeSeconds)}): comment /qm plan` });
    if (s.appliedAt !== undefined && s.status === 'applied') problems.push({ code: 'AlreadyApplied', message: `this plan was applied at ${s.appliedAt}: push a change or comment /qm plan for a new one` });
    else if (!s.changes) problems.push({ code: 'NothingToApply', message: 'the plan has no changes: there is nothing to apply' });
  }
  for (const c of g.lockConflicts) problems.push({ code: 'Locked', message: `pool ${c.pool} is locked by ${c.holder}: wait until it is merged or closed, or ask there for /qm unlock` });
  return { ok: problems.length === 0, approvals, problems };
}
