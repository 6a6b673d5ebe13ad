/**
 * headCommit remembers HEAD between calls while the files that resolve it are unchanged (qm serve
 * asks every run): every way Git moves HEAD must still be seen, on a real repository.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headCommit } from '../../src/config/load.js';

let dir: string;
const git = () => simpleGit({ baseDir: dir, config: ['user.email=t@quartermaster.dev', 'user.name=t', 'commit.gpgsign=false'] });
const rev = async (r = 'HEAD') => (await git().revparse([r])).trim();
let n = 0;
const commit = async () => {
  writeFileSync(path.join(dir, 'f.txt'), `${n++}\n`);
  await git().add('f.txt');
  await git().commit(`c${n}`);
  return rev();
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'qm-head-'));
  await git().init(['-q', '-b', 'main']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('headCommit', () => {
  it('is null before the first commit, then follows commits, branch switches, detached HEAD, packed refs and resets', async () => {
    expect(await headCommit(dir)).toBeNull();
    const c1 = await commit();
    expect(await headCommit(dir)).toBe(c1);
    expect(await headCommit(dir)).toBe(c1);
    const c2 = await commit();
    expect(await headCommit(dir)).toBe(c2);
    await git().checkout(['-q', '-b', 'other', c1]);
    expect(await headCommit(dir)).toBe(c1);
    const c3 = await commit();
    expect(await headCommit(dir)).toBe(c3);
    await git().checkout(['-q', '--detach', c2]);
    expect(await headCommit(dir)).toBe(c2);
    await git().checkout(['-q', 'main']);
    expect(await headCommit(dir)).toBe(c2);
    await git().raw(['pack-refs', '--all']);
    expect(await headCommit(dir)).toBe(c2);
    const c4 = await commit();
    expect(await headCommit(dir)).toBe(c4);
    await git().raw(['pack-refs', '--all']);
    await git().raw(['update-ref', 'refs/heads/main', c1]);
    expect(await headCommit(dir)).toBe(c1);
    await git().reset(['-q', '--hard', c3]);
    expect(await headCommit(dir)).toBe(c3);
  });

  it('follows a linked worktree: its own HEAD, its branch in the common directory', async () => {
    const wt = mkdtempSync(path.join(tmpdir(), 'qm-head-wt-'));
    rmSync(wt, { recursive: true });
    await git().raw(['worktree', 'add', '-q', '-b', 'wt', wt]);
    try {
      const base = await rev();
      expect(await headCommit(wt)).toBe(base);
      const inWt = simpleGit({ baseDir: wt, config: ['user.email=t@quartermaster.dev', 'user.name=t', 'commit.gpgsign=false'] });
      writeFileSync(path.join(wt, 'g.txt'), 'x\n');
      await inWt.add('g.txt');
      await inWt.commit('in the worktree');
      const moved = (await inWt.revparse(['HEAD'])).trim();
      expect(moved).not.toBe(base);
      expect(await headCommit(wt)).toBe(moved);
      // The main checkout did not move.
      expect(await headCommit(dir)).toBe(base);
      // The worktree's branch moved from the main checkout (refs live in the common directory).
      await git().raw(['update-ref', 'refs/heads/wt', base]);
      expect(await headCommit(wt)).toBe(base);
    } finally {
      await git().raw(['worktree', 'remove', '--force', wt]);
    }
  });

  it('answers from a subdirectory and outside a repository', async () => {
    const sub = path.join(dir, 'agents');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub, { recursive: true });
    expect(await headCommit(sub)).toBe(await rev());
    const outside = mkdtempSync(path.join(tmpdir(), 'qm-nohead-'));
    try {
      expect(await headCommit(outside)).toBeNull();
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
