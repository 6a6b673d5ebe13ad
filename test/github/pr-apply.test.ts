/** `/qm apply`, `/qm unlock` and `qm pr apply`: the gate, the reply, the apply, the locks. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, researchAgent } from './harness.js';
import type { Harness } from './harness.js';

let h: Harness;
let head: string;
beforeEach(async () => {
  h = await harness();
  head = await h.branch('research', { 'agents/research.yaml': researchAgent(4) });
  h.gh.permissions.set('bob', 'write');
  h.gh.permissions.set('eve', 'read');
  h.gh.permissions.set('carol', 'maintain');
});
afterEach(async () => {
  await h.cleanup();
});

async function planned(n = 7, extra: Parameters<Harness['openPull']>[2] = {}) {
  h.openPull(n, head, extra);
  const r = await h.run('plan', await h.pullRequestEvent(n, 'opened'));
  expect(r.code, r.stderr).toBe(0);
}

const lastReply = (n = 7) => h.gh.commentsOn(n).at(-1)!.body;
const comment = async (body: string, login = 'bob', n = 7) => h.run('comment', await h.commentEvent(n, body, login));

describe('/qm apply', () => {
  it('applies an approved, mergeable, fresh plan asked by someone with write permission, and posts the result', async () => {
    await planned();
    h.gh.review(7, 'carol', 'APPROVED');
    const r = await comment('/qm apply');
    expect(r.code, r.stderr + lastReply()).toBe(0);
    const reply = lastReply();
    expect(reply).toContain('### ✅ Quartermaster applied #7');
    expect(reply).toMatch(/6 done, 0 failed/);
    expect(reply).toContain('place research-bot-3');
    // Applied once: asking again is refused with the reason.
    const again = await comment('/qm apply');
    expect(again.code).toBe(1);
    expect(lastReply()).toContain('**AlreadyApplied**');
  });

  it.each<[string, () => void, string[]]>([
    ['approval missing', () => undefined, ['NotApproved', '0 of 1 required approval']],
    ['changes requested', () => { h.gh.review(7, 'carol', 'APPROVED'); h.gh.review(7, 'dave', 'CHANGES_REQUESTED'); }, ['ChangesRequested', 'dave']],
    ['approval then changes requested by the same reviewer', () => { h.gh.review(7, 'carol', 'APPROVED'); h.gh.review(7, 'carol', 'CHANGES_REQUESTED'); }, ['ChangesRequested', 'NotApproved']],
    ['stale head', () => { h.gh.review(7, 'carol', 'APPROVED'); h.gh.setHead(7, 'f'.repeat(40)); }, ['HeadMoved', 'comment /qm plan']],
    ['not mergeable', () => { h.gh.review(7, 'carol', 'APPROVED'); Object.assign(h.gh.pulls.get(7)!, { mergeable: false, mergeable_state: 'dirty' }); }, ['NotMergeable']],
  ])('refuses and says exactly what is missing: %s', async (_name, setup, expected) => {
    await planned();
    setup();
    const r = await comment('/qm apply');
    expect(r.code).toBe(1);
    const reply = lastReply();
    expect(reply).toContain('### 🚫 Quartermaster did not apply #7');
    for (const e of expected) expect(reply).toContain(e);
    expect(r.stdout).toContain('not applied');
  });

  it('refuses a pull request from a fork', async () => {
    await planned(7, { fork: true });
    h.gh.review(7, 'carol', 'APPROVED');
    expect((await comment('/qm apply')).code).toBe(1);
    expect(lastReply()).toContain('**Fork**: the pull request comes from a fork (mallory/fleet)');
  });

  it('refuses someone without write permission', async () => {
    await planned();
    h.gh.review(7, 'carol', 'APPROVED');
    expect((await comment('/qm apply', 'eve')).code).toBe(1);
    expect(lastReply()).toContain('eve has read permission on acme/fleet');
  });

  it('refuses a plan older than --max-plan-age, and one planned for no pull request at all', async () => {
    await planned();
    h.gh.review(7, 'carol', 'APPROVED');
    const later = new Date(Date.now() + 2 * 3600_000).toISOString();
    const r = await h.run('comment', await h.commentEvent(7, '/qm apply', 'bob'), { now: later, maxPlanAge: '1h' });
    expect(r.code).toBe(1);
    expect(lastReply()).toMatch(/\*\*PlanTooOld\*\*: the plan is 2 h old \(at most 60 min\)/);
    h.openPull(8, head);
    h.gh.review(8, 'carol', 'APPROVED');
    expect((await comment('/qm apply', 'bob', 8)).code).toBe(1);
    expect(lastReply(8)).toContain('**NoPlan**');
  });

  it('needs the configured number of approvals (latest review per reviewer)', async () => {
    await planned();
    h.gh.review(7, 'carol', 'APPROVED');
    h.gh.review(7, 'dave', 'CHANGES_REQUESTED');
    h.gh.review(7, 'dave', 'APPROVED');
    h.gh.review(7, 'alice', 'APPROVED'); // the author's own approval does not count
    const r = await h.run('comment', await h.commentEvent(7, '/qm apply', 'bob'), { approvals: '3' });
    expect(r.code).toBe(1);
    expect(lastReply()).toContain('2 of 3 required approvals');
    expect(lastReply()).not.toContain('ChangesRequested');
  });

  it('refuses when the fleet changed under the plan (stale state)', async () => {
    await planned();
    h.gh.review(7, 'carol', 'APPROVED');
    // Another pull request's plan touching the same pool was applied meanwhile, outside the lock.
    const { openStateStore } = await import('../../src/state/index.js');
    const store = await openStateStore(h.state);
    await store.cluster.putNode('sim', { name: 'gpu-east-0', pool: 'gpu-east', zone: 'local-a', labels: {}, ready: false, capacity: { cpuMillis: 16000, memoryBytes: 64 * 2 ** 30, gpuMillis: 4000 } } as never);
    await store.close();
    const r = await comment('/qm apply');
    expect(r.code).toBe(1);
    expect(lastReply()).toMatch(/\*\*StalePlan\*\*: the plan is stale/);
  });
});

describe('/qm unlock, /qm plan, and other comments', () => {
  it('releases the pull request\'s locks for someone with write permission only', async () => {
    await planned();
    expect((await comment('/qm unlock', 'eve')).code).toBe(1);
    expect(lastReply()).toContain('`/qm unlock` needs write, maintain or admin');
    const r = await comment('/qm unlock', 'bob');
    expect(r.code, r.stderr).toBe(0);
    expect(lastReply()).toContain('Released the lock on `gpu-east`');
    // Now a second pull request can take it.
    const other = await h.branch('other', { 'pools/gpu.yaml': (await import('./harness.js')).FLEET['pools/gpu.yaml']!.replace('max: 10', 'max: 12') });
    h.openPull(8, other);
    const p = await h.run('plan', await h.pullRequestEvent(8, 'opened'));
    expect(p.code, p.stderr).toBe(0);
  });

  it('/qm plan plans again, looking the pull request up on GitHub', async () => {
    h.openPull(7, head);
    const r = await comment('/qm plan', 'eve');
    expect(r.code, r.stderr).toBe(0);
    expect(h.gh.commentsOn(7)).toHaveLength(1);
    expect(h.gh.commentsOn(7)[0]!.body).toContain('adds 2 placements');
  });

  it('ignores comments that are not commands, and answers an unknown command with help', async () => {
    h.openPull(7, head);
    const r = await comment('Looks good to me.\n/qm apply');
    expect(r.code).toBe(0);
    expect(h.gh.comments).toHaveLength(0);
    const u = await comment('/qm destroy');
    expect(u.code).toBe(1);
    expect(lastReply()).toContain('`/qm destroy` is not a Quartermaster command');
  });
});
