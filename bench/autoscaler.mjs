// Autoscaler benchmarks (after `npm run build`): `node bench/autoscaler.mjs`.
//  1. Speed: 100 ScalingPolicies over a week of 5-minute history, evaluated by autoscale() (goal ≤ 1 s).
//  2. Backtest: a real request series (NAB's AWS ELB request count, bench/data/metrics/nab, MIT)
//     replayed through a Pool policy, reactive only (metric target) versus predictive
//     (forecastAndScale), against the perfect-foresight minimum.
// Prints markdown tables; docs/autoscaling.md quotes them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { autoscale, metricKey } from '../dist/autoscaler/index.js';
import { forecast } from '../dist/forecast/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STEP = 300;
const WEEK = 7 * 86400;
const iso = (t) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

const src = { file: 'bench.yaml', index: 0, line: 1, column: 1 };
const meta = (name) => ({ name, labels: {}, annotations: {} });
const rule = (o = {}) => ({ stabilizationWindow: 0, cooldown: 0, ...o });
function scalingPolicy(name, target, spec) {
  return { apiVersion: 'quartermaster.dev/v1alpha1', kind: 'ScalingPolicy', metadata: meta(name), source: src, spec: { min: 1, max: 50, tolerancePercent: 10, metrics: [], triggers: [], schedules: [], windows: [], behavior: { scaleUp: rule(), scaleDown: rule() }, target, ...spec } };
}
function agent(name, replicas) {
  return { apiVersion: 'quartermaster.dev/v1alpha1', kind: 'Agent', metadata: meta(name), source: src, spec: { type: 'bench', owner: 'bench', replicas, class: 'burstable', priority: 50, resources: { requests: { cpuMillis: 1000 } }, placement: {}, runtime: {}, dependsOn: [] } };
}
function pool(name, max) {
  return { apiVersion: 'quartermaster.dev/v1alpha1', kind: 'Pool', metadata: meta(name), source: src, spec: { driver: 'sim', tier: 'silver', region: 'local', zones: ['local-a'], state: 'active', node: { capacity: { cpuMillis: 8000 }, labels: {}, taints: [], costPerHour: 1, powerWatts: 100 }, size: { min: 1, max, initial: 1 }, overcommit: {} } };
}
const policySet = (extra) => ({ pools: [], agents: [], quotas: [], affinityRules: [], scalingPolicies: [], policies: [], metricSources: [], drivers: [], profile: { spec: {} }, ...extra });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---------------------------------------------------------------- 1. speed
function speed(withPredictive) {
  const n = 100;
  const end = Date.parse('2026-11-27T12:00:00Z') / 1000;
  const agents = [];
  const policies = [];
  const metrics = {};
  const instances = [];
  for (let i = 0; i < n; i++) {
    const name = `agent-${String(i).padStart(3, '0')}`;
    agents.push(agent(name, 4));
    for (let r = 0; r < 4; r++) instances.push({ name: `${name}-${r}`, agent: name, node: 'n', requests: {} });
    const load = { source: 'h', series: `${name}-load` };
    const queue = { source: 'h', series: `${name}-queue` };
    const pts = [];
    const q = [];
    for (let t = end - WEEK; t <= end; t += STEP) {
      pts.push({ t, v: 400 + 300 * Math.sin((2 * Math.PI * (t % 86400)) / 86400) + ((t * 7919 + i * 104729) % 97) });
      q.push({ t, v: (t / STEP + i) % 50 });
    }
    metrics[metricKey(load)] = { points: pts };
    metrics[metricKey(queue)] = { points: q };
    policies.push(scalingPolicy(name, { kind: 'Agent', name }, {
      metrics: [{ metric: load, targetPerReplica: 100 }],
      triggers: [{ name: 'backlog', metric: queue, operator: 'gt', threshold: 40, for: 600, change: { by: 2 } }],
      schedules: [{ cron: '0 8 * * 1-5', timezone: 'Europe/Berlin', duration: 36000, min: 3 }],
      windows: [{ cron: '0 9 * * 1-5', timezone: 'UTC', duration: 28800, deny: true }],
      behavior: { scaleUp: rule({ cooldown: 60, maxStep: 4 }), scaleDown: rule({ stabilizationWindow: 900, cooldown: 300, maxStep: 1 }) },
      ...(withPredictive ? { predictive: { metric: load, targetPerReplica: 100, horizon: 1800, lookback: WEEK, mode: 'forecastAndScale' } } : {}),
    }));
  }
  const input = { policy: policySet({ agents, scalingPolicies: policies }), observed: { nodes: [], instances, scalingHistory: [] }, metrics, now: iso(end), forecast };
  autoscale(input); // warm-up
  const times = [];
  let out;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    out = autoscale(input);
    times.push(performance.now() - t0);
  }
  return { policies: n, points: n * 2 * (WEEK / STEP + 1), ms: median(times), changed: out.agents.filter((d) => d.to !== d.from).length };
}

// ---------------------------------------------------------------- 2. backtest
function readNab(file) {
  return readFileSync(path.join(ROOT, 'bench/data/metrics/nab', file), 'utf8').trim().split('\n').slice(1).map((l) => {
    const [t, v] = l.split(',');
    return { t: Date.parse(`${t.replace(' ', 'T')}Z`) / 1000, v: Number(v) };
  });
}

/**
 * Replay `series` from `from` on: every 5 minutes the policy decides with the history up to then;
 * nodes added become ready one step later (provisioning), removed ones go at once; the next
 * sample's demand is then served by the nodes ready.
 */
function replay(series, from, perNode, predictive) {
  const p = pool('web', 40);
  const target = { kind: 'Pool', name: 'web' };
  const ref = { source: 'h', series: 'requests' };
  const doc = scalingPolicy('web', target, {
    min: 1,
    max: 40,
    metrics: [{ metric: ref, targetPerReplica: perNode }],
    behavior: { scaleUp: rule({ cooldown: 0 }), scaleDown: rule({ stabilizationWindow: 900, cooldown: 300, maxStep: 2 }) },
    ...(predictive ? { predictive: { metric: ref, targetPerReplica: perNode, horizon: 1800, lookback: 3 * 86400, mode: 'forecastAndScale' } } : {}),
  });
  const policy = policySet({ pools: [p], scalingPolicies: [doc] });
  const nodesOf = (k) => Array.from({ length: k }, (_, i) => ({ name: `web-${i}`, pool: 'web' }));
  const history = [];
  let ready = Math.max(1, Math.ceil(series.find((x) => x.t >= from).v / perNode));
  let pending = ready;
  let nodeSeconds = 0;
  let shortMinutes = 0;
  let shortRequests = 0;
  let steps = 0;
  let ms = 0;
  const start = series.findIndex((x) => x.t >= from);
  for (let i = start; i < series.length - 1; i++) {
    const now = series[i].t;
    ready = pending; // what was decided a step ago is ready now
    const t0 = performance.now();
    const out = autoscale({ policy, observed: { nodes: nodesOf(ready), instances: [], scalingHistory: history }, metrics: { [metricKey(ref)]: { points: series.slice(Math.max(0, i - 3 * 288), i + 1) } }, now: iso(now), forecast });
    ms += performance.now() - t0;
    const d = out.pools[0];
    if (d.to !== d.from) history.push({ target, at: iso(now), from: d.from, to: d.to });
    pending = d.to;
    const serving = Math.min(ready, d.to); // removals are immediate, additions wait a step
    const next = series[i + 1];
    nodeSeconds += Math.max(ready, d.to) * (next.t - now);
    if (next.v > serving * perNode) {
      shortMinutes += (next.t - now) / 60;
      shortRequests += next.v - serving * perNode;
    }
    steps++;
  }
  return { nodeHours: nodeSeconds / 3600, shortMinutes, shortRequests, steps, msPerDecision: ms / steps };
}

function perfect(series, from, perNode) {
  let s = 0;
  const start = series.findIndex((x) => x.t >= from);
  for (let i = start; i < series.length - 1; i++) s += Math.max(1, Math.ceil(series[i + 1].v / perNode)) * (series[i + 1].t - series[i].t);
  return s / 3600;
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
console.log(`Machine: ${machine}\n`);
console.log('## Autoscaler speed: autoscale() over a week of 5-minute history (median of 5 runs)\n');
console.log('| policies | each with | samples | ms | goal |\n|---:|---|---:|---:|---|');
const a = speed(false);
console.log(`| ${a.policies} | metric target, 10m trigger, Berlin schedule, deny window, 15m stabilization | ${a.points.toLocaleString('en-US')} | ${a.ms.toFixed(0)} | ≤ 1,000 ms ${a.ms <= 1000 ? '✓' : '✗'} |`);
const b = speed(true);
console.log(`| ${b.policies} | the same plus predictive (forecastAndScale, 7d lookback, src/forecast) | ${b.points.toLocaleString('en-US')} | ${b.ms.toFixed(0)} | (forecasting dominates) |`);
console.log();

if (process.argv.includes("--speed-only")) process.exit(0); // the backtest takes ~30 s
const elb = readNab('elb_request_count_8c0756.csv');
const from = elb[0].t + 7 * 86400; // a week of history first, then a week replayed
const perNode = 100; // requests per 5 minutes one node serves
const opt = perfect(elb, from, perNode);
const reactive = replay(elb, from, perNode, false);
const predictive = replay(elb, from, perNode, true);
console.log(`## Autoscaler backtest: NAB AWS ELB request count (elb_request_count_8c0756), second week replayed every 5 minutes, ${perNode} requests per node, nodes ready one step after they are asked for\n`);
console.log('| policy | node-hours | vs perfect foresight | minutes with demand above capacity | requests above capacity | ms per decision |\n|---|---:|---:|---:|---:|---:|');
console.log(`| perfect foresight (ceil(next demand ÷ ${perNode})) | ${opt.toFixed(0)} | 100 % | 0 | 0 | — |`);
for (const [name, r] of [['reactive only (metric target, 10 % tolerance, 15m scale-down stabilization)', reactive], ['reactive + predictive (forecastAndScale, 30m horizon, 95 % upper bound)', predictive]]) {
  console.log(`| ${name} | ${r.nodeHours.toFixed(0)} | ${((r.nodeHours / opt) * 100).toFixed(0)} % | ${r.shortMinutes.toFixed(0)} of ${(r.steps * 5).toLocaleString('en-US')} | ${r.shortRequests.toFixed(0)} | ${r.msPerDecision.toFixed(2)} |`);
}
