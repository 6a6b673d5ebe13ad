// State store operations on both backends (issue 4, "state-store operations measured on both
// backends"). Build first (`npx tsc -p tsconfig.build.json`), then:
//   node bench/state.mjs                       SQLite only
//   QM_TEST_POSTGRES_URL=postgres://… node bench/state.mjs   SQLite and PostgreSQL (in a throwaway database)
// QM_BENCH_STATE_MODULE points at another compiled src/state/index.js. Prints a markdown table.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';

const modulePath = process.env.QM_BENCH_STATE_MODULE ?? path.resolve('dist/state/index.js');
const { openStateStore } = await import(pathToFileURL(modulePath).href);

const node = (name, pool) => ({
  name, pool, region: 'us-east-1', zone: `us-east-1${'abc'[Number(name.split('-').pop()) % 3]}`, labels: { rack: 'r1' }, taints: [], ready: true,
  capacity: { cpuMillis: 64000, memoryBytes: 274877906944, gpuMillis: 8000 }, costPerHour: 3.2, powerWatts: 700,
});
const instance = (name, nodeName) => ({
  name, agent: name.replace(/-\d+$/, ''), node: nodeName, requests: { cpuMillis: 2000, memoryBytes: 8589934592, gpuMillis: 1000 },
  startedAt: '2026-11-28T08:00:00.000Z', gpuDevices: [0],
});

/** Run fn n times; ops/s and mean latency. */
async function measure(n, fn) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  const ms = performance.now() - t0;
  return { opsPerSec: (n * 1000) / ms, meanMs: ms / n };
}

async function benchStore(location) {
  const store = await openStateStore(location);
  try {
    const nodes = Array.from({ length: 1000 }, (_, i) => ({ op: 'putNode', node: node(`gpu-${i}`, 'gpu') }));
    await store.cluster.write('bench', nodes);
    const results = {};
    results['put instance (one write transaction)'] = await measure(2000, (i) => store.cluster.putInstance('bench', instance(`put-${i}`, `gpu-${i % 1000}`)));
    // Bring the cluster to 10,000 instances, in batches of 1,000.
    for (let b = 0; b < 8; b++) {
      await store.cluster.write('bench', Array.from({ length: 1000 }, (_, j) => ({ op: 'putInstance', instance: instance(`fill-${b * 1000 + j}`, `gpu-${j}`) })));
    }
    const c = await store.cluster.get('bench');
    if (c.instances.length !== 10_000) throw new Error(`expected 10,000 instances, got ${c.instances.length}`);
    results['get cluster (1,000 nodes, 10,000 instances)'] = await measure(20, () => store.cluster.get('bench'));
    results['append scaling event'] = await measure(2000, (i) =>
      store.scaling.append({ target: { kind: 'Pool', name: `pool-${i % 10}` }, at: new Date(Date.UTC(2026, 10, 28) + i * 1000).toISOString(), from: i, to: i + 1, planId: 'sha256:bench' }),
    );
    results['lock acquire + release'] = await measure(1000, async () => {
      const r = await store.locks.acquire('apply', 'bench', 60);
      if (!r.ok) throw new Error('lock unexpectedly held');
      await store.locks.release(r.lock.id);
    });
    return results;
  } finally {
    await store.close();
  }
}

const columns = [];
const dir = mkdtempSync(path.join(tmpdir(), 'qm-bench-state-'));
try {
  columns.push(['SQLite', await benchStore(path.join(dir, 'state.db'))]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const pgUrl = process.env.QM_TEST_POSTGRES_URL;
if (pgUrl) {
  const database = `qm_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  try {
    const url = new URL(pgUrl);
    url.pathname = `/${database}`;
    columns.push(['PostgreSQL', await benchStore(url.toString())]);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`);
console.log(`| operation | ${columns.map(([name]) => `${name} ops/s | ${name} mean ms`).join(' | ')} |`);
console.log(`|---|${columns.map(() => '---:|---:').join('|')}|`);
for (const op of Object.keys(columns[0][1])) {
  const cells = columns.map(([, r]) => `${Math.round(r[op].opsPerSec).toLocaleString('en-US')} | ${r[op].meanMs.toFixed(3)}`);
  console.log(`| ${op} | ${cells.join(' | ')} |`);
}
