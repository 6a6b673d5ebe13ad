/**
 * What `npm pack` ships, and that it works: pack the built package (dist/ must be current — npm
 * test builds first; `prepare` is skipped here with --ignore-scripts so it does not build twice),
 * check the file list, install the tarball into an empty project offline, and run the installed
 * `qm`: --version, init, validate, plan, apply, status.
 *
 * Offline, as CI has no registry: npm 11 resolves a dependency range from the full packument, which
 * npm's cache does not hold after `npm ci`, so `npm install --offline <tarball>` cannot resolve. The
 * test therefore gives the empty project a lockfile pinning the tarball's dependencies to the
 * versions in this repository's package-lock.json (its production entries, with their registry
 * URLs and integrity) and runs `npm ci --offline`: every dependency comes from the local cache, by
 * integrity, as it would from the registry. better-sqlite3's install script would download a
 * prebuilt binary from GitHub; instead it finds the same file as a "local prebuild" made from this
 * repository's copy of the binary (without it, it compiles from source: slow, but it still works).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'qm-pack-'));
// The installed project holds a node_modules of ~250 packages: removing it takes a while.
afterAll(() => rm(tmp, { recursive: true, force: true }), 120_000);

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string>; files: string[] };

interface LockEntry { version?: string; resolved?: string; integrity?: string; dev?: boolean; link?: boolean; name?: string }

/** A lockfile for a project whose only dependency is the tarball, pinned like this repository's. */
function consumerLock(repoLock: { packages: Record<string, LockEntry & Record<string, unknown>> }, tarball: string): object {
  const root = repoLock.packages[''] as Record<string, unknown>;
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { [pkg.name]: `file:${tarball}` } },
    [`node_modules/${pkg.name}`]: { version: pkg.version, resolved: `file:${tarball}`, license: root.license, dependencies: root.dependencies, bin: root.bin, engines: root.engines },
  };
  for (const [key, entry] of Object.entries(repoLock.packages)) {
    if (key === '' || entry.dev || entry.link) continue;
    const name = entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const base = name.includes('/') ? name.slice(name.indexOf('/') + 1) : name;
    packages[key] = { ...entry, resolved: entry.resolved ?? `https://registry.npmjs.org/${name}/-/${base}-${entry.version}.tgz` };
  }
  return { name: 'consumer', lockfileVersion: 3, requires: true, packages };
}

/**
 * The environment of the commands: this process's, without what an enclosing `npm test` exports
 * (npm_config_local_prefix and friends would point the consumer's npm at this repository), but
 * with the same npm cache.
 */
const baseEnv: Record<string, string> = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !/^(npm_|INIT_CWD$)/i.test(k)) as [string, string][]);
if (process.env.npm_config_cache) baseEnv.npm_config_cache = process.env.npm_config_cache;

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...baseEnv, NO_COLOR: '1', QM_STATE: '', ...env }, timeout: 15 * 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

let tarball = '';
let files: string[] = [];
const project = path.join(tmp, 'consumer');

describe('npm pack', () => {
  beforeAll(() => {
    const r = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT);
    expect(r.code, r.stderr).toBe(0);
    const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(tmp, info!.filename);
    files = info!.files.map((f) => f.path).sort();
  }, 5 * 60_000);

  it('ships bin, dist, schemas and templates, plus README, LICENSE and package.json; nothing else', () => {
    const top = [...new Set(files.map((f) => f.split('/')[0]))].sort();
    expect(top).toEqual(['LICENSE', 'README.md', 'bin', 'dist', 'package.json', 'schemas', 'templates']);
    expect(pkg.files.sort()).toEqual(['bin', 'dist', 'schemas', 'templates']);
    for (const must of ['bin/qm.js', 'dist/cli/main.js', 'dist/cli/commands/init.js', 'dist/generated/validators.js', 'schemas/plan.schema.json', 'templates/policy-repo/gitignore', 'templates/policy-repo/README.md', 'templates/workflows/plan.yml', 'templates/workflows/apply.yml', 'templates/workflows/reconcile.yml']) {
      expect(files).toContain(must);
    }
    for (const f of files) {
      expect(f).not.toMatch(/^(src|test|bench|docs|scripts|metrics|\.qm|\.github|\.ci|node_modules)\//);
      expect(f).not.toMatch(/\.test\.js$|\.ts$|\.map$|state\.db/);
    }
  });

  it('installs offline into an empty project, where npx qm works: version, init, validate, plan, apply, status', () => {
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, dependencies: { [pkg.name]: `file:${tarball}` } }, null, 2));
    const repoLock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as Parameters<typeof consumerLock>[0];
    writeFileSync(path.join(project, 'package-lock.json'), JSON.stringify(consumerLock(repoLock, tarball), null, 2));

    // The prebuilt better-sqlite3 binary, where prebuild-install looks for a local one.
    const env: Record<string, string> = {};
    const sqlite = path.join(ROOT, 'node_modules', 'better-sqlite3');
    if (existsSync(path.join(sqlite, 'build', 'Release', 'better_sqlite3.node'))) {
      const { version } = JSON.parse(readFileSync(path.join(sqlite, 'package.json'), 'utf8')) as { version: string };
      const prebuilds = path.join(tmp, 'prebuilds');
      mkdirSync(prebuilds);
      const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
      const tar = run('tar', ['-czf', path.join(prebuilds, name), '-C', sqlite, 'build/Release/better_sqlite3.node'], tmp);
      expect(tar.code, tar.stderr).toBe(0);
      env.npm_config_better_sqlite3_local_prebuilds = prebuilds;
    }

    const install = run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], project, env);
    expect(install.code, install.out).toBe(0);
    const installed = path.join(project, 'node_modules', pkg.name);
    expect(existsSync(path.join(installed, 'templates', 'workflows', 'plan.yml'))).toBe(true);
    // Installed from the tarball, not linked to this checkout: no sources came along.
    expect(existsSync(path.join(installed, 'src'))).toBe(false);

    const version = run('npx', ['--no-install', 'qm', '--version'], project);
    expect(version.code, version.out).toBe(0);
    expect(version.stdout.trim()).toBe(`qm ${pkg.version}`);

    // The README's first command names the package (npx quartermaster init fleet); qm is its bin.
    const byName = run('npx', ['--no-install', 'quartermaster', '--version'], project);
    expect(byName.code, byName.out).toBe(0);
    expect(byName.stdout.trim()).toBe(`qm ${pkg.version}`);

    const init = run('npx', ['--no-install', 'quartermaster', 'init', 'fleet'], project);
    expect(init.code, init.out).toBe(0);
    expect(init.stdout).toContain('9 files written');
    const fleet = path.join(project, 'fleet');
    expect(readFileSync(path.join(fleet, '.github', 'workflows', 'plan.yml'), 'utf8')).toContain('uses: quartermaster-dev/quartermaster@v0');

    const validate = run('npx', ['--no-install', 'qm', 'validate'], fleet);
    expect(validate.code, validate.out).toBe(0);
    expect(validate.stdout).toMatch(/5 documents in 4 files: valid/);

    const plan = run('npx', ['--no-install', 'qm', 'plan'], fleet);
    expect(plan.code, plan.out).toBe(0);
    expect(plan.out).not.toMatch(/warning/i);
    expect(plan.stdout).toMatch(/Plan: 3 to place, .* 0 blocked\./);

    const apply = run('npx', ['--no-install', 'qm', 'apply', '--auto-approve'], fleet);
    expect(apply.code, apply.out).toBe(0);
    expect(apply.stdout).toMatch(/Apply complete: 3 succeeded/);
    expect(existsSync(path.join(fleet, '.qm', 'state.db'))).toBe(true);

    const again = run('npx', ['--no-install', 'qm', 'plan', '--detailed-exitcode'], fleet);
    expect(again.code, again.out).toBe(0);

    const status = run('npx', ['--no-install', 'qm', 'status'], fleet);
    expect(status.code, status.out).toBe(0);
    expect(status.stdout).toContain('general');
  }, 15 * 60_000);
});
