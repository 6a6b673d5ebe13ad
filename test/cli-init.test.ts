/**
 * `qm init`: the scaffolded policy repository validates and plans cleanly (no warning) on the
 * built-in sim driver, from the working tree and from a Git commit; a non-empty directory is
 * refused; --force overwrites only its own files and says which, never follows a link out.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { qm, ROOT } from './helpers/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'qm-init-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const FILES = [
  '.github/workflows/apply.yml',
  '.github/workflows/plan.yml',
  '.github/workflows/reconcile.yml',
  '.gitignore',
  'README.md',
  'agents/assistants.yaml',
  'policies/quota.yaml',
  'policies/scaling.yaml',
  'pools/general.yaml',
];

function listFiles(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? listFiles(dir, p) : [p];
  }).sort();
}

const git = (cwd: string, ...args: string[]) => {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
};
const hasGit = spawnSync('git', ['--version']).status === 0;

describe('qm init', () => {
  const fleet = path.join(tmp, 'fleet');

  it('scaffolds a policy repository into a new directory', () => {
    const r = qm(['init', fleet]);
    expect(r.code, r.stderr).toBe(0);
    expect(listFiles(fleet)).toEqual(FILES);
    expect(r.stdout).toContain('9 files written');
    expect(r.stdout).toMatch(/created\s+pools\/general\.yaml/);
    expect(r.stdout).toContain('QM_STATE');
    expect(readFileSync(path.join(fleet, '.gitignore'), 'utf8')).toMatch(/^\.qm\/$/m);
    const readme = readFileSync(path.join(fleet, 'README.md'), 'utf8');
    for (const s of ['QM_STATE', '/qm apply', 'docs/github.md', 'git push']) expect(readme).toContain(s);
    for (const f of ['plan', 'apply', 'reconcile']) {
      const text = readFileSync(path.join(fleet, '.github', 'workflows', `${f}.yml`), 'utf8');
      expect(text).toContain('uses: quartermaster-dev/quartermaster@v0');
      expect(text).not.toContain('npm ci');
    }
  });

  it('validates and plans cleanly on the sim driver: exit 0, no warning', () => {
    const v = qm(['validate'], { cwd: fleet });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout + v.stderr).not.toMatch(/warning/i);
    const p = qm(['plan'], { cwd: fleet });
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout + p.stderr).not.toMatch(/warning/i);
    expect(p.stdout).toMatch(/Plan: 3 to place, .* 0 blocked\./);
    // Office hours in Berlin on a weekday: the schedule raises helpdesk-bot to 3, still no warning.
    const w = qm(['plan', '--now', '2026-12-08T10:00:00Z'], { cwd: fleet });
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout + w.stderr).not.toMatch(/warning/i);
    expect(w.stdout).toMatch(/scale agent helpdesk-bot 2 → 3 replicas/);
    expect(w.stdout).toMatch(/Plan: 4 to place, .* 1 agent to scale; 0 blocked\./);
  });

  it.skipIf(!hasGit && !process.env.CI)('commits with git, and plans the commit with --ref HEAD; .qm/ stays out of Git', () => {
    git(fleet, 'init', '-q');
    git(fleet, 'add', '-A');
    git(fleet, 'commit', '-q', '-m', 'Our fleet');
    expect(git(fleet, 'ls-files').split('\n').filter(Boolean).sort()).toEqual(FILES);
    const p = qm(['plan', '--ref', 'HEAD'], { cwd: fleet });
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout + p.stderr).not.toMatch(/warning/i);
    expect(p.stdout).toMatch(/Plan: 3 to place/);
    expect(existsSync(path.join(fleet, '.qm'))).toBe(true);
    expect(git(fleet, 'status', '--porcelain')).toBe('');
  });

  it('refuses a non-empty directory in one sentence with a hint, writing nothing', () => {
    const dir = path.join(tmp, 'busy');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'notes.txt'), 'mine\n');
    const r = qm(['init'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^qm: \. is not empty \(notes\.txt\), so qm init did not write anything there\nhint: .*--force/);
    expect(listFiles(dir)).toEqual(['notes.txt']);
    expect(qm(['init', dir]).code).toBe(1);
  });

  it('takes a directory holding only .git (a fresh clone) as empty', () => {
    const dir = path.join(tmp, 'clone');
    mkdirSync(path.join(dir, '.git'), { recursive: true });
    const r = qm(['init', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'pools', 'general.yaml'))).toBe(true);
  });

  it('--force writes its own files, keeps the user\'s, and says which it overwrote', () => {
    const dir = path.join(tmp, 'forced');
    mkdirSync(path.join(dir, 'pools'), { recursive: true });
    writeFileSync(path.join(dir, 'notes.txt'), 'mine\n');
    writeFileSync(path.join(dir, 'pools', 'general.yaml'), '# my own pool\n');
    writeFileSync(path.join(dir, 'pools', 'other.yaml'), '# another\n');
    const r = qm(['init', dir, '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/overwrote pools\/general\.yaml/);
    expect(r.stdout.match(/overwrote/g)).toHaveLength(1);
    expect(readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine\n');
    expect(readFileSync(path.join(dir, 'pools', 'other.yaml'), 'utf8')).toBe('# another\n');
    expect(readFileSync(path.join(dir, 'pools', 'general.yaml'), 'utf8')).toContain('kind: Pool');
    expect(listFiles(dir)).toEqual([...FILES, 'notes.txt', 'pools/other.yaml'].sort());
    // Again: everything is already there.
    const again = qm(['init', dir, '--force']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 files written, 9 already up to date');
  });

  it('--force never writes through a symbolic link', () => {
    const dir = path.join(tmp, 'linked');
    const outside = path.join(tmp, 'outside');
    mkdirSync(outside);
    mkdirSync(dir);
    symlinkSync(outside, path.join(dir, 'pools'));
    const r = qm(['init', dir, '--force']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pools exists and is a symbolic link, not a directory, so qm init did not write anything/);
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(dir)).toEqual(['pools']);
  });

  it('--action names the Action the workflows use; a malformed one is refused', () => {
    const dir = path.join(tmp, 'pinned');
    const r = qm(['init', dir, '--action', 'acme/qm-action@v1.2.3']);
    expect(r.code, r.stderr).toBe(0);
    const plan = readFileSync(path.join(dir, '.github', 'workflows', 'plan.yml'), 'utf8');
    expect(plan).toContain('uses: acme/qm-action@v1.2.3');
    expect(plan).not.toContain('quartermaster-dev');
    const bad = qm(['init', path.join(tmp, 'bad'), '--action', 'not a ref']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--action 'not a ref' is not an action reference/);
    expect(existsSync(path.join(tmp, 'bad'))).toBe(false);
  });

  it('is listed in qm --help', () => {
    expect(qm(['--help']).stdout).toContain('qm init [DIR] [--force]');
  });

  it('is where the README starts: its first section is the adoption path', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const first = readme.slice(readme.indexOf('\n## '), readme.indexOf('\n## ', readme.indexOf('\n## ') + 1));
    for (const s of ['npx quartermaster init fleet', 'git push', 'QM_STATE', 'action.yml', 'docs/github.md']) expect(first).toContain(s);
  });
});
