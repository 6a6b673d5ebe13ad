// The usage history's write path at fleet scale: what `qm serve` does each minute, recording one
// sample per running instance through the real SQLite store (`store.usage.record`), for N minutes
// of history. Whether a minute's insert gets dearer as the history grows is the point (schema 3
// keyed the table (instance, at) and did; schema 4 keys it (at, instance)). Build first
// (`npx tsc -p tsconfig.build.json`), then:
//   node bench/usage-insert.mjs [--minutes=200] [--instances=10000] [--window=50]
// QM_BENCH_STATE_MODULE points at another compiled src/state/index.js (e.g. an older schema's).
// Prints CPU and wall ms per minute over the first and last `window` minutes, and the file sizes.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const arg = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const minutes = arg('minutes', 200);
const instances = arg('instances', 10_000);
const window = Math.min(arg('window', 50), minutes);

const modulePath = process.env.QM_BENCH_STATE_MODULE ?? path.resolve('dist/state/index.js');
const { openStateStore } = await import(pathToFileURL(modulePath).href);

// 500 agents × 20 instances over 10 pools and 100 nodes, as in the serve benchmark's fleet.
const fleet = Array.from({ length: instances }, (_, k) => ({
  instance: `agent-${Math.floor(k / 20)}-${k % 20}`,
  agent: `agent-${Math.floor(k / 20)}`,
  pool: `pool-${k % 10}`,
  node: `pool-${k % 10}-${k % 100}`,
}));
const START = Date.UTC(2026, 11, 1);
const samplesAt = (m) => {
  const at = new Date(START + m * 60_000).toISOString();
  return fleet.map((f, k) => ({ at, ...f, use: { cpuMillis: 100 + ((k * 7 + m) % 900), memoryBytes: 2 ** 30 + k } }));
};
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const size = (file) => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

const dir = mkdtempSync(path.join(tmpdir(), 'qm-bench-usage-'));
const file = path.join(dir, 'state.db');
const store = await openStateStore(file);
let open = true;
const perMinute = [];
try {
  const schema = await store.schemaVersion();
  for (let m = 0; m < minutes; m++) {
    const samples = samplesAt(m); // the caller's cost, not the store's: built outside the clocks
    const cpu0 = cpuMs();
    const wall0 = performance.now();
    await store.usage.record(samples);
    perMinute.push({ cpu: cpuMs() - cpu0, wall: performance.now() - wall0 });
  }
  const walBytes = size(`${file}-wal`);
  const rows = (await store.usage.list({ since: new Date(START + (minutes - 1) * 60_000).toISOString() })).length;
  await store.close();
  open = false;
  const mean = (xs, f) => xs.reduce((s, x) => s + f(x), 0) / xs.length;
  const line = (label, xs) => `| ${label} | ${mean(xs, (x) => x.cpu).toFixed(0)} | ${mean(xs, (x) => x.wall).toFixed(0)} |`;
  console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${loadavg()[0].toFixed(1)} at the end`);
  console.log(`Schema ${schema}: ${instances.toLocaleString('en')} samples a minute for ${minutes} minutes (${(instances * minutes).toLocaleString('en')} rows; ${rows.toLocaleString('en')} in the last minute)\n`);
  console.log('| minutes | CPU ms per minute | wall ms per minute |\n|---|---:|---:|');
  console.log(line(`first ${window} (0–${window - 1})`, perMinute.slice(0, window)));
  console.log(line(`last ${window} (${minutes - window}–${minutes - 1})`, perMinute.slice(minutes - window)));
  console.log(`\nFile ${(size(file) / 2 ** 20).toFixed(0)} MiB after closing (WAL before closing ${(walBytes / 2 ** 20).toFixed(0)} MiB).`);
} finally {
  if (open) await store.close();
  rmSync(dir, { recursive: true, force: true });
}
