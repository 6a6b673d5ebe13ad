// qm simulate benchmark (after `npm run build`): `node bench/simulate.mjs [STEPS]`.
// One week at 5-minute steps (2,016 steps) on a fleet of 1,000 instances over 100 nodes: 10 agents
// of 100 replicas, each scaled by its own daily load series (60–100 replicas), on a pool of
// 16-CPU nodes under a ScalingPolicy. Goals: ≤ 30 s, ≤ 1 GiB peak RSS, and a step late in the run
// costing what one early on costs (the per-step time of the last tenth against the first).
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, cpus, totalmem, loadavg } from 'node:os';
import path from 'node:path';
import { setInterval, clearInterval } from 'node:timers';
import { runSimulate } from '../dist/engine/simulate.js';

const STEP = 300;
const steps = Number(process.argv[2] ?? 2016);
const AGENTS = 10;
const REPLICAS = 100;
const NODES = 100;
const from = Date.parse('2026-11-20T00:00:00Z') / 1000;
const to = from + steps * STEP;
const iso = (t) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

const dir = mkdtempSync(path.join(tmpdir(), 'qm-bench-simulate-'));
const write = (rel, text) => {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  writeFileSync(path.join(dir, rel), text);
};
write('pools/general.yaml', `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: general}
spec:
  zones: [zone-a, zone-b]
  node: {capacity: {cpu: 16, memory: 64Gi}, costPerHour: 0.8}
  size: {min: 50, max: 150, initial: ${NODES}}
`);
const docs = [`apiVersion: quartermaster.dev/v1alpha1
kind: MetricSource
metadata: {name: load}
spec:
  file: {path: metrics/load.csv}`, `apiVersion: quartermaster.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: general}
spec:
  target: {kind: Pool, name: general}
  min: 50
  max: 150`];
const rows = ['timestamp,series,value'];
for (let a = 0; a < AGENTS; a++) {
  const name = `agent-${a}`;
  write(`agents/${name}.yaml`, `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: ${name}}
spec:
  owner: bench
  replicas: ${REPLICAS}
  resources: {requests: {cpu: 1, memory: 2Gi}}
`);
  docs.push(`apiVersion: quartermaster.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: ${name}}
spec:
  target: {kind: Agent, name: ${name}}
  min: 1
  max: 200
  metrics: [{metric: {source: load, series: ${name}}, targetPerReplica: 100}]
  behavior: {scaleUp: {cooldown: 0s}, scaleDown: {stabilizationWindow: 10m, cooldown: 5m}}`);
  // A daily wave between 6,000 and 10,000 per agent, each agent a little out of phase.
  for (let t = from - 86400; t <= to; t += STEP) rows.push(`${iso(t)},${name},${Math.round(8000 + 2000 * Math.sin((2 * Math.PI * ((t + a * 3600) % 86400)) / 86400))}`);
}
write('policies/scaling.yaml', `${docs.join('\n---\n')}\n`);
write('metrics/load.csv', `${rows.join('\n')}\n`);
const nodes = Array.from({ length: NODES }, (_, i) => `  - {name: general-${i}, pool: general, zone: zone-${i % 2 ? 'b' : 'a'}}`);
const instances = [];
for (let a = 0; a < AGENTS; a++) for (let r = 0; r < REPLICAS; r++) instances.push(`  - {name: agent-${a}-${r}, agent: agent-${a}, node: general-${(a * REPLICAS + r) % NODES}}`);
write('snap.yaml', `nodes:\n${nodes.join('\n')}\ninstances:\n${instances.join('\n')}\n`);

let peak = 0;
const stamps = [];
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let report;
try {
  report = await runSimulate({ dir, snapshot: path.join(dir, 'snap.yaml'), from, to, step: STEP, nodeStartup: 180, onStep: () => stamps.push(performance.now()) });
} finally {
  clearInterval(sample);
  rmSync(dir, { recursive: true, force: true });
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
peak = Math.max(peak, process.memoryUsage().rss);
const tenth = Math.max(1, Math.floor(stamps.length / 10));
const per = (a, b) => (stamps[b - 1] - stamps[a]) / (b - 1 - a);
const early = per(0, tenth);
const late = per(stamps.length - tenth, stamps.length);
const t = report.runs[0].totals;
console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${loadavg()[0].toFixed(1)} at the end\n`);
console.log('| steps | instances | nodes | total s (wall) | CPU s | steps/s (wall) | ms/step first tenth | ms/step last tenth | peak RSS MiB |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
console.log(`| ${steps} | ${AGENTS * REPLICAS} | ${NODES} | ${seconds.toFixed(1)} | ${cpuSeconds.toFixed(1)} | ${(steps / seconds).toFixed(1)} | ${early.toFixed(1)} | ${late.toFixed(1)} | ${(peak / 2 ** 20).toFixed(0)} |`);
console.log(`\nFigures of the run: ${t.nodeHours} node-hours, ${t.scaleActions} scale actions, ${t.moves} moves, ${t.blockedInstanceMinutes} blocked instance-minutes, peak ${t.peakNodes.general} nodes.`);
