/**
 * `qm serve` as a real process on the example fleet (SQLite store in the repository): health and
 * readiness, the exposition checked by promtool and scraped by a real Prometheus, JSON-lines logs,
 * SIGTERM, and --git-pull. Prometheus and promtool come from Debian's prometheus package (.ci/run
 * installs it); outside CI the parts that need them are skipped when they are missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../src/state/index.js';
import type { StateStore } from '../../src/state/index.js';
import { qm } from '../helpers/cli.js';
import type { TempRepo } from '../helpers/repo.js';
import { exampleFleetRepo, freePort, sample, sleep, startServe, waitFor, which } from './harness.js';
import type { ServeProc } from './harness.js';

const CI = Boolean(process.env.CI);
const PROMETHEUS = which('prometheus');
const PROMTOOL = which('promtool');

describe.runIf(CI && (!PROMETHEUS || !PROMTOOL))('Prometheus binaries in CI', () => {
  it('are installed (.ci/run installs Debian prometheus, which ships promtool)', () => {
    expect({ prometheus: PROMETHEUS, promtool: PROMTOOL }).toEqual({ prometheus: expect.any(String), promtool: expect.any(String) });
  });
});

describe('qm serve on the example fleet', () => {
  let repo: TempRepo;
  let serve: ServeProc;
  let store: StateStore;
  let promDir = '';
  let prom: ChildProcess | undefined;
  let releaseApply: (() => Promise<unknown>) | undefined;

  beforeAll(async () => {
    repo = await exampleFleetRepo();
    // Hold the apply lock as another `qm apply` would: the first runs cannot reconcile, so /readyz stays 503 until it is released.
    store = await openStateStore(path.join(repo.dir, '.qm', 'state.db'));
    const got = await store.locks.acquire('apply', 'someone@elsewhere (qm apply)', 300);
    expect(got.ok).toBe(true);
    const id = got.ok ? got.lock.id : '';
    releaseApply = () => store.locks.release(id);
    serve = await startServe(repo.dir, ['--interval', '2s', '--mode', 'report']);
  }, 60_000);

  afterAll(async () => {
    await serve?.stop('SIGKILL', 5000);
    if (prom?.pid !== undefined && prom.exitCode === null) {
      const exited = new Promise((r) => prom!.once('exit', r));
      process.kill(prom.pid, 'SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (prom.exitCode === null && prom.signalCode === null) process.kill(prom.pid, 'SIGKILL');
    }
    await store?.close();
    await repo?.cleanup();
    if (promDir) await rm(promDir, { recursive: true, force: true });
  });

  it('answers /healthz at once and /readyz 503 with a reason until a reconcile has finished, then 200', async () => {
    await waitFor('/healthz 200', async () => (await serve.get('/healthz')).status === 200, 60_000, serve.stderr);
    await waitFor('/readyz 503 naming the held apply lock', async () => {
      const r = await serve.get('/readyz');
      return r.status === 503 && /locked/.test(r.body);
    }, 60_000, serve.stderr);
    const r = await serve.get('/readyz');
    expect(r.body.trim().split('\n')).toHaveLength(1);
    await releaseApply!();
    await waitFor('/readyz 200', async () => (await serve.get('/readyz')).status === 200, 60_000, serve.stderr);
    expect((await serve.get('/nope')).status).toBe(404);
  }, 150_000);

  it('exports the SPEC §10 families from the plan it made, per pool and agent, never per instance', async () => {
    const { body } = await serve.get('/metrics');
    expect(sample(body, 'qm_leader')).toBe(1);
    expect(sample(body, 'qm_reconcile_total', { result: 'error' })).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'qm_reconcile_total', { result: 'drift' })).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'qm_reconcile_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'qm_plan_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    // Nothing applied yet (report mode): every instance of the example is still to place.
    expect(sample(body, 'qm_drift_instances')).toBeGreaterThan(0);
    expect(sample(body, 'qm_pool_nodes', { pool: 'general', state: 'ready' })).toBe(3);
    expect(sample(body, 'qm_pool_nodes', { pool: 'gpu', state: 'planned' })).toBe(2);
    expect(sample(body, 'qm_instances', { agent: 'ticket-triage', state: 'to_place' })).toBe(2);
    expect(sample(body, 'qm_instances', { agent: 'ticket-triage', state: 'running' })).toBe(0);
    expect(sample(body, 'qm_pool_utilization_ratio', { pool: 'general', resource: 'cpu' })).toBe(0);
    expect(sample(body, 'qm_quota_used_ratio', { quota: 'data-team', resource: 'cpuMillis' })).toBeGreaterThanOrEqual(0);
    expect(sample(body, 'qm_driver_up', { driver: 'sim' })).toBe(1);
    expect(sample(body, 'qm_driver_up', { driver: 'sim-local' })).toBe(1);
    expect(sample(body, 'qm_driver_call_duration_seconds_count', { driver: 'sim', call: 'observe' })).toBeGreaterThanOrEqual(1);
    // The example's gpu-pool ScalingPolicy forecasts: the interval holds its mean.
    const [lo, mean, hi] = ['lower', 'mean', 'upper'].map((bound) => sample(body, 'qm_forecast', { policy: 'gpu-pool', bound }));
    expect(lo).toBeLessThanOrEqual(mean!);
    expect(mean).toBeLessThanOrEqual(hi!);
    for (const family of ['qm_blocked_instances', 'qm_forecast', 'qm_actions_total', 'qm_apply_duration_seconds']) expect(body).toContain(`# TYPE ${family} `);
    const qmLines = body.split('\n').filter((l) => l.startsWith('qm_'));
    expect(qmLines.length).toBeGreaterThan(50);
    expect(qmLines.filter((l) => /\b(instance|node)="/.test(l))).toEqual([]);
    for (const m of body.matchAll(/^# HELP (qm_\w+) (.*)$/gm)) expect(m[2]!.length, m[1]).toBeGreaterThan(10);
  });

  it.skipIf(!PROMTOOL)('passes promtool check metrics', async () => {
    const { body } = await serve.get('/metrics');
    const r = spawnSync(PROMTOOL!, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!PROMETHEUS)('is scraped by a real Prometheus, whose API returns qm_reconcile_total and qm_pool_nodes', async () => {
    promDir = await mkdtemp(path.join(tmpdir(), 'qm-serve-prom-'));
    const port = await freePort();
    const config = path.join(promDir, 'prometheus.yml');
    await writeFile(config, `global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n  - job_name: qm\n    static_configs: [{targets: ['127.0.0.1:${serve.port}']}]\n`);
    await mkdir(path.join(promDir, 'data'));
    let log = '';
    prom = spawn(PROMETHEUS!, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(promDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    prom.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const query = async (q: string) => {
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
      return ((await r.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
    };
    await waitFor('Prometheus to scrape qm serve', async () => (await query('qm_pool_nodes')).length > 0, 90_000, () => log);
    const up = await query('up{job="qm"}');
    expect(up.map((s) => s.value[1])).toEqual(['1']);
    const nodes = await query('qm_pool_nodes{pool="general",state="ready"}');
    expect(nodes.map((s) => Number(s.value[1]))).toEqual([3]);
    const runs = await query('sum(qm_reconcile_total)');
    expect(Number(runs[0]!.value[1])).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('logs JSON lines with time, level and msg, and exits 0 on SIGTERM with its leader lock released', async () => {
    const code = await serve.stop('SIGTERM');
    expect(code).toBe(0);
    const logs = serve.logs();
    expect(logs.length).toBeGreaterThan(3);
    for (const l of logs) {
      expect(Object.keys(l).slice(0, 3)).toEqual(['time', 'level', 'msg']);
      expect(Number.isNaN(Date.parse(String(l.time)))).toBe(false);
    }
    expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['qm serve started', 'became the leader', 'drift detected', 'qm serve stopped']));
    const locks = await store.locks.list();
    expect(locks.filter((l) => l.name === 'leader' || l.name === 'apply')).toEqual([]);
  }, 60_000);
});

describe('qm serve refuses bad options in one sentence', () => {
  it.each([
    [['--mode', 'sometimes'], /^qm: --mode sometimes is not supported\nhint: use report or fix\n$/],
    [['--listen', 'localhost'], /^qm: --listen localhost is not HOST:PORT\nhint: write e.g. --listen 127.0.0.1:9464/],
    [['--git-pull', 'main'], /^qm: --git-pull main is not REMOTE\/BRANCH\nhint: write e.g. --git-pull origin\/main\n$/],
    [['--interval', '0s'], /^qm: --interval 0s is too short: it must be at least 1s\n$/],
    [['--lease', '1s'], /^qm: --lease 1s is too short: it must be at least 3s\n$/],
  ])('%j', (args, message) => {
    const r = qm(['serve', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });
});

describe('qm serve --git-pull', () => {
  let origin: TempRepo;
  let clone = '';
  let serve: ServeProc;

  beforeAll(async () => {
    origin = await exampleFleetRepo();
    clone = await mkdtemp(path.join(tmpdir(), 'qm-serve-clone-'));
    await simpleGit().clone(origin.dir, clone);
    serve = await startServe(clone, ['--interval', '1s', '--git-pull', 'origin/main']);
  }, 60_000);

  afterAll(async () => {
    await serve?.stop('SIGKILL', 5000);
    await origin?.cleanup();
    await rm(`${origin.dir}.moved`, { recursive: true, force: true });
    if (clone) await rm(clone, { recursive: true, force: true });
  });

  it('pulls new commits before a run, and keeps reconciling the last good checkout when the pull fails', async () => {
    const toPlace = async () => sample((await serve.get('/metrics')).body, 'qm_instances', { agent: 'ticket-triage', state: 'to_place' });
    await waitFor('the first reconcile', async () => (await toPlace()) === 2, 60_000, serve.stderr);
    const file = path.join(origin.dir, 'agents/support/ticket-triage.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace(/replicas: 2/, 'replicas: 3'));
    await origin.commit('ticket-triage: 3 replicas');
    await waitFor('the pulled change in the metrics', async () => (await toPlace()) === 3, 60_000, serve.stderr);
    // The remote goes away: the pull fails, is logged, and runs go on with what was pulled.
    await rename(origin.dir, `${origin.dir}.moved`);
    const runs = async () => sample((await serve.get('/metrics')).body, 'qm_reconcile_total', { result: 'drift' }) ?? 0;
    await waitFor('a failed pull in the logs', async () => serve.logs().some((l) => l.msg === 'git pull failed; reconciling the last good checkout' && l.level === 'warn'), 60_000, serve.stderr);
    const before = await runs();
    await waitFor('another reconcile after the failed pull', async () => (await runs()) > before, 60_000, serve.stderr);
    expect(await toPlace()).toBe(3);
    expect(await serve.stop('SIGTERM')).toBe(0);
  }, 200_000);
});
