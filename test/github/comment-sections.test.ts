/** The pull-request comment, section by section, and the whole within GitHub's limit. */
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/model/diagnostic.js';
import type { Plan } from '../../src/model/plan.js';
import type { PlanCommentInput } from '../../src/github/comment-sections.js';
import {
  changedFilesSection,
  commentDigest,
  comparisonSection,
  headingSection,
  locksSection,
  markerSection,
  noPolicyChangeComment,
  planOutcome,
  PLAN_MARKER,
  renderPlanComment,
  sameComment,
  validationSection,
} from '../../src/github/comment-sections.js';
import { diffPlans } from '../../src/github/plan-diff.js';
import { aPlan, hugePlan } from '../render/builders.js';

const PR = { number: 7, baseRef: 'main', baseSha: '1'.repeat(40), headSha: '2'.repeat(40) };
const asPlan = (p: unknown) => p as Plan;
const base = asPlan(aPlan().pool('gpu-east', [4, 4]).place('chat-0', 'general', 'general-0').build());
const head = asPlan(aPlan().pool('gpu-east', [4, 6]).place('chat-0', 'general', 'general-0').place('research-bot-0', 'gpu-east', 'gpu-east-4').build());
const diag = (i: number, severity: Diagnostic['severity'] = 'error'): Diagnostic => ({ severity, code: 'UnknownReference', file: `agents/a${i}.yaml`, line: 3, column: 9, jsonPointer: '', message: `pool 'x${i}' does not exist`, hint: "did you mean 'gpu-east'?" });

function input(over: Partial<PlanCommentInput> = {}): PlanCommentInput {
  return { pr: PR, changedFiles: ['agents/research.yaml'], diagnostics: [], basePlan: base, headPlan: head, diff: diffPlans(base, head, { costPerHour: { 'gpu-east': 3.2 } }), lockConflicts: [], locksHeld: ['gpu-east'], now: '2026-11-28T10:00:00Z', ...over };
}

describe('sections', () => {
  it('starts with the hidden marker and the pull request', () => {
    expect(markerSection(PR)).toBe(`${PLAN_MARKER}\n<!-- quartermaster:pr=7 base=main -->`);
    expect(markerSection({ ...PR, baseRef: 'x-->y' })).not.toContain('x-->');
  });

  it.each<[string, Partial<PlanCommentInput>, string, string]>([
    ['planned', {}, 'planned', '## ✅ Quartermaster: planned'],
    ['invalid', { diagnostics: [diag(1), diag(2, 'warning')] }, 'invalid', '## ❌ Quartermaster: the policy has 1 error; nothing was planned'],
    ['locked', { lockConflicts: [{ pool: 'gpu-east', holder: 'acme/fleet#8' }] }, 'locked', '## 🔒 Quartermaster: planned, but pools are locked by another pull request'],
    ['error', { headPlan: undefined, planProblem: 'driver down' }, 'error', '## ⚠️ Quartermaster: the plan could not be made'],
  ])('heading when %s', (_n, over, outcome, heading) => {
    expect(planOutcome(input(over))).toBe(outcome);
    expect(headingSection(input(over))).toBe(heading);
  });

  it('compares with the base branch in one sentence and a table with the deltas', () => {
    const s = comparisonSection(input());
    expect(s.split('\n')[0]).toBe('**Compared with `main` (1111111):** adds 1 placement, scales gpu-east 4 → 6 (+6.40/h).');
    expect(s).toContain('| place | 1 | 2 | +1 |');
    expect(s).toContain('| node cost | | | +6.40/h |');
    expect(comparisonSection(input({ basePlan: undefined, baseProblem: 'the policy on main is invalid (2 errors)' }))).toBe('**Compared with `main` (1111111):** the policy on main is invalid (2 errors); the comparison is left out.');
  });

  it('lists validation problems with file:line, up to a maximum', () => {
    const s = validationSection(Array.from({ length: 3 }, (_, i) => diag(i)), 2);
    expect(s).toContain('### Validation: 3 errors, 0 warnings');
    expect(s).toContain("- ❌ `agents/a0.yaml:3:9` **UnknownReference**: pool 'x0' does not exist _(did you mean 'gpu-east'?)_");
    expect(s).toContain('- … and 1 more: see the annotations of the check run');
    expect(validationSection([])).toBe('');
  });

  it('names the pull request holding a pool, and the pools this one holds', () => {
    expect(locksSection([{ pool: 'gpu-east', holder: 'acme/fleet#8' }], [])).toContain('- pool `gpu-east` is locked by acme/fleet\\#8');
    expect(locksSection([], ['general', 'gpu-east'])).toBe('This pull request holds the locks on `general`, `gpu-east` until it is merged or closed (or `/qm unlock`).');
  });

  it('collapses the changed files', () => {
    expect(changedFilesSection(['a.yaml', 'b.yaml'], 1)).toBe('<details><summary>2 policy files changed</summary>\n\n- `a.yaml`\n- … and 1 more\n\n</details>');
  });

  it('escapes what users wrote: a pool name cannot mention anyone or break the markdown', () => {
    const s = validationSection([{ ...diag(1), message: "pool '@octocat|<b>' does not exist" }]);
    expect(s).not.toContain('@octocat');
    expect(s).not.toContain('<b>');
  });
});

describe('renderPlanComment', () => {
  it('is marker, heading, comparison, locks, files, plan, next steps and footer', () => {
    const c = renderPlanComment(input());
    const order = [PLAN_MARKER, '## ✅', '**Compared with', 'holds the lock', 'policy file changed', '### Quartermaster plan:', 'comment `/qm apply`', '<sub>Head 2222222 against main 1111111'];
    const at = order.map((s) => c.indexOf(s));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it.each([65536, 20000, 4000])('keeps the summary and cuts a huge plan to %i characters with a pointer to the full plan', (max) => {
    const big = asPlan(hugePlan(5000, 300));
    const c = renderPlanComment(input({ headPlan: big, diff: diffPlans(base, big) }), max);
    expect(c.length).toBeLessThanOrEqual(max);
    expect(c).toContain('**Compared with');
    expect(c).toContain('<sub>Head');
    expect(c).toMatch(/too large for one comment/);
  });

  it('points at the workflow run for the full plan', () => {
    const big = asPlan(hugePlan(5000));
    expect(renderPlanComment(input({ headPlan: big, diff: diffPlans(base, big), fullPlanUrl: 'https://github.com/acme/fleet/actions/runs/1' }))).toContain('[the full plan](https://github.com/acme/fleet/actions/runs/1)');
  });

  it('leaves the plan out when the policy is invalid', () => {
    const c = renderPlanComment(input({ diagnostics: [diag(1)], headPlan: undefined, diff: undefined }));
    expect(c).not.toContain('### Quartermaster plan');
    expect(c).toContain('Fix the errors above');
  });

  it('carries a digest of what it says: the same for a re-run of the same plan, another for another plan', () => {
    const later = { ...head, planId: 'sha256:' + 'b'.repeat(64), createdAt: '2026-11-28T10:05:00Z', inputs: { ...head.inputs, now: '2026-11-28T10:05:00Z' } };
    const first = renderPlanComment(input({ fullPlanUrl: 'https://github.com/acme/fleet/actions/runs/1' }));
    const again = renderPlanComment(input({ headPlan: later, now: '2026-11-28T10:05:00Z', fullPlanUrl: 'https://github.com/acme/fleet/actions/runs/2' }));
    expect(first.split('\n')[2]).toMatch(/^<!-- quartermaster:digest=[0-9a-f]{16} -->$/);
    expect(again).not.toBe(first);
    expect(commentDigest(again)).toBe(commentDigest(first));
    expect(sameComment(first, again)).toBe(true);
    const other = renderPlanComment(input({ locksHeld: ['general', 'gpu-east'] }));
    expect(sameComment(first, other)).toBe(false);
    expect(sameComment(first, renderPlanComment(input({ pr: { ...PR, headSha: '3'.repeat(40) } })))).toBe(false);
    // A comment from before digests is compared as text.
    expect(sameComment('<!-- quartermaster:plan -->\nold', first)).toBe(false);
    expect(commentDigest(noPolicyChangeComment(PR, '2026-11-28T10:00:00Z'))).toBe(commentDigest(noPolicyChangeComment(PR, '2026-11-28T11:00:00Z')));
  });

  it('says so when a pull request stops changing policies', () => {
    expect(noPolicyChangeComment(PR, '2026-11-28T10:00:00Z')).toMatch(/^<!-- quartermaster:plan -->\n[^]*## ➖ Quartermaster: no policy change/);
  });
});
