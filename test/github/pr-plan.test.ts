/** `qm pr plan` end to end: a real Git repository, the local GitHub, real webhook payloads. */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, researchAgent, FLEET } from './harness.js';
import type { Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.cleanup();
});

const GPU_6 = FLEET['pools/gpu.yaml']!.replace('min: 4', 'min: 6');
const writes = () => h.gh.requests.filter((r) => r.method !== 'GET');

/** A port on 127.0.0.1 nothing listens on (one just given up by a server). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** A high-priority agent that takes general-0 first: chat lands on another node than on the base branch. */
const WEB = `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: web}
spec:
  owner: web
  replicas: 1
  priority: 90
  resources:
    requests: {cpu: 7, memory: 4Gi}
  placement:
    pools: [general]
`;

/** One tpu node with 4 Coral TPUs, and an agent asking for 5: the fifth is blocked on the only node it may use. */
const TPU_POOL = `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: tpu}
spec:
  node:
    capacity: {cpu: 16, memory: 64Gi, example.com/coral-tpu: 4}
  size: {min: 1, max: 1}
`;
const TPU_AGENT = `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: vision}
spec:
  owner: web
  replicas: 5
  resources:
    requests: {cpu: 1, memory: 1Gi, example.com/coral-tpu: 1}
  placement:
    pools: [tpu]
`;

function manyAgents(n: number, replicas: number): string {
  return Array.from({ length: n }, (_, i) => `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: worker-${i}}
spec:
  owner: web
  replicas: ${replicas}
  resources:
    requests: {cpu: 10m, memory: 16Mi}
  placement:
    pools: [general]
`).join('---\n');
}

describe('qm pr plan', () => {
  it('posts one comment with the validation result, the plan and what the pull request changes compared with main', async () => {
    const head = await h.branch('more-research', { 'agents/research.yaml': researchAgent(10), 'pools/gpu.yaml': GPU_6 });
    h.openPull(7, head);
    const r = await h.run('plan', await h.pullRequestEvent(7, 'opened'), { out: 'plan.json' });
    expect(r.code, r.stderr).toBe(0);
    const comments = h.gh.commentsOn(7);
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body;
    expect(body.startsWith('<!-- quartermaster:plan -->\n<!-- quartermaster:pr=7 base=main -->')).toBe(true);
    expect(body).toContain('## ✅ Quartermaster: planned');
    // The batch is planned whole: with more GPU instances pending, one of main's four lands elsewhere.
    expect(body).toContain('adds 6 placements, places 1 instance on other nodes than main would, scales gpu-east 4 → 6 (+6.40/h), blocks 2 instances on quota ml-team');
    expect(body).toContain('`/qm apply`');
    // The check run: created in progress at the head, completed with the difference as its title.
    const check = h.gh.checks.at(-1)!;
    expect(check).toMatchObject({ name: 'quartermaster/plan', head_sha: head, status: 'completed', conclusion: 'success' });
    expect(check.output.title).toContain('scales gpu-east 4 → 6');
    // The plan file for the artifact: the pull request's plan, without the token.
    const planText = await readFile(path.join(h.repo.dir, 'plan.json'), 'utf8');
    expect(JSON.parse(planText)).toMatchObject({ formatVersion: '1.0', inputs: { gitCommit: head }, summary: { place: 10, blocked: 2 } });
    for (const text of [planText, r.stdout, r.stderr, body]) expect(text).not.toContain(h.gh.token);
    // Every request carried the token, and only in the header.
    expect(h.gh.requests.every((q) => q.authorization === `token ${h.gh.token}`)).toBe(true);
  });

  it('updates the same comment in place when the pull request changes', async () => {
    const first = await h.branch('research', { 'agents/research.yaml': researchAgent(4) });
    h.openPull(7, first);
    expect((await h.run('plan', await h.pullRequestEvent(7, 'opened'))).code).toBe(0);
    const id = h.gh.commentsOn(7)[0]!.id;
    expect(h.gh.commentsOn(7)[0]!.body).toContain('adds 2 placements');

    await h.repo.git.checkout(['-q', 'research']);
    await h.repo.write('agents/research.yaml', researchAgent(6));
    const second = await h.repo.commit('more');
    await h.repo.git.checkout(['-q', 'main']);
    h.gh.setHead(7, second);
    const r = await h.run('plan', await h.pullRequestEvent(7, 'synchronize'));
    expect(r.code, r.stderr).toBe(0);
    expect(h.gh.commentsOn(7)).toHaveLength(1);
    expect(h.gh.commentsOn(7)[0]!.id).toBe(id);
    expect(h.gh.commentsOn(7)[0]!.body).toContain('adds 4 placements');
    expect(writes().filter((q) => q.path.endsWith(`/issues/comments/${id}`) && q.method === 'PATCH')).toHaveLength(1);
    expect(r.stdout).toContain('comment updated');
  });

  it('leaves the comment alone when a re-run plans exactly the same, only later', async () => {
    const head = await h.branch('research', { 'agents/research.yaml': researchAgent(4) });
    h.openPull(7, head);
    expect((await h.run('plan', await h.pullRequestEvent(7, 'opened'), { now: '2026-11-28T10:00:00Z' })).code).toBe(0);
    const body = h.gh.commentsOn(7)[0]!.body;
    const edits = () => writes().filter((q) => q.method === 'PATCH' && q.path.includes('/issues/comments/'));
    // The same head planned again (a re-run, /qm plan): a new plan id and time, nothing else.
    const again = await h.run('plan', await h.pullRequestEvent(7, 'synchronize'), { now: '2026-11-28T10:05:00Z' });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('comment unchanged');
    expect(edits()).toHaveLength(0);
    expect(h.gh.commentsOn(7)[0]!.body).toBe(body);

    // The pull request stops changing policies: said once, then left alone.
    const docs = await h.branch('docs-only', { 'README.md': '# fleet\n\nMore words.\n' });
    h.gh.setHead(7, docs);
    const none = await h.run('plan', await h.pullRequestEvent(7, 'synchronize'), { now: '2026-11-28T10:10:00Z' });
    expect(none.stdout).toContain('no-change (check neutral, comment updated)');
    expect(h.gh.commentsOn(7)[0]!.body).toContain('no policy change');
    const noneAgain = await h.run('plan', await h.pullRequestEvent(7, 'synchronize'), { now: '2026-11-28T10:15:00Z' });
    expect(noneAgain.stdout).toContain('no-change (check neutral, comment unchanged)');
    expect(edits()).toHaveLength(1);
  });

  it('names what blocks an instance on the nodes it may use, not the rule that excludes the other pools', async () => {
    const head = await h.branch('tpu', { 'pools/tpu.yaml': TPU_POOL, 'agents/vision.yaml': TPU_AGENT });
    h.openPull(7, head);
    const r = await h.run('plan', await h.pullRequestEvent(7, 'opened'));
    expect(r.code, r.stderr).toBe(0);
    const body = h.gh.commentsOn(7)[0]!.body;
    // 0/7 nodes fit: 6 NodeAffinityMismatch(placement.pools), 1 InsufficientResource(example.com/coral-tpu)
    expect(body).toContain('blocks 1 instance on InsufficientResource(example.com/coral-tpu).');
    expect(h.gh.checks.at(-1)!.output.title).toContain('blocks 1 instance on InsufficientResource(example.com/coral-tpu)');
    expect(body).not.toContain('on NodeAffinityMismatch');
  });

  it('keeps the summary of a huge plan and cuts its details to 65,536 characters with a pointer to the full plan', async () => {
    const general = FLEET['pools/general.yaml']!.replace('{cpu: 8, memory: 32Gi}', '{cpu: 64, memory: 256Gi}');
    const head = await h.branch('huge', { 'pools/general.yaml': general, 'agents/workers.yaml': manyAgents(30, 100) });
    h.openPull(9, head);
    const r = await h.run('plan', await h.pullRequestEvent(9, 'opened'), { out: 'plan.json' });
    expect(r.code, r.stderr).toBe(0);
    const body = h.gh.commentsOn(9)[0]!.body;
    expect(body.length).toBeLessThanOrEqual(65536);
    expect(body).toContain('adds 3000 placements');
    expect(body).toMatch(/too large for one comment/);
    expect(body).toContain('https://github.com/acme/fleet/actions/runs/4242');
    const plan = JSON.parse(await readFile(path.join(h.repo.dir, 'plan.json'), 'utf8')) as { actions: unknown[] };
    expect(plan.actions.length).toBeGreaterThanOrEqual(3000);
  });

  it('sets a neutral check and posts no comment when no policy file changed', async () => {
    const head = await h.branch('docs', { 'README.md': '# fleet\n\nMore words.\n' });
    h.openPull(11, head);
    const r = await h.run('plan', await h.pullRequestEvent(11, 'opened'));
    expect(r.code, r.stderr).toBe(0);
    expect(h.gh.commentsOn(11)).toHaveLength(0);
    expect(h.gh.checks).toHaveLength(1);
    expect(h.gh.checks[0]).toMatchObject({ conclusion: 'neutral', status: 'completed', output: { title: 'No policy change' } });
    expect(r.stdout).toContain('no-change');
  });

  it('turns validation failures into annotations at file:line, 50 per request, and fails the check', async () => {
    const bad = Array.from({ length: 60 }, (_, i) => `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: broken-${i}}
spec:
  owner: web
  resources:
    requests: {cpu: 1, memory: 1Gi}
  placement:
    pools: [gpu-eats]
`).join('---\n');
    const head = await h.branch('broken', { 'agents/broken.yaml': bad });
    h.openPull(12, head);
    const r = await h.run('plan', await h.pullRequestEvent(12, 'opened'));
    expect(r.code).toBe(1);
    const check = h.gh.checks.at(-1)!;
    expect(check.conclusion).toBe('failure');
    expect(check.output.annotations).toHaveLength(60);
    expect(check.output.annotations[0]).toMatchObject({ path: 'agents/broken.yaml', start_line: 9, end_line: 9, annotation_level: 'failure', title: 'UnknownReference' });
    expect(String(check.output.annotations[0]!.message)).toContain("did you mean 'gpu-east'?");
    // The server refuses more than 50 per request; the rest went in a second update.
    const updates = h.gh.requests.filter((q) => q.method === 'PATCH' && q.path.includes('/check-runs/'));
    expect(updates.map((q) => ((q.body?.output as { annotations?: unknown[] })?.annotations ?? []).length)).toEqual([50, 10]);
    const body = h.gh.commentsOn(12)[0]!.body;
    expect(body).toContain('❌ Quartermaster: the policy has 60 errors; nothing was planned');
    expect(body).toContain('`agents/broken.yaml:9:13`');
    expect(body).toContain('and 30 more: see the annotations of the check run');
  });

  it('tells a second pull request touching a locked pool which pull request holds it, until the first is merged', async () => {
    const a = await h.branch('a', { 'agents/research.yaml': researchAgent(4) });
    const b = await h.branch('b', { 'pools/gpu.yaml': GPU_6 });
    h.openPull(7, a);
    h.openPull(8, b);
    expect((await h.run('plan', await h.pullRequestEvent(7, 'opened'))).code).toBe(0);
    expect(h.gh.commentsOn(7)[0]!.body).toContain('holds the lock on `gpu-east`');

    const r = await h.run('plan', await h.pullRequestEvent(8, 'opened'));
    expect(r.code).toBe(1);
    const body = h.gh.commentsOn(8)[0]!.body;
    expect(body).toContain('🔒 Quartermaster: planned, but pools are locked by another pull request');
    expect(body).toContain('pool `gpu-east` is locked by acme/fleet\\#7');
    expect(h.gh.checks.at(-1)!.conclusion).toBe('failure');

    // #7 is merged: its locks go, and #8 plans cleanly.
    h.gh.pulls.get(7)!.state = 'closed';
    const closed = await h.run('plan', await h.pullRequestEvent(7, 'closed', { merged: true }));
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stdout).toContain('released gpu-east');
    expect(h.gh.commentsOn(7).at(-1)!.body).toContain('the pull request was merged');
    const again = await h.run('plan', await h.pullRequestEvent(8, 'synchronize'));
    expect(again.code, again.stderr).toBe(0);
    expect(h.gh.commentsOn(8)).toHaveLength(1);
    expect(h.gh.commentsOn(8)[0]!.body).toContain('holds the lock on `gpu-east`');
  });

  it('retries a 502 with backoff and succeeds', async () => {
    const head = await h.branch('research', { 'agents/research.yaml': researchAgent(4) });
    h.openPull(7, head);
    h.gh.fail('502', { method: 'POST', path: /\/issues\/7\/comments$/ });
    const r = await h.run('plan', await h.pullRequestEvent(7, 'opened'));
    expect(r.code, r.stderr).toBe(0);
    const posts = h.gh.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/issues/7/comments'));
    expect(posts.map((q) => q.status)).toEqual([502, 201]);
    expect(h.gh.commentsOn(7)).toHaveLength(1);
  });

  it('waits out a rate limit and succeeds, saying so without printing the token', async () => {
    const head = await h.branch('research', { 'agents/research.yaml': researchAgent(4) });
    h.openPull(7, head);
    h.gh.fail('rate-limit', { method: 'GET', path: /\/issues\/7\/comments$/ });
    h.gh.fail('secondary-rate-limit', { method: 'POST', path: /\/check-runs$/ });
    const r = await h.run('plan', await h.pullRequestEvent(7, 'opened'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/GitHub rate limit on GET .*retrying in \d+s/);
    expect(r.stderr).toMatch(/GitHub secondary rate limit on POST .*retrying in \d+s/);
    expect(r.stderr).not.toContain(h.gh.token);
    const lists = h.gh.requests.filter((q) => q.method === 'GET' && q.path.endsWith('/issues/7/comments'));
    expect(lists.map((q) => q.status)).toEqual([403, 200]);
    expect(h.gh.commentsOn(7)).toHaveLength(1);
  });

  it('reports a bad token in one sentence that does not contain it', async () => {
    const head = await h.branch('research', { 'agents/research.yaml': researchAgent(4) });
    h.openPull(7, head);
    const wrong = 'ghp_' + 'x'.repeat(36);
    const r = await h.run('plan', await h.pullRequestEvent(7, 'opened'), {}, { GITHUB_TOKEN: wrong });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/GitHub API: .* failed with 401: Bad credentials/);
    expect(r.stderr).toContain('hint: the token is missing or invalid');
    expect(r.stderr).not.toContain(wrong);
  });

  it('says it cannot connect when nothing answers at GITHUB_API_URL, after two quick retries, not as a 500', async () => {
    const head = await h.branch('research', { 'agents/research.yaml': researchAgent(4) });
    h.openPull(7, head);
    const url = `http://127.0.0.1:${await closedPort()}`;
    const t = performance.now();
    // The production backoff (QM_GITHUB_RETRY_BASE_MS unset): a 5xx would wait 1 + 4 + 9 s.
    const r = await h.run('plan', await h.pullRequestEvent(7, 'opened'), {}, { GITHUB_API_URL: url, QM_GITHUB_RETRY_BASE_MS: '' });
    expect(performance.now() - t).toBeLessThan(5000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`qm: GitHub API: creating the check run quartermaster/plan in acme/fleet failed: cannot connect to ${url}: ECONNREFUSED\n`);
    expect(r.stderr).toMatch(/hint: nothing answers at http:\/\/127\.0\.0\.1:\d+: check GITHUB_API_URL/);
    expect(r.stderr.match(/did not answer POST \/repos\/\{owner\}\/\{repo\}\/check-runs \(ECONNREFUSED\): retrying in \d+ ms/g)).toHaveLength(2);
    expect(r.stderr).not.toMatch(/failed with 500|having trouble/);
    expect(r.stderr).not.toContain(h.gh.token);
  });

  it('tries a server that drops every connection three times in all, then says the connection was lost', async () => {
    const head = await h.branch('research', { 'agents/research.yaml': researchAgent(4) });
    h.openPull(7, head);
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const r = await h.run('plan', await h.pullRequestEvent(7, 'opened'), {}, { GITHUB_API_URL: url });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`failed: (no answer from|cannot connect to) ${url.replace(/[.]/g, '\\.')}: [A-Z_]+\n`));
      expect(r.stderr).not.toMatch(/failed with 500/);
      expect(connections).toBe(3);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('works outside GitHub Actions with flags', async () => {
    const head = await h.branch('research', { 'agents/research.yaml': researchAgent(4) });
    h.openPull(7, head);
    const r = await h.run('plan', undefined, { pr: '7' }, { GITHUB_REPOSITORY: '', GITHUB_RUN_ID: '' , ...{} });
    // GITHUB_REPOSITORY empty: the repository comes from --repo.
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the repository is unknown');
    const ok = await h.run('plan', undefined, { pr: '7', repo: 'acme/fleet', base: 'main', head: 'research' });
    expect(ok.code, ok.stderr).toBe(0);
    expect(h.gh.commentsOn(7)[0]!.body).toContain('adds 2 placements');
  });

  it('outside Actions resolves --base and --head to commit SHAs before calling GitHub, and names the base branch everywhere', async () => {
    await h.repo.git.branch(['master', h.baseSha]);
    const head = await h.branch('feature', { 'agents/web.yaml': WEB });
    h.openPull(7, head, { baseRef: 'master' });
    const r = await h.run('plan', undefined, { pr: '7', repo: 'acme/fleet', base: 'master', head: 'feature' }, { GITHUB_RUN_ID: '' });
    expect(r.code, r.stderr).toBe(0);
    // Every check-run call names the head commit, never the branch.
    const creates = h.gh.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/check-runs'));
    expect(creates.map((q) => q.body?.head_sha)).toEqual([head]);
    const body = h.gh.commentsOn(7)[0]!.body;
    expect(body).toContain('<!-- quartermaster:pr=7 base=master -->');
    expect(body).toContain(`**Compared with \`master\` (${h.baseSha.slice(0, 7)}):** adds 1 placement.`);
    expect(body).toContain('| | master | this pull request | Δ |');
    expect(body).toContain(`<sub>Head ${head.slice(0, 7)} against master ${h.baseSha.slice(0, 7)}`);
    const check = h.gh.checks.at(-1)!;
    expect(check).toMatchObject({ head_sha: head, conclusion: 'success' });
    expect(check.output.title).toBe('adds 1 placement');
    expect(check.output.summary).toContain('master');
    expect(`${body}\n${check.output.title}\n${check.output.summary}`).not.toMatch(/\bmain\b/);
  });

  it('refuses a --head that is not in the repository before calling GitHub', async () => {
    h.openPull(7, h.baseSha);
    const r = await h.run('plan', undefined, { pr: '7', repo: 'acme/fleet', base: 'main', head: 'no-such-branch' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Git revision no-such-branch is not in the repository');
    expect(h.gh.requests).toHaveLength(0);
  });

  it('plans the first pull request of a repository whose main has no policy yet; refuses one that deletes every policy file', async () => {
    const fresh = await harness({});
    try {
      const head = await fresh.branch('first', FLEET);
      fresh.openPull(3, head);
      const r = await fresh.run('plan', await fresh.pullRequestEvent(3, 'opened'));
      expect(r.code, r.stderr).toBe(0);
      const body = fresh.gh.commentsOn(3)[0]!.body;
      expect(body).toContain('## ✅ Quartermaster: planned');
      expect(body).not.toMatch(/could not be planned|no policy files/);
      expect(fresh.gh.checks.at(-1)).toMatchObject({ conclusion: 'success' });
    } finally {
      await fresh.cleanup();
    }
    // The other way round: a head without policy would plan to remove everything, so it is not planned.
    const wipe = await h.branch('wipe', {}, Object.keys(FLEET));
    h.openPull(4, wipe);
    const r = await h.run('plan', await h.pullRequestEvent(4, 'opened'));
    expect(r.code).toBe(1);
    expect(h.gh.checks.at(-1)).toMatchObject({ conclusion: 'failure' });
    expect(h.gh.commentsOn(4)[0]!.body).toContain(`no policy files in ${h.repo.dir} at ${wipe}`);
  });

  it('--out to a missing directory is refused naming the path, before anything is posted', async () => {
    const head = await h.branch('research', { 'agents/research.yaml': researchAgent(4) });
    h.openPull(7, head);
    const r = await h.run('plan', await h.pullRequestEvent(7, 'opened'), { out: 'nodir/plan.json' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('qm: cannot write nodir/plan.json: the directory nodir does not exist\nhint: create it first (mkdir -p nodir), or give a path in an existing directory\n');
    expect(writes()).toEqual([]);
  });
});
