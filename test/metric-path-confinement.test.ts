/**
 * Security (issue #16): a MetricSource `spec.file.path` may not read anything outside the
 * repository — absolute paths, `..`, symbolic links (file or parent folder, in the work tree or
 * committed in a revision), /proc/self/environ — and nothing of such a file (nor of any CSV) is
 * ever quoted in qm's output. Through the real CLI: qm validate, and qm plan in every format with --out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchSeries } from '../src/metrics/index.js';
import type { MetricSourceDoc } from '../src/model/documents.js';
import { qm } from './helpers/cli.js';
import { POOL_YAML, agentYaml, tempRepo, type TempRepo } from './helpers/repo.js';

const NOW = '2026-11-27T12:00:00Z';
// Unique per run, so a hit can only come from this test's files or environment.
const SECRET = `QM_SECRET_${process.pid}_${Date.now().toString(36)}`;
const ENV = { QM_TEST_SECRET: SECRET };
const CSV = `timestamp,series,value\n${Array.from({ length: 6 }, (_, i) => `2026-11-27T11:${48 + i * 2}:00Z,rpm,300`).join('\n')}\n`;

/** The policy file, with spec.file.path on line 6 at column 11 (the value). */
const metricsYaml = (p: string) => `apiVersion: quartermaster.dev/v1alpha1
kind: MetricSource
metadata: {name: history}
spec:
  file:
    path: ${JSON.stringify(p)}
---
apiVersion: quartermaster.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: chat}
spec:
  target: {kind: Agent, name: chat}
  min: 1
  max: 8
  metrics: [{metric: {source: history, series: rpm}, targetPerReplica: 100}]
  behavior: {scaleUp: {cooldown: 0s}}
`;

let outside: string;
let secretFile: string;
beforeAll(async () => {
  outside = await mkdtemp(path.join(tmpdir(), 'qm-outside-'));
  secretFile = path.join(outside, 'secret.csv');
  // Both a line that is not CSV (the old error quoted it) and a valid CSV whose series name is the secret.
  await writeFile(secretFile, `${SECRET}=hunter2\n`);
  await writeFile(path.join(outside, 'valid.csv'), CSV.replaceAll('rpm', SECRET));
});
afterAll(() => rm(outside, { recursive: true, force: true }));

const repos: TempRepo[] = [];
afterAll(() => Promise.all(repos.map((r) => r.cleanup())));

/** A fleet whose MetricSource reads `p`; `setup` adds links; with `git`, everything is committed. */
async function fleet(p: string, setup?: (r: TempRepo) => Promise<void>, git = false): Promise<TempRepo> {
  const r = await tempRepo({ git });
  repos.push(r);
  await r.write('pools/general.yaml', POOL_YAML);
  await r.write('agents/chat.yaml', agentYaml('chat', '  replicas: 1\n'));
  await r.write('policies/metrics.yaml', metricsYaml(p));
  await r.write('snap.yaml', 'nodes:\n  - {name: general-0, pool: general}\ninstances: []\n');
  await mkdir(path.join(r.dir, 'metrics'), { recursive: true });
  await setup?.(r);
  if (git) await r.commit('fleet');
  return r;
}

/** qm validate and qm plan (text, markdown, json, each with --out) refuse, and the secret appears nowhere. */
function expectRefused(r: TempRepo, extra: string[] = []): void {
  const v = qm(['validate', r.dir, ...extra], { env: ENV });
  expect(v.code, v.stdout + v.stderr).toBe(1);
  expect(v.stdout).toMatch(/^policies\/metrics\.yaml:6:11 - error PathOutsideRepository: MetricSource 'history': spec\.file\.path .* files outside the repository are never read$/m);
  const vj = qm(['validate', r.dir, '--format', 'json', ...extra], { env: ENV });
  expect(JSON.parse(vj.stdout)).toContainEqual(expect.objectContaining({ code: 'PathOutsideRepository', file: 'policies/metrics.yaml', line: 6, column: 11, jsonPointer: '/spec/file/path' }));
  for (const out of [v, vj]) expect(out.stdout + out.stderr).not.toContain(SECRET);
  for (const format of ['text', 'markdown', 'json']) {
    const file = path.join(r.dir, `plan-${format}.json`);
    const p = qm(['plan', r.dir, '--snapshot', path.join(r.dir, 'snap.yaml'), '--now', NOW, '--format', format, '--out', file, ...extra], { env: ENV });
    expect(p.code, format).toBe(1);
    expect(p.stderr, format).toMatch(/PathOutsideRepository/);
    expect(p.stdout + p.stderr, format).not.toContain(SECRET);
    if (existsSync(file)) expect(readFileSync(file, 'utf8'), format).not.toContain(SECRET);
  }
}

describe('a MetricSource file outside the repository is refused, and never read', () => {
  it('an absolute path', async () => expectRefused(await fleet(secretFile)));
  it('a path leading out with ..', async () => {
    const r = await fleet('');
    await r.write('policies/metrics.yaml', metricsYaml(path.relative(r.dir, secretFile)));
    expectRefused(r);
  });
  it('/proc/self/environ (the process environment)', async () => {
    expect(existsSync('/proc/self/environ')).toBe(true);
    expectRefused(await fleet('/proc/self/environ'));
  });
  it('a symbolic link to a file outside', async () => expectRefused(await fleet('metrics/rpm.csv', (r) => symlink(secretFile, path.join(r.dir, 'metrics/rpm.csv')))));
  it('a file under a symbolically linked folder that points outside', async () => {
    expectRefused(await fleet('metrics/ext/valid.csv', (r) => symlink(outside, path.join(r.dir, 'metrics/ext'))));
  });
  it('under --ref: a committed link out, even when the work tree has a harmless file there', async () => {
    const r = await fleet('metrics/rpm.csv', (x) => symlink(secretFile, path.join(x.dir, 'metrics/rpm.csv')), true);
    await rm(path.join(r.dir, 'metrics/rpm.csv'));
    await writeFile(path.join(r.dir, 'metrics/rpm.csv'), CSV);
    expectRefused(r, ['--ref', 'HEAD']);
  });
  it('under --ref: a committed relative link that climbs out of the repository', async () => {
    const r = await fleet('metrics/rpm.csv', (x) => symlink(path.relative(path.join(x.dir, 'metrics'), secretFile), path.join(x.dir, 'metrics/rpm.csv')), true);
    expectRefused(r, ['--ref', 'HEAD']);
  });
  it('under --ref: a file the revision does not track is read from the work tree only inside the repository', async () => {
    const r = await fleet('metrics/ext/valid.csv', async (x) => {
      await x.write('.gitignore', '/metrics/\n');
      await symlink(outside, path.join(x.dir, 'metrics/ext'));
    }, true);
    expectRefused(r, ['--ref', 'HEAD']);
  });
  it('under --ref: a path leading out with ..', async () => {
    const r = await fleet('../outside.csv', undefined, true);
    expectRefused(r, ['--ref', 'HEAD']);
  });

  it('a file inside the repository, directly or through a link inside it, is still read', async () => {
    const r = await fleet('metrics/link.csv', async (x) => {
      await x.write('data/rpm.csv', CSV);
      await symlink('../data/rpm.csv', path.join(x.dir, 'metrics/link.csv'));
    });
    const v = qm(['validate', r.dir], { env: ENV });
    expect(v.code, v.stdout).toBe(0);
    const p = qm(['plan', r.dir, '--snapshot', path.join(r.dir, 'snap.yaml'), '--now', NOW, '--format', 'json'], { env: ENV });
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).actions).toContainEqual(expect.objectContaining({ type: 'scaleAgent', to: 3 }));
  });
});

describe('the metric reader refuses at read time too (defence in depth)', () => {
  const src = (p: string): MetricSourceDoc => ({ apiVersion: 'quartermaster.dev/v1alpha1', kind: 'MetricSource', metadata: { name: 's', labels: {}, annotations: {} }, spec: { file: { path: p } }, source: { file: 'x.yaml', index: 0, line: 1, column: 1 } });
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'qm-reader-'));
    await mkdir(path.join(dir, 'm'));
    await symlink(secretFile, path.join(dir, 'm', 'link.csv'));
    await symlink(outside, path.join(dir, 'm', 'ext'));
    await writeFile(path.join(dir, 'm', 'bad.csv'), `timestamp,value\n${SECRET},1\n`);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  it.each([
    ['absolute', () => secretFile, /is an absolute path/],
    ['..', () => path.relative(dir, secretFile), /leads out of the repository/],
    ['/proc/self/environ', () => '/proc/self/environ', /is an absolute path/],
    ['link', () => 'm/link.csv', /symbolic link that points outside/],
    ['linked folder', () => 'm/ext/valid.csv', /symbolic link that points outside/],
    ['missing file under a linked folder', () => 'm/ext/nope.csv', /symbolic link that points outside/],
  ])('%s', async (_name, p, message) => {
    const err = await fetchSeries(src(p()), { series: 'rpm' }, { start: 0, end: 2e9, step: 60 }, { dir }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain(SECRET);
  });
  it('a CSV inside the repository with bad content: file, line, column and what was expected, not the text', async () => {
    const err = await fetchSeries(src('m/bad.csv'), { series: 'rpm' }, { start: 0, end: 2e9, step: 60 }, { dir }).catch((e: Error) => e);
    expect((err as Error).message).toBe('MetricSource s: m/bad.csv:2:1: expected a timestamp: ISO 8601 (2026-11-28T10:00:00Z) or unix seconds');
  });
});

describe('qm forecast --file reads the path it is given, and quotes none of it', () => {
  it('a file that is not a CSV: the error names file:line:column, never the text', async () => {
    const f = qm(['forecast', '--file', secretFile, '--horizon', '1h'], { env: ENV });
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/secret\.csv:1:1: expected the header timestamp,value or timestamp,series,value/);
    expect(f.stdout + f.stderr).not.toContain(SECRET);
  });
});

describe('qm plan --snapshot with a file that is no snapshot: no quotes, no code frame', () => {
  it('a line of text is described, not shown', async () => {
    const r = await fleet('metrics/rpm.csv', (x) => x.write('metrics/rpm.csv', CSV));
    const p = qm(['plan', r.dir, '--snapshot', secretFile, '--now', NOW], { env: ENV });
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/not a snapshot: the file holds a single line of text/);
    expect(p.stdout + p.stderr).not.toContain(SECRET);
  });
});
