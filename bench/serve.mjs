// Benchmark: the cost of running `qm serve` — /metrics latency (p50/p99 over 300 requests 25 ms
// apart, so that they span a whole interval and some arrive while a reconcile runs; target ≤ 50 ms)
// and the process's CPU share of one core and resident memory over a window scraped every 15 s
// (as Prometheus would), on the example fleet and on a 10,000-instance sim fleet (10 pools × 100
// nodes), the latter also with plan reuse off (QM_SERVE_REUSE_PLAN=off: every run plans).
// The issue asks for 30 minutes at a 1-minute interval; this runs BENCH_SERVE_SECONDS (default 150)
// at BENCH_SERVE_INTERVAL (default 10s) and extrapolates to a 1-minute interval from the CPU time
// per reconcile run (an upper bound: idle time and scrapes are charged to the runs).
//
//   node bench/serve.mjs            (after npm run build)
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const QM = path.join(ROOT, 'bin', 'qm.js');
const WINDOW = Number(process.env.BENCH_SERVE_SECONDS ?? 150);
const INTERVAL = Number(process.env.BENCH_SERVE_INTERVAL ?? 10);
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const { fetch } = globalThis;

const git = (cwd, ...args) => {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
};

function repoWith(write) {
  const dir = mkdtempSync(path.join(tmpdir(), 'qm-bench-serve-'));
  write(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.email=bench@quartermaster.dev', '-c', 'user.name=bench', '-c', 'commit.gpgsign=false', 'commit', '-qm', 'fleet');
  return dir;
}

const exampleFleet = () => repoWith((dir) => {
  for (const d of ['agents', 'pools', 'policies', 'metrics']) cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true });
});

/** 10 pools of 100 nodes, 500 agents × 20 replicas = 10,000 instances (the sim driver). */
const bigFleet = () => repoWith((dir) => {
  for (const d of ['pools', 'agents']) mkdirSync(path.join(dir, d), { recursive: true });
  for (let p = 0; p < 10; p++)
    writeFileSync(path.join(dir, 'pools', `pool-${p}.yaml`), `apiVersion: quartermaster.dev/v1alpha1\nkind: Pool\nmetadata: {name: pool-${p}}\nspec:\n  zones: [z-a, z-b, z-c]\n  node:\n    capacity: {cpu: 32, memory: 128Gi}\n  size: {min: 100, max: 200, initial: 100}\n`);
  for (let a = 0; a < 500; a++)
    writeFileSync(path.join(dir, 'agents', `agent-${a}.yaml`), `apiVersion: quartermaster.dev/v1alpha1\nkind: Agent\nmetadata: {name: agent-${a}}\nspec:\n  owner: team-${a % 10}\n  replicas: 20\n  resources:\n    requests: {cpu: ${[250, 500, 1000][a % 3]}m, memory: ${[1, 2][a % 2]}Gi}\n  placement:\n    pools: [pool-${a % 10}]\n`);
});

/** Rows of qm_usage in the fleet's SQLite state store (read with the project's own better-sqlite3). */
function usageRows(dir) {
  const r = spawnSync(process.execPath, ['-e', `const D = require(${JSON.stringify(path.join(ROOT, 'node_modules', 'better-sqlite3'))}); const db = new D(${JSON.stringify(path.join(dir, '.qm', 'state.db'))}, { readonly: true }); console.log(db.prepare('SELECT count(*) AS n FROM qm_usage').get().n)`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : `unknown (${r.stderr.trim().split('\n')[0]})`;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const counter = (text, name) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);

/**
 * The machine's own floor: a trivial node:http server in a process of its own ("ok\n"), asked
 * right after each /metrics request, so that its latency shows what the load alone costs.
 */
async function controlServer() {
  const port = await freePort();
  const p = spawn(process.execPath, ['-e', `require('node:http').createServer((q, s) => s.end('ok\\n')).listen(${port}, '127.0.0.1', () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => p.stdout.once('data', r));
  return { url: `http://127.0.0.1:${port}/`, stop: () => p.kill('SIGTERM') };
}

async function measure(name, dir, mode, env = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const p = spawn(process.execPath, [QM, 'serve', dir, '--interval', `${INTERVAL}s`, '--mode', mode, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  try {
    const until = Date.now() + 600_000;
    for (;;) {
      if (Date.now() > until || p.exitCode !== null) throw new Error(`qm serve did not become ready:\n${err.slice(-2000)}`);
      const r = await fetch(`${url}/readyz`).catch(() => undefined);
      if (r?.status === 200) break;
      await sleep(500);
    }
    // /metrics latency: 300 requests 25 ms apart after the first reconcile (longer than an interval at 10 s).
    const lat = [];
    const floor = [];
    let bytes = 0;
    let stale = 0;
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      const r = await fetch(`${url}/metrics`);
      const body = await r.text();
      lat.push(performance.now() - t);
      const c = performance.now();
      await (await fetch(control.url)).text();
      floor.push(performance.now() - c);
      if (r.headers.get('x-qm-metrics-age-seconds') !== null) stale++;
      bytes = body.length;
      await sleep(25);
    }
    // CPU and memory over the window: RSS sampled every 5 s, a scrape every 15 s.
    const first = await (await fetch(`${url}/metrics`)).text();
    const runs0 = counter(first, 'qm_reconcile_total');
    const reused0 = counter(first, 'qm_plan_reused_total');
    const cpu0 = cpuSeconds(p.pid);
    const t0 = performance.now();
    const rss = [];
    for (let i = 0; performance.now() - t0 < WINDOW * 1000; i++) {
      rss.push(rssMiB(p.pid));
      if (i % 3 === 2) await (await fetch(`${url}/metrics`)).text();
      await sleep(5000);
    }
    const cpu = cpuSeconds(p.pid) - cpu0;
    const wall = (performance.now() - t0) / 1000;
    const text = await (await fetch(`${url}/metrics`)).text();
    const runs = counter(text, 'qm_reconcile_total') - runs0;
    const reused = counter(text, 'qm_plan_reused_total') - reused0;
    const perRun = runs > 0 ? cpu / runs : NaN;
    return {
      name, mode, interval: INTERVAL, window: Math.round(wall), runs, reused,
      metricsP50: pct(lat, 50), metricsP99: pct(lat, 99), metricsMax: Math.max(...lat), stale, floorP50: pct(floor, 50), floorP99: pct(floor, 99), exposition: bytes,
      cpuShare: cpu / wall, cpuPerRun: perRun, cpuShareAt1m: perRun / 60,
      rssMean: rss.reduce((a, b) => a + b, 0) / rss.length, rssMax: Math.max(...rss),
      reconcileSeconds: counter(text, 'qm_reconcile_duration_seconds_sum') / Math.max(1, counter(text, 'qm_reconcile_duration_seconds_count')),
    };
  } finally {
    p.kill('SIGTERM');
    await new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)));
  }
}

const results = [];
class Done extends Error {}
// BENCH_SERVE_ONLY: a comma-separated subset of example, big, big-usage, big-replan (default: all four).
const only = new Set((process.env.BENCH_SERVE_ONLY ?? 'example,big,big-usage,big-replan').split(','));
const example = exampleFleet();
const big = bigFleet();
const control = await controlServer();
try {
  if (only.has('example')) results.push(await measure('example fleet (fix mode, in sync after the first run)', example, 'fix'));
  // Place the 10,000 instances once, so the window measures the steady state: observe 1,000 nodes and 10,000 instances, plan, nothing to do.
  if (!only.has('big') && !only.has('big-usage') && !only.has('big-replan')) throw new Done();
  const t = performance.now();
  const a = spawnSync(process.execPath, [QM, 'apply', '--auto-approve', '--dir', big], { cwd: big, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (a.status !== 0) throw new Error(`qm apply on the 10,000-instance fleet failed: ${a.stderr.slice(-2000)}`);
  const applySeconds = (performance.now() - t) / 1000;
  if (only.has('big')) {
    const r = await measure('10,000 instances on 1,000 sim nodes (fix mode, in sync)', big, 'fix');
    r.note = `placed by one qm apply first (${applySeconds.toFixed(0)} s)`;
    results.push(r);
  }
  if (only.has('big-usage')) {
    // Real use measured and recorded every run: the sim driver reports each instance at a share of
    // its requests, and qm serve writes 10,000 usage samples a minute into the state store.
    const r = await measure('10,000 instances, real use measured and recorded every run (QM_SIM_USAGE)', big, 'fix', { QM_SIM_USAGE: '*:cpu=55,*:memory=70' });
    r.note = `usage samples in the store at the end: ${usageRows(big)}`;
    results.push(r);
  }
  if (only.has('big-replan')) results.push(await measure('10,000 instances, plan reuse off (QM_SERVE_REUSE_PLAN=off: every run plans)', big, 'fix', { QM_SERVE_REUSE_PLAN: 'off' }));
} catch (e) {
  if (!(e instanceof Done)) throw e;
} finally {
  control.stop();
  rmSync(example, { recursive: true, force: true });
  rmSync(big, { recursive: true, force: true });
}

const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`${WINDOW} s window at a ${INTERVAL} s interval per fleet; CPU share is of one core (utime+stime from /proc); "at 1m" = CPU per run / 60 s. Load average at the end: ${load}.\n`);
console.log('| fleet | runs (reused) | reconcile s (mean) | /metrics p50 ms | p99 ms | max ms | stale answers | trivial server p50 / p99 ms | exposition KiB | CPU share | CPU s per run | CPU share at 1m (extrapolated) | RSS mean MiB | RSS max MiB |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) console.log(`| ${r.name}${r.note ? ` — ${r.note}` : ''} | ${r.runs} (${r.reused}) | ${r.reconcileSeconds.toFixed(2)} | ${r.metricsP50.toFixed(1)} | ${r.metricsP99.toFixed(1)} | ${r.metricsMax.toFixed(0)} | ${r.stale}/300 | ${r.floorP50.toFixed(1)} / ${r.floorP99.toFixed(1)} | ${(r.exposition / 1024).toFixed(0)} | ${(r.cpuShare * 100).toFixed(1)} % | ${r.cpuPerRun.toFixed(2)} | ${(r.cpuShareAt1m * 100).toFixed(1)} % | ${r.rssMean.toFixed(0)} | ${r.rssMax.toFixed(0)} |`);
