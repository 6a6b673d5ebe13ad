/** The small pure pieces: annotations, comment commands, redaction, the Actions context. */
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/model/diagnostic.js';
import { batches, toAnnotations } from '../../src/github/annotations.js';
import { parseCommentCommand } from '../../src/github/comment-command.js';
import { branchName, prContext } from '../../src/github/context.js';
import { redact } from '../../src/github/redact.js';
import { payload } from './server.js';

const diag = (over: Partial<Diagnostic> = {}): Diagnostic => ({ severity: 'error', code: 'UnknownReference', file: 'agents/chat.yaml', line: 12, column: 14, jsonPointer: '/spec/placement/pools/0', message: "pool 'gpu-eats' does not exist", hint: "did you mean 'gpu-east'?", ...over });

describe('toAnnotations', () => {
  it('puts a diagnostic at its file and line, with the repository prefix, level and hint', () => {
    expect(toAnnotations([diag()], 'fleet/')).toEqual([
      { path: 'fleet/agents/chat.yaml', start_line: 12, end_line: 12, start_column: 14, end_column: 14, annotation_level: 'failure', title: 'UnknownReference', message: "pool 'gpu-eats' does not exist\nhint: did you mean 'gpu-east'?" },
    ]);
  });
  it('sends columns only for one-line ranges, and warnings as warnings', () => {
    const [a] = toAnnotations([diag({ severity: 'warning', endLine: 14, endColumn: 3, hint: undefined })]);
    expect(a).toEqual({ path: 'agents/chat.yaml', start_line: 12, end_line: 14, annotation_level: 'warning', title: 'UnknownReference', message: "pool 'gpu-eats' does not exist" });
  });
  it.each([[0, [0]], [50, [50]], [51, [50, 1]], [120, [50, 50, 20]]])('batches %i annotations as %j', (n, sizes) => {
    expect(batches(Array.from({ length: n }, (_, i) => i)).map((b) => b.length)).toEqual(sizes);
  });
});

describe('parseCommentCommand', () => {
  it.each<[string, unknown]>([
    ['/qm plan', { name: 'plan' }],
    ['/qm apply\nthanks!', { name: 'apply' }],
    ['  /QM   Unlock  ', { name: 'unlock' }],
    ['\n\n/qm apply', { name: 'apply' }],
    ['/qm', { name: 'help' }],
    ['/qm destroy everything', { name: 'unknown', word: 'destroy' }],
    ['LGTM\n/qm apply', undefined],
    ['/qmapply', undefined],
    ['> /qm apply', undefined],
    ['', undefined],
  ])('%j', (body, expected) => {
    expect(parseCommentCommand(body)).toEqual(expected);
  });
});

describe('redact', () => {
  it.each([
    ['token ghs_0123456789abcdefghijABCDEFGHIJ01 leaked', 'token *** leaked'],
    ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', '***'],
    ['Authorization: Bearer abc.def.ghi', 'Authorization: Bearer ***'],
    ['https://x-access-token:s3cr3t@github.com/acme/fleet.git', 'https://x-access-token:***@github.com/acme/fleet.git'],
  ])('%s', (text, expected) => {
    expect(redact(text)).toBe(expected);
  });
  it('removes a given secret wherever it appears', () => {
    expect(redact('a-secret-value and again a-secret-value', ['a-secret-value'])).toBe('*** and again ***');
  });
});

describe('prContext', () => {
  const env = { GITHUB_TOKEN: 't0ken-value', GITHUB_REPOSITORY: 'acme/fleet', GITHUB_API_URL: 'http://127.0.0.1:1', GITHUB_RUN_ID: '9', GITHUB_SERVER_URL: 'https://github.example.com' };
  it('reads a pull_request event (the real payload)', () => {
    const c = prContext({}, env, payload('pull_request', 'opened'));
    expect(c).toMatchObject({ owner: 'acme', repo: 'fleet', pr: 2, eventName: 'pull_request', baseRef: 'master', baseSha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e', headSha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821', actor: 'Codertocat', apiUrl: 'http://127.0.0.1:1', runUrl: 'https://github.example.com/acme/fleet/actions/runs/9' });
  });
  it('reads an issue_comment event: the pull request only when the issue is one', () => {
    const ev = payload('issue_comment', 'created');
    expect(prContext({}, env, ev)).toMatchObject({ eventName: 'issue_comment', pr: undefined, actor: 'Codertocat' });
    (ev.issue as Record<string, unknown>).pull_request = { url: 'x' };
    expect(prContext({}, env, ev).pr).toBe(1);
  });
  it('takes flags outside Actions and insists on a token and a repository', () => {
    // --base/--head are revisions for Git to resolve, never SHAs to send to GitHub as they are.
    expect(prContext({ repo: 'o/r', pr: '3', base: 'main', head: 'HEAD' }, { GH_TOKEN: 'x' }, {})).toMatchObject({ owner: 'o', repo: 'r', pr: 3, baseRef: 'main', baseSha: undefined, headSha: undefined, baseRevision: 'main', headRevision: 'HEAD', apiUrl: 'https://api.github.com' });
    expect(prContext({ base: 'master', head: 'feature' }, env, payload('pull_request', 'opened'))).toMatchObject({ baseRef: 'master', baseSha: undefined, headSha: undefined, baseRevision: 'master', headRevision: 'feature' });
    expect(() => prContext({}, { GITHUB_REPOSITORY: 'o/r' }, {})).toThrow(/GITHUB_TOKEN is not set/);
    expect(() => prContext({}, { GITHUB_TOKEN: 'x' }, {})).toThrow(/repository is unknown/);
    expect(() => prContext({ pr: 'seven' }, env, {})).toThrow(/--pr seven is not a pull-request number/);
  });
});

describe('branchName', () => {
  it.each<[string, string | undefined]>([
    ['master', 'master'],
    ['refs/heads/release/1.2', 'release/1.2'],
    ['origin/main', 'main'],
    ['refs/remotes/origin/main', 'main'],
    ['HEAD', undefined],
    ['HEAD~1', undefined],
    ['f95f852bd8fca8fcc58a9a2d6c842781e32a215e', undefined],
    ['f95f852', undefined],
  ])('%s → %s', (rev, name) => {
    expect(branchName(rev)).toBe(name);
  });
});

describe('prCommand', () => {
  it('names the subcommands it has', async () => {
    const { prCommand } = await import('../../src/cli/commands/pr.js');
    const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {}, cwd: '/' };
    await expect(prCommand('merge', {}, io)).rejects.toThrow("'qm pr merge' is not a command");
    await expect(prCommand(undefined, {}, io)).rejects.toThrow('qm pr needs a subcommand');
    await expect(prCommand('plan', {}, io)).rejects.toThrow(/GITHUB_TOKEN is not set/);
  });
});
