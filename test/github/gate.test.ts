/** The apply gate as a table: each fact alone, and what the reply says is missing. */
import { describe, expect, it } from 'vitest';
import type { GateInput, GateReview } from '../../src/github/gate.js';
import { evaluateGate, latestReviews } from '../../src/github/gate.js';

const HEAD = 'a'.repeat(40);
const NOW = '2026-11-28T10:00:00Z';
const review = (login: string, state: string, minute: number): GateReview => ({ user: { login }, state, submitted_at: `2026-11-28T09:${String(minute).padStart(2, '0')}:00Z` });

function input(over: Partial<GateInput> = {}): GateInput {
  return {
    pull: { number: 7, state: 'open', merged: false, draft: false, mergeable: true, mergeable_state: 'clean', head: { sha: HEAD, repo: { full_name: 'acme/fleet' } }, base: { repo: { full_name: 'acme/fleet' } }, user: { login: 'alice' } },
    reviews: [review('carol', 'APPROVED', 1)],
    requiredApprovals: 1,
    actor: 'bob',
    actorPermission: 'write',
    stored: { planId: 'sha256:1', headSha: HEAD, createdAt: '2026-11-28T09:30:00Z', changes: true },
    now: NOW,
    maxPlanAgeSeconds: 3600,
    lockConflicts: [],
    ...over,
  };
}
const codes = (g: GateInput) => evaluateGate(g).problems.map((p) => p.code);

describe('evaluateGate', () => {
  it('opens for an approved, mergeable, fresh plan asked by a writer', () => {
    expect(evaluateGate(input())).toEqual({ ok: true, approvals: ['carol'], problems: [] });
  });

  const base = input();
  it.each<[string, Partial<GateInput>, string[]]>([
    ['no review', { reviews: [] }, ['NotApproved']],
    ['only comments', { reviews: [review('carol', 'COMMENTED', 1)] }, ['NotApproved']],
    ['changes requested by another', { reviews: [review('carol', 'APPROVED', 1), review('dave', 'CHANGES_REQUESTED', 2)] }, ['ChangesRequested']],
    ['approval superseded by changes requested', { reviews: [review('carol', 'APPROVED', 1), review('carol', 'CHANGES_REQUESTED', 2)] }, ['ChangesRequested', 'NotApproved']],
    ['changes requested then approved', { reviews: [review('carol', 'CHANGES_REQUESTED', 1), review('carol', 'APPROVED', 2)] }, []],
    ['an approval dismissed', { reviews: [review('carol', 'APPROVED', 1), review('carol', 'DISMISSED', 2)] }, ['NotApproved']],
    ['the author approving their own', { reviews: [review('alice', 'APPROVED', 1)] }, ['NotApproved']],
    ['two approvals required', { requiredApprovals: 2 }, ['NotApproved']],
    ['a fork', { pull: { ...base.pull, head: { sha: HEAD, repo: { full_name: 'mallory/fleet' } } } }, ['Fork']],
    ['a deleted fork', { pull: { ...base.pull, head: { sha: HEAD, repo: null } } }, ['Fork']],
    ['read permission', { actorPermission: 'read' }, ['NoPermission']],
    ['triage permission', { actorPermission: 'triage' }, ['NoPermission']],
    ['maintain permission', { actorPermission: 'maintain' }, []],
    ['conflicts', { pull: { ...base.pull, mergeable: false, mergeable_state: 'dirty' } }, ['NotMergeable']],
    ['mergeability not computed yet', { pull: { ...base.pull, mergeable: null } }, ['MergeabilityUnknown']],
    ['a closed pull request', { pull: { ...base.pull, state: 'closed' } }, ['NotOpen']],
    ['a draft', { pull: { ...base.pull, draft: true } }, ['Draft']],
    ['no plan', { stored: undefined }, ['NoPlan']],
    ['a new push since the plan', { pull: { ...base.pull, head: { sha: 'b'.repeat(40), repo: { full_name: 'acme/fleet' } } } }, ['HeadMoved']],
    ['an old plan', { now: '2026-11-28T11:00:01Z' }, ['PlanTooOld']],
    ['nothing to apply', { stored: { ...base.stored!, changes: false } }, ['NothingToApply']],
    ['applied already', { stored: { ...base.stored!, appliedAt: NOW, status: 'applied' } }, ['AlreadyApplied']],
    ['a pool locked elsewhere', { lockConflicts: [{ pool: 'gpu-east', holder: 'acme/fleet#8' }] }, ['Locked']],
  ])('%s', (_name, over, expected) => {
    expect(codes(input(over))).toEqual(expected);
  });

  it('names what is missing in words a reviewer can act on', () => {
    const g = evaluateGate(input({ reviews: [review('dave', 'CHANGES_REQUESTED', 1)], requiredApprovals: 2, actorPermission: 'read', pull: { ...base.pull, head: { sha: 'b'.repeat(40), repo: { full_name: 'acme/fleet' } } } }));
    expect(g.problems.map((p) => p.message)).toEqual([
      '@bob has read permission on acme/fleet; applying needs write, maintain or admin',
      'changes requested by @dave: they must approve or their review be dismissed',
      '0 of 2 required approvals',
      'the plan was made at aaaaaaa but the head is now bbbbbbb: comment /qm plan',
    ]);
  });
});

describe('latestReviews', () => {
  it('keeps the latest decisive review per reviewer, by time', () => {
    const m = latestReviews([review('carol', 'APPROVED', 5), review('carol', 'CHANGES_REQUESTED', 1), review('dave', 'COMMENTED', 3), { user: null, state: 'APPROVED' }]);
    expect([...m]).toEqual([['carol', 'APPROVED']]);
  });
});
