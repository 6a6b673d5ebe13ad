// Benchmark: the exec driver (src/drivers/exec) with the example plugin (examples/file-cloud, Python).
// 10,000 place actions through ExecDriver.apply with N requests in flight (as `qm apply
// --concurrency N` keeps them), in two modes:
//   - file-cloud: the real path, every action recorded in the plugin's JSON file (a journal line
//     per change, appended once per batch of requests read together, before they are answered);
//   - no-op: the plugin started with --noop answers apply at once: what is left is the protocol
//     (JSON encoding, the pipe, id matching, Python's loop) — it must not be the bottleneck
//     (issue #12: ≥ 2,000 actions/s).
// Also one action at a time on the no-op path (the round-trip latency).
//   npm run build && node bench/exec/run.mjs [--actions 10000] [--concurrency 16]
// Figures go to docs/benchmarks.md (Exec driver); raw results to bench/out/exec.json.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { createExecDriver } = await import(path.join(ROOT, 'dist/drivers/exec/driver.js'));
const { validateFiles } = await import(path.join(ROOT, 'dist/config/validate.js'));

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('--actions', 10_000);
const CONCURRENCY = arg('--concurrency', 16);
const NODES = 100;
const PLUGIN = path.join(ROOT, 'examples/file-cloud/file_cloud.py');

const files = [
  { path: 'pools/bench.yaml', text: `apiVersion: quartermaster.dev/v1alpha1\nkind: Pool\nmetadata: {name: bench}\nspec:\n  driver: fc\n  zones: [z-a, z-b]\n  node:\n    capacity: {cpu: 64, memory: 256Gi}\n  size: {min: 1, max: ${NODES}, initial: ${NODES}}\n` },
  { path: 'pools/drivers.yaml', text: 'apiVersion: quartermaster.dev/v1alpha1\nkind: Driver\nmetadata: {name: fc}\nspec: {type: exec, exec: {command: [python3]}}\n' },
  { path: 'agents/bot.yaml', text: 'apiVersion: quartermaster.dev/v1alpha1\nkind: Agent\nmetadata: {name: bot}\nspec:\n  owner: team\n  replicas: 1\n  resources:\n    requests: {cpu: 100m, memory: 128Mi}\n' },
];
const { policy } = validateFiles(files);
if (!policy) throw new Error('bench policy invalid');
const ctx = { policy, pools: policy.pools, now: '2026-11-28T10:00:00Z', planId: 'sha256:bench' };
const history = { scalingHistory: async () => [], appendScaling: async () => undefined };

function driver(args) {
  const doc = { apiVersion: 'quartermaster.dev/v1alpha1', kind: 'Driver', metadata: { name: 'fc', labels: {} }, spec: { type: 'exec', exec: { command: ['python3', PLUGIN, ...args], timeout: '120s' } } };
  return createExecDriver('fc', history, doc, { root: ROOT, log: () => undefined });
}

const place = (i) => ({ id: `a${i}`, type: 'place', instance: `bot-${i}`, agent: 'bot', pool: 'bench', node: `bench-${i % NODES}`, requests: { cpuMillis: 100, memoryBytes: 128 * 2 ** 20 }, score: 50, reason: 'bench' });

/** N actions with `concurrency` in flight; returns seconds (after the program started and answered observe). */
async function run(d, n, concurrency) {
  await d.observe(ctx); // start, initialize and materialise the pool: not part of the measure
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await d.apply(place(next++), ctx);
  }));
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const results = { machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`, actions: N, concurrency: CONCURRENCY, runs: [] };
const dir = mkdtempSync(path.join(tmpdir(), 'qm-bench-exec-'));
try {
  const cases = [
    ['file-cloud (JSON file + journal)', ['--state', path.join(dir, 'cloud.json')], N, CONCURRENCY],
    ['no-op (protocol only)', ['--noop', '--state', path.join(dir, 'noop.json')], N, CONCURRENCY],
    ['no-op, one at a time', ['--noop', '--state', path.join(dir, 'noop1.json')], Math.min(N, 2000), 1],
  ];
  for (const [name, args, n, c] of cases) {
    const d = driver(args);
    try {
      const s = await run(d, n, c);
      const obs = await d.observe(ctx);
      const placed = obs.instances.length;
      results.runs.push({ name, actions: n, concurrency: c, seconds: s, perSecond: n / s, meanMs: (s * 1000 * c) / n, placed });
    } finally {
      await d.close();
    }
  }
  results.fileBytes = statSync(path.join(dir, 'cloud.json')).size;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`Machine: ${results.machine}\n`);
console.log(`| path | actions | in flight | seconds | actions/s | mean ms per action | instances observed after |\n|---|---:|---:|---:|---:|---:|---:|`);
for (const r of results.runs) console.log(`| ${r.name} | ${r.actions} | ${r.concurrency} | ${r.seconds.toFixed(2)} | ${r.perSecond.toFixed(0)} | ${r.meanMs.toFixed(2)} | ${r.placed} |`);
console.log(`\nState file after the file-cloud run: ${(results.fileBytes / 2 ** 20).toFixed(1)} MiB.`);
const noop = results.runs.find((r) => r.name.startsWith('no-op (protocol'));
if (noop.perSecond < 2000) {
  console.error(`exec bench: the no-op path did ${noop.perSecond.toFixed(0)} actions/s, below the 2,000 the protocol must sustain`);
  process.exitCode = 1;
}
mkdirSync(path.join(ROOT, 'bench/out'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench/out/exec.json'), JSON.stringify(results, null, 2));
