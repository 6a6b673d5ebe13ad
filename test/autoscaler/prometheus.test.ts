/**
 * Against a real Prometheus (Debian's prometheus, promtool and prometheus-pushgateway): a week of
 * history backfilled with promtool before the server starts, a live value pushed to a pushgateway
 * that Prometheus scrapes, then instant and range queries through fetchSeries, a failing PromQL
 * query, a Prometheus that is down, and ScalingPolicies with Prometheus metrics driving `qm plan`.
 * Skipped only outside CI when the binaries are missing; in CI (process.env.CI) missing binaries fail.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchSeries } from '../../src/metrics/index.js';
import type { MetricSourceDoc } from '../../src/model/documents.js';
import { qm } from '../helpers/cli.js';

const which = (names: string[]) => names.map((n) => spawnSync('sh', ['-c', `command -v ${n}`], { encoding: 'utf8' }).stdout.trim()).find((p) => p !== '');
const BIN = { prometheus: which(['prometheus']), promtool: which(['promtool']), pushgateway: which(['prometheus-pushgateway', 'pushgateway']) };
const missing = Object.entries(BIN).filter(([, p]) => !p).map(([n]) => n);
const CI = Boolean(process.env.CI);

describe.runIf(CI && missing.length > 0)('Prometheus binaries in CI', () => {
  it('are installed (.ci/run installs prometheus and prometheus-pushgateway from Debian)', () => {
    expect(missing, `missing: ${missing.join(', ')}; apt-get install prometheus prometheus-pushgateway`).toEqual([]);
  });
});

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STEP = 300;
const WEEK = 7 * 86400;
/** The backfilled request rate: a daily wave between 200 and 1,000 per minute. */
const wave = (t: number) => Math.round(600 + 400 * Math.sin((2 * Math.PI * (t % 86400)) / 86400));

describe.skipIf(missing.length > 0)('a real Prometheus', () => {
  let dir = '';
  let promUrl = '';
  let gatewayUrl = '';
  const procs: ChildProcess[] = [];
  const logs: string[] = [];
  let end = 0;

  const start = (bin: string, args: string[]) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (d: Buffer) => logs.push(d.toString()));
    p.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
    procs.push(p);
    return p;
  };
  const waitFor = async (what: string, ok: () => Promise<boolean>, ms = 30_000) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (await ok().catch(() => false)) return;
      await sleep(200);
    }
    throw new Error(`${what} did not happen within ${ms / 1000}s; logs:\n${logs.join('').slice(-3000)}`);
  };
  const query = async (q: string) => {
    const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    return (await r.json()) as { data: { result: { value: [number, string] }[] } };
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'qm-prom-'));
    const data = path.join(dir, 'data');
    await mkdir(data);
    // A week of 5-minute samples up to a few minutes ago, as OpenMetrics, turned into blocks before the server starts.
    end = Math.floor(Date.now() / 1000 / STEP) * STEP - STEP;
    const lines = ['# HELP qm_requests_per_min Requests per minute (backfilled).', '# TYPE qm_requests_per_min gauge'];
    for (let t = end - WEEK; t <= end; t += STEP) lines.push(`qm_requests_per_min{service="chat"} ${wave(t)} ${t}`);
    lines.push('# EOF');
    const om = path.join(dir, 'history.om');
    await writeFile(om, `${lines.join('\n')}\n`);
    let r = spawnSync(BIN.promtool!, ['tsdb', 'create-blocks-from', 'openmetrics', om, data, '--max-block-duration=24h'], { encoding: 'utf8' });
    // promtool before 2.46 has no --max-block-duration: it then cuts 2h blocks, which work as well.
    if (r.status !== 0 && /unknown long flag/.test(r.stderr)) r = spawnSync(BIN.promtool!, ['tsdb', 'create-blocks-from', 'openmetrics', om, data], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);

    const [pp, gp] = [await freePort(), await freePort()];
    promUrl = `http://127.0.0.1:${pp}`;
    gatewayUrl = `http://127.0.0.1:${gp}`;
    start(BIN.pushgateway!, [`--web.listen-address=127.0.0.1:${gp}`, `--persistence.file=${path.join(dir, 'pushgateway.data')}`]);
    const config = path.join(dir, 'prometheus.yml');
    await writeFile(config, `global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n  - job_name: pushgateway\n    honor_labels: true\n    static_configs: [{targets: ['127.0.0.1:${gp}']}]\n`);
    start(BIN.prometheus!, [`--config.file=${config}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${pp}`, '--storage.tsdb.retention.time=30d']);
    await waitFor('the pushgateway to start', async () => (await fetch(`${gatewayUrl}/-/ready`)).ok);
    await waitFor('Prometheus to start', async () => (await fetch(`${promUrl}/-/ready`)).ok);
    // A live value: pushed, then scraped.
    const push = await fetch(`${gatewayUrl}/metrics/job/qm-test`, { method: 'PUT', body: 'qm_queue_depth{agent="chat"} 77\n' });
    expect(push.ok).toBe(true);
    await waitFor('a scrape of the pushed value', async () => (await query('qm_queue_depth')).data.result.length > 0);
  }, 90_000);

  afterAll(async () => {
    for (const p of procs) {
      if (p.exitCode === null && p.pid !== undefined) {
        const exited = new Promise((r) => p.once('exit', r));
        process.kill(p.pid, 'SIGTERM');
        await Promise.race([exited, sleep(5000)]);
        if (p.exitCode === null) process.kill(p.pid, 'SIGKILL');
      }
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const source = (url = promUrl): MetricSourceDoc => ({ apiVersion: 'quartermaster.dev/v1alpha1', kind: 'MetricSource', metadata: { name: 'prom', labels: {}, annotations: {} }, spec: { prometheus: { url, timeout: 5, retries: 1 } }, source: { file: 'x.yaml', index: 0, line: 1, column: 1 } });

  it('an instant query returns the live value from the pushgateway', async () => {
    const now = Date.now() / 1000;
    const pts = await fetchSeries(source(), { query: 'sum(qm_queue_depth)' }, { start: now, end: now, step: 60 });
    expect(pts).toHaveLength(1);
    expect(pts[0]!.v).toBe(77);
    expect(Math.abs(pts[0]!.t - now)).toBeLessThanOrEqual(1);
  });

  it('a range query returns the backfilled week, sample for sample', async () => {
    const pts = await fetchSeries(source(), { query: 'sum(qm_requests_per_min)' }, { start: end - WEEK + STEP, end, step: STEP });
    expect(pts.length).toBe(WEEK / STEP);
    for (const p of pts.filter((_, i) => i % 97 === 0)) expect(p.v).toBe(wave(p.t));
  });

  it('a failing PromQL query gives a clear error naming the server and the query', async () => {
    await expect(fetchSeries(source(), { query: 'sum(rate(qm_requests_per_min[5m]' }, { start: end - 3600, end, step: 60 })).rejects.toThrow(new RegExp(`^Prometheus at ${promUrl.replace(/\./g, '\\.')}/api/v1/query_range rejected query 'sum\\(rate\\(qm_requests_per_min\\[5m\\]': bad_data: `));
  });

  it('a query that returns several series asks for an aggregation', async () => {
    await fetch(`${gatewayUrl}/metrics/job/qm-test2`, { method: 'PUT', body: 'qm_queue_depth{agent="other"} 5\n' });
    await waitFor('the second series', async () => (await query('qm_queue_depth')).data.result.length > 1);
    const now = Date.now() / 1000;
    await expect(fetchSeries(source(), { query: 'qm_queue_depth' }, { start: now, end: now, step: 60 })).rejects.toThrow(/^query 'qm_queue_depth' returns 2 series; a scaling metric must be one number$/);
  });

  /** A policy directory: pool p, agent chat running 2 replicas (snapshot), policies driven by Prometheus. */
  async function fleet(name: string, promSource: string, scaling: string): Promise<{ dir: string; snapshot: string }> {
    const d = path.join(dir, name);
    await mkdir(path.join(d, 'pools'), { recursive: true });
    await mkdir(path.join(d, 'agents'), { recursive: true });
    await mkdir(path.join(d, 'policies'), { recursive: true });
    await writeFile(path.join(d, 'pools', 'p.yaml'), 'apiVersion: quartermaster.dev/v1alpha1\nkind: Pool\nmetadata: {name: p}\nspec: {driver: sim, zones: [z-a], node: {capacity: {cpu: 8, memory: 32Gi}}, size: {min: 1, max: 10, initial: 2}}\n');
    await writeFile(path.join(d, 'agents', 'chat.yaml'), 'apiVersion: quartermaster.dev/v1alpha1\nkind: Agent\nmetadata: {name: chat}\nspec: {type: chat, owner: support, replicas: 2, resources: {requests: {cpu: 1, memory: 1Gi}}}\n');
    await writeFile(path.join(d, 'policies', 'metrics.yaml'), `apiVersion: quartermaster.dev/v1alpha1\nkind: MetricSource\nmetadata: {name: prom}\nspec: {prometheus: {url: "${promSource}", timeout: 2s, retries: 1}}\n`);
    await writeFile(path.join(d, 'policies', 'scaling.yaml'), scaling);
    const snapshot = path.join(d, 'snapshot.yaml');
    await writeFile(snapshot, 'nodes:\n  - {name: p-0, pool: p, zone: z-a, ready: true}\n  - {name: p-1, pool: p, zone: z-a, ready: true}\ninstances:\n  - {name: chat-0, agent: chat, node: p-0}\n  - {name: chat-1, agent: chat, node: p-1}\nscalingHistory: []\n');
    return { dir: d, snapshot };
  }
  const chatPolicy = `apiVersion: quartermaster.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: chat}
spec:
  target: {kind: Agent, name: chat}
  min: 1
  max: 8
  metrics: [{metric: {source: prom, query: 'sum(qm_queue_depth{agent="chat"})'}, targetPerReplica: 20}]
  behavior: {scaleUp: {cooldown: 0s}, scaleDown: {stabilizationWindow: 0s, cooldown: 0s}}
`;
  const planJson = (f: { dir: string; snapshot: string }, env: Record<string, string> = {}) => {
    const r = qm(['plan', f.dir, '--snapshot', f.snapshot, '--format', 'json'], { env });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { actions: { type: string; from?: number; to?: number; reason: string; instance?: string; dependsOn?: string[]; id: string }[]; warnings: { code: string; message: string }[]; forecasts: { series: string; points: unknown[]; mode: string }[] };
  };

  it('a ScalingPolicy with a Prometheus metric drives qm plan: 77 queued ÷ 20 per replica → 4 replicas, placed in the same plan', async () => {
    const f = await fleet('live', '${env:QM_TEST_PROM_URL}', chatPolicy);
    const plan = planJson(f, { QM_TEST_PROM_URL: promUrl });
    const sa = plan.actions.find((a) => a.type === 'scaleAgent')!;
    expect(sa).toMatchObject({ from: 2, to: 4, reason: 'metric prom: sum(qm_queue_depth{agent="chat"}) = 77 ÷ 20 per replica → 4 replicas (+2)' });
    const places = plan.actions.filter((a) => a.type === 'place');
    expect(places.map((a) => a.instance)).toEqual(['chat-2', 'chat-3']);
    for (const a of places) expect(a.dependsOn).toContain(sa.id);
  });

  it('a predictive pool policy forecasts the backfilled week and provisions for the upper bound', async () => {
    const f = await fleet('predictive', promUrl, `apiVersion: quartermaster.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: p}
spec:
  target: {kind: Pool, name: p}
  min: 1
  max: 10
  predictive: {metric: {source: prom, query: 'sum(qm_requests_per_min)'}, targetPerReplica: 100, horizon: 30m, lookback: 7d, mode: forecastAndScale}
  behavior: {scaleUp: {cooldown: 0s}}
`);
    const plan = planJson(f);
    expect(plan.forecasts).toHaveLength(1);
    expect(plan.forecasts[0]!.points.length).toBeGreaterThan(0);
    const up = plan.actions.find((a) => a.type === 'scalePool');
    expect(up?.reason).toMatch(/^predictive \(forecastAndScale\): prom: sum\(qm_requests_per_min\) forecast by .+ upper bound .+ ÷ 100 per node → \d+ nodes \(\+\d+\)/);
    expect(up!.to).toBeGreaterThan(2);
  });

  it('a Prometheus that is down: a warning in the plan, no scale-down, exit 0', async () => {
    const f = await fleet('down', `http://127.0.0.1:${await freePort()}`, chatPolicy.replace('targetPerReplica: 20', 'targetPerReplica: 1000'));
    const plan = planJson(f);
    expect(plan.actions.filter((a) => a.type === 'scaleAgent' || a.type === 'remove')).toEqual([]);
    const w = plan.warnings.find((x) => x.code === 'MetricUnavailable');
    expect(w?.message).toMatch(/^ScalingPolicy chat: metric prom: sum\(qm_queue_depth\{agent="chat"\}\): Prometheus at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query_range is unreachable for query .+ after 2 attempts: cannot connect \(ECONNREFUSED\); its recommendation is left out and the target is not scaled down$/);
  });
});
