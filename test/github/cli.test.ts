/**
 * The real `qm` process against the local GitHub: `qm pr plan` in a pull_request workflow and
 * `qm pr comment` for /qm apply. Skipped until `qm pr` is wired into the CLI (qm --help lists it).
 */
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QM, qm } from '../helpers/cli.js';
import { harness, researchAgent } from './harness.js';
import type { Harness } from './harness.js';

const wired = qm(['--help']).stdout.includes('qm pr');

/** Run qm asynchronously: the local GitHub answers from this process, so a blocking spawn would deadlock. */
function run(args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [QM, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.cleanup();
});

describe.skipIf(!wired)('qm pr (process)', () => {
  it('plans a pull request, then applies it on /qm apply once approved', async () => {
    const head = await h.branch('research', { 'agents/research.yaml': researchAgent(4) });
    h.openPull(7, head);
    h.gh.permissions.set('bob', 'write');
    const env = { ...h.env, GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: await h.pullRequestEvent(7, 'opened') };
    const plan = await run(['pr', 'plan', '--out', 'plan.json'], h.repo.dir, env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(h.gh.commentsOn(7)[0]!.body).toContain('adds 2 placements');

    const early = await run(['pr', 'comment'], h.repo.dir, { ...h.env, GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: await h.commentEvent(7, '/qm apply', 'bob') });
    expect(early.code).toBe(1);
    expect(h.gh.commentsOn(7).at(-1)!.body).toContain('NotApproved');

    h.gh.review(7, 'carol', 'APPROVED');
    const apply = await run(['pr', 'comment'], h.repo.dir, { ...h.env, GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: await h.commentEvent(7, '/qm apply', 'bob') });
    expect(apply.code, apply.stderr).toBe(0);
    expect(h.gh.commentsOn(7).at(-1)!.body).toContain('Quartermaster applied #7');
    for (const out of [plan, early, apply]) expect(out.stdout + out.stderr).not.toContain(h.gh.token);
  });
});
