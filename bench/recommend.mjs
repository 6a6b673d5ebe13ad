// qm recommend over a day of usage history (issue #15): 50 agents × 10 instances × 1,440 minutes
// = 720,000 samples, recorded the way qm serve does (one batch per minute), then `qm recommend`
// as a real process. Build first (`npm run build`), then:
//   node bench/recommend.mjs                                   SQLite
//   QM_TEST_POSTGRES_URL=postgres://… node bench/recommend.mjs  SQLite and PostgreSQL (a throwaway database)
// BENCH_AGENTS, BENCH_INSTANCES, BENCH_MINUTES change the size. Prints a markdown table.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';

const AGENTS = Number(process.env.BENCH_AGENTS ?? 50);
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 10);
const MINUTES = Number(process.env.BENCH_MINUTES ?? 1440);
const START = Date.UTC(2026, 10, 30);
const MI = 2 ** 20;
const { openStateStore } = await import(pathToFileURL(path.resolve('dist/state/index.js')).href);
const QM = path.resolve('bin/qm.js');
const { main } = await import(pathToFileURL(path.resolve('dist/cli/main.js')).href);

function writeRepo(dir) {
  mkdirSync(path.join(dir, 'pools'), { recursive: true });
  mkdirSync(path.join(dir, 'agents'));
  writeFileSync(path.join(dir, 'pools/general.yaml'), 'apiVersion: quartermaster.dev/v1alpha1\nkind: Pool\nmetadata: {name: general}\nspec:\n  node:\n    capacity: {cpu: 64, memory: 256Gi}\n  size: {min: 1, max: 100}\n');
  for (let a = 0; a < AGENTS; a++) {
    writeFileSync(
      path.join(dir, `agents/agent-${a}.yaml`),
      `# agent ${a}\napiVersion: quartermaster.dev/v1alpha1\nkind: Agent\nmetadata: {name: agent-${a}}\nspec:\n  owner: team-a\n  replicas: ${INSTANCES}\n  resources:\n    requests: {cpu: 2, memory: 4Gi}  # by hand\n`,
    );
  }
}

/** Deterministic use: a daily wave plus per-instance noise. */
function minuteBatch(m) {
  const at = new Date(START + m * 60_000).toISOString();
  const out = [];
  for (let a = 0; a < AGENTS; a++) {
    for (let i = 0; i < INSTANCES; i++) {
      const wave = 1 + Math.sin((2 * Math.PI * m) / 1440);
      out.push({ at, instance: `agent-${a}-${i}`, agent: `agent-${a}`, pool: 'general', node: `general-${i}`, use: { cpuMillis: 100 + a * 10 + wave * 200 + ((m * 7 + i * 13) % 50), memoryBytes: (500 + a * 20 + wave * 100 + ((m + i) % 30)) * MI } });
    }
  }
  return out;
}

async function fill(location) {
  const store = await openStateStore(location);
  const t0 = performance.now();
  for (let m = 0; m < MINUTES; m++) await store.usage.record(minuteBatch(m));
  const recordMs = performance.now() - t0;
  await store.close();
  return recordMs;
}

/**
 * The whole command as a process (median wall clock of 3), and once in this process for its CPU
 * time: the machine is shared, so wall clock alone says more about the neighbours than about qm.
 */
async function recommend(dir, state) {
  const args = ['recommend', dir, '--format', 'json', '--min-history', '12h', ...(state ? ['--state', state] : [])];
  const times = [];
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [QM, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
    times.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`qm recommend failed: ${r.stderr}`);
  }
  let out = '';
  const io = { stdout: { write: (t) => (out += t) }, stderr: { write: (t) => process.stderr.write(t) }, env: {}, cwd: process.cwd() };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if ((await main(args, io)) !== 0) throw new Error('qm recommend failed in process');
  const inMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const agents = JSON.parse(out).agents;
  return { ms: times.sort((a, b) => a - b)[1], inMs, cpuMs: (cpu.user + cpu.system) / 1000, changes: agents.filter((a) => a.status === 'change').length };
}

async function prune(location) {
  const store = await openStateStore(location);
  const t0 = performance.now();
  const n = await store.usage.prune(new Date(START + (MINUTES / 2) * 60_000).toISOString());
  const ms = performance.now() - t0;
  await store.close();
  return { n, ms };
}

const rows = [];
const samples = AGENTS * INSTANCES * MINUTES;
const dir = mkdtempSync(path.join(tmpdir(), 'qm-bench-recommend-'));
try {
  writeRepo(dir);
  const file = path.join(dir, '.qm', 'state.db');
  const recordMs = await fill(file);
  const size = statSync(file).size;
  const r = await recommend(dir);
  const p = await prune(file);
  rows.push({ backend: 'SQLite', recordMs, size, ...r, prune: p });

  const url = process.env.QM_TEST_POSTGRES_URL;
  if (url) {
    const database = `qm_bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const u = new URL(url);
    u.pathname = `/${database}`;
    try {
      const recordMs = await fill(u.toString());
      const c = new pg.Client({ connectionString: u.toString() });
      await c.connect();
      const { rows: [s] } = await c.query("SELECT pg_total_relation_size('qm_usage') AS n");
      await c.end();
      const r = await recommend(dir, u.toString());
      const p = await prune(u.toString());
      rows.push({ backend: 'PostgreSQL', recordMs, size: Number(s.n), ...r, prune: p });
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average ${loadavg()[0].toFixed(1)} at the end`);
console.log(`${AGENTS} agents × ${INSTANCES} instances × ${MINUTES} minutes = ${samples.toLocaleString('en')} samples\n`);
console.log('| backend | record (one batch per minute) | store size | bytes/sample | qm recommend: process (median of 3) | in process: wall / CPU | prune half |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.backend} | ${(r.recordMs / 1000).toFixed(1)} s (${((r.recordMs / MINUTES)).toFixed(1)} ms/batch) | ${(r.size / MI).toFixed(0)} MiB | ${(r.size / samples).toFixed(0)} | ${(r.ms / 1000).toFixed(2)} s (${r.changes} agents to change) | ${(r.inMs / 1000).toFixed(2)} s / ${(r.cpuMs / 1000).toFixed(2)} s | ${(r.prune.ms / 1000).toFixed(2)} s (${r.prune.n.toLocaleString('en')} rows) |`,
  );
}
