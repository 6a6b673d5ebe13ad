/** Edge cases against what HPA and Cluster Autoscaler users expect: bounds vs behaviour, reasons that match their numbers. */
import { describe, expect, it } from 'vitest';
import { autoscale } from '../../src/autoscaler/index.js';
import { metricRecommendation } from '../../src/autoscaler/metric.js';
import { triggerRecommendation } from '../../src/autoscaler/trigger.js';
import { predictiveRecommendation } from '../../src/autoscaler/predictive.js';
import { utilizationRecommendation } from '../../src/autoscaler/utilization.js';
import type { ScalingEvent } from '../../src/model/state.js';
import { planScaling } from '../../src/planner/autoscaling.js';
import { newNodes } from '../../src/planner/nodes.js';
import { forecast } from '../../src/forecast/index.js';
import { AGENT, METRIC_SOURCES, POOL, SP, T, data, onlyPolicy, policyFrom, series } from './builders.js';

const NOW = '2026-11-27T12:00:00Z';
const flat = (v: number) => Array(16).fill(v);

function decideAgent(spec: string, values: Record<string, number[]>, opts: { running?: number; history?: ScalingEvent[]; now?: string } = {}) {
  const policy = policyFrom([AGENT('a', 3), METRIC_SOURCES, SP('s', '{kind: Agent, name: a}', spec)].join('\n---\n'));
  const running = opts.running ?? 4;
  const observed = { nodes: [], instances: Array.from({ length: running }, (_, i) => ({ name: `a-${i}`, agent: 'a', node: 'n', requests: {} })), scalingHistory: opts.history ?? [] };
  const metrics = data(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, series('2026-11-27T11:45:00Z', 60, v)])));
  return autoscale({ policy, observed, metrics, now: opts.now ?? NOW });
}

describe('a count outside its bounds comes back inside, whatever the behaviour limits', () => {
  const metric = 'metrics: [{metric: {source: h, series: load}, targetPerReplica: 100}]';
  it.each([
    // spec, load, running, history, expected
    ['below min, recommendation above min, maxStep 1', `min: 4\nmax: 10\n${metric}\nbehavior: {scaleUp: {cooldown: 0s, maxStep: 1}}`, flat(800), 2, [], 4],
    ['below min, recommendation above min, in cooldown', `min: 4\nmax: 10\n${metric}\nbehavior: {scaleUp: {cooldown: 5m}}`, flat(800), 2, [{ target: { kind: 'Agent' as const, name: 'a' }, at: '2026-11-27T11:59:00Z', from: 1, to: 2 }], 4],
    ['above max, recommendation below max, maxStep 1', `min: 1\nmax: 10\n${metric}\nbehavior: {scaleDown: {stabilizationWindow: 0s, cooldown: 0s, maxStep: 1}}`, flat(500), 12, [], 10],
    ['above max, recommendation below min, maxPercent 10', `min: 2\nmax: 10\n${metric}\nbehavior: {scaleDown: {stabilizationWindow: 0s, cooldown: 0s, maxPercent: 10}}`, flat(0), 12, [], 10],
    ['above max, in cooldown', `min: 1\nmax: 10\n${metric}\nbehavior: {scaleDown: {stabilizationWindow: 0s, cooldown: 5m}}`, flat(500), 12, [{ target: { kind: 'Agent' as const, name: 'a' }, at: '2026-11-27T11:59:00Z', from: 11, to: 12 }], 10],
  ])('%s', (_n, spec, load, running, history, to) => {
    const d = decideAgent(spec, { load }, { running, history }).agents[0]!;
    expect(d.to).toBe(to);
    expect(d.reason).toMatch(new RegExp(`→ ${to}$`));
  });
});

describe('stabilization reasons name the recommendation that was in the window', () => {
  it('scale-down: the highest in the window was 6, the count stays 4', () => {
    const d = decideAgent('min: 1\nmax: 10\nmetrics: [{metric: {source: h, series: load}, targetPerReplica: 100}]\nbehavior: {scaleDown: {stabilizationWindow: 5m, cooldown: 0s}}', { load: [...flat(100).slice(0, 10), 600, 600, 100, 100, 100, 100] }).agents[0]!;
    expect(d.to).toBe(4);
    expect(d.reason).toMatch(/the highest recommendation in it was 6 at 2026-11-27T11:56:00Z → 4 \(never above the current 4\)$/);
  });
  it('scale-up: the lowest in the window was 2, the count stays 4', () => {
    const d = decideAgent('min: 1\nmax: 10\nmetrics: [{metric: {source: h, series: load}, targetPerReplica: 100}]\nbehavior: {scaleUp: {stabilizationWindow: 5m, cooldown: 0s}}', { load: [...flat(200).slice(0, 12), 900, 900, 900, 900] }).agents[0]!;
    expect(d.to).toBe(4);
    expect(d.reason).toMatch(/the lowest recommendation in it was 2 at 2026-11-27T11:56:00Z → 4 \(never below the current 4\)$/);
  });
});

describe('missing metrics', () => {
  it('one unavailable metric used by a target and a trigger is one metric', () => {
    const d = decideAgent('min: 1\nmax: 10\nmetrics: [{metric: {source: h, series: load}, targetPerReplica: 100}, {metric: {source: prom, query: up}, targetPerReplica: 1}]\ntriggers: [{name: hot, metric: {source: prom, query: up}, operator: gt, threshold: 50, change: {by: 1}}]\nbehavior: {scaleDown: {stabilizationWindow: 0s, cooldown: 0s}}', { load: flat(100) }).agents[0]!;
    expect(d.to).toBe(4);
    expect(d.reason).toMatch(/held at 4: 1 metric is unavailable, so no scale-down$/);
  });
  it('scale-up still happens when another metric is missing', () => {
    const d = decideAgent('min: 1\nmax: 10\nmetrics: [{metric: {source: h, series: load}, targetPerReplica: 100}, {metric: {source: prom, query: up}, targetPerReplica: 1}]\nbehavior: {scaleUp: {cooldown: 0s}}', { load: flat(700) }).agents[0]!;
    expect(d.to).toBe(7);
  });
  it('a stale metric holds a scale-down', () => {
    const policy = policyFrom([AGENT('a', 3), METRIC_SOURCES, SP('s', '{kind: Agent, name: a}', 'min: 1\nmax: 10\nmetrics: [{metric: {source: h, series: load}, targetPerReplica: 100}, {metric: {source: h, series: old}, targetPerReplica: 100}]\nbehavior: {scaleDown: {stabilizationWindow: 0s, cooldown: 0s}}')].join('\n---\n'));
    const observed = { nodes: [], instances: [0, 1, 2, 3].map((i) => ({ name: `a-${i}`, agent: 'a', node: 'n', requests: {} })), scalingHistory: [] };
    const r = autoscale({ policy, observed, metrics: data({ load: series('2026-11-27T11:45:00Z', 60, flat(100)), old: series('2026-11-27T08:00:00Z', 60, [100]) }), now: NOW });
    expect(r.agents[0]!.to).toBe(4);
  });
});

describe('reason numbers add up', () => {
  it.each([
    [100.4, 100, 4, 2],
    [400.3, 100, 2, 5],
    [1000.2, 1000, 3, 2],
  ])('value %d ÷ %d with %d now → %d, and the shown value gives that count', (value, target, current, expected) => {
    const r = metricRecommendation({ metric: { source: 'h', series: 'x' }, targetPerReplica: target }, { points: series('2026-11-27T11:59:00Z', 60, [value]) }, current, 10, T(NOW), 'replica');
    if (!('rec' in r)) throw new Error('no rec');
    expect(r.rec.replicas).toBe(expected);
    const m = /= ([\d,.]+) ÷ ([\d,.]+) per replica → (\d+) replicas/.exec(r.rec.text)!;
    const shown = Number(m[1]!.replace(/,/g, ''));
    expect(Math.ceil(shown / Number(m[2]!.replace(/,/g, '')))).toBe(Number(m[3]));
  });
  it('utilisation 100.4 % over a 50 % target on 1 node → 3 nodes, and says 100.4 %', () => {
    const spec = onlyPolicy(policyFrom(SP('s', '{kind: Pool, name: p}', 'min: 1\nmax: 10\ntargetUtilizationPercent: 50'))).spec;
    const r = utilizationRecommendation(spec, { pool: 'p', current: 1, utilization: { resource: 'cpu', percent: 100.4 } });
    expect(r.replicas).toBe(3);
    expect(r.text).toBe('utilisation cpu 100.4 % > target 50 % → 3 nodes (+2)');
  });
  it('a predictive upper bound of 2,000.4 ÷ 1,000 → 3 nodes, and says 2,000.4', () => {
    const doc = onlyPolicy(policyFrom([METRIC_SOURCES, SP('s', '{kind: Pool, name: p}', 'min: 1\nmax: 10\npredictive: {metric: {source: h, series: rpm}, targetPerReplica: 1000, horizon: 30m, lookback: 1d, mode: forecastAndScale}')].join('\n---\n')));
    const fc = () => ({ model: 'fixed', step: 300, origin: '2026-11-27T12:00:00Z', backtest: [], warnings: [], points: [{ timestamp: '2026-11-27T12:05:00Z', value: 1900, lower: 1800, upper: 2000.4 }] });
    const r = predictiveRecommendation(doc, { points: series('2026-11-27T11:00:00Z', 300, Array(13).fill(1900)) }, 2, T(NOW), fc, 'node');
    expect(r.rec!.replicas).toBe(3);
    expect(r.rec!.text).toMatch(/upper bound 2,000\.4 at .+ ÷ 1,000 per node → 3 nodes \(\+1\)$/);
  });
  it('a trigger at 80.04 over a threshold of 80 says so', () => {
    const tr = { name: 'hot', metric: { source: 'h', series: 'x' }, operator: 'gt' as const, threshold: 80, for: 0, change: { by: 1 } };
    const r = triggerRecommendation(tr, { points: series('2026-11-27T11:59:00Z', 60, [80.04]) }, 3, T(NOW), 'replica');
    expect('rec' in r && r.rec?.text).toBe('trigger hot: h/x > 80 (now 80.04) → +1 = 4 replicas (+1)');
  });
});

describe('triggers', () => {
  it('a for shorter than the sampling interval fires on the sample in effect', () => {
    const tr = { name: 'hot', metric: { source: 'h', series: 'x' }, operator: 'gt' as const, threshold: 80, for: 120, change: { by: 1 } };
    // every 5 minutes, the latest at 11:55 (fresh at 12:00)
    const r = triggerRecommendation(tr, { points: series('2026-11-27T11:30:00Z', 300, [90, 90, 90, 90, 90, 90]) }, 3, T(NOW), 'replica');
    expect('rec' in r && r.rec?.replicas).toBe(4);
  });
  it('…but not once the next sample is overdue', () => {
    const tr = { name: 'hot', metric: { source: 'h', series: 'x' }, operator: 'gt' as const, threshold: 80, for: 120, change: { by: 1 } };
    // the latest at 11:50, the 11:55 one missing: at 12:00 the value in effect since 11:58 is unknown
    const r = triggerRecommendation(tr, { points: series('2026-11-27T11:30:00Z', 300, [90, 90, 90, 90, 90]) }, 3, T(NOW), 'replica');
    expect('problem' in r ? r.problem : r.rec).toBeUndefined();
  });
});

describe('stabilization over a dense series', () => {
  it('a peak early in a 1h scale-down window of 10-second samples still holds the count', () => {
    const policy = policyFrom([AGENT('a', 3), METRIC_SOURCES, SP('s', '{kind: Agent, name: a}', 'min: 1\nmax: 10\nmetrics: [{metric: {source: h, series: load}, targetPerReplica: 100}]\nbehavior: {scaleDown: {stabilizationWindow: 1h, cooldown: 0s}}')].join('\n---\n'));
    const observed = { nodes: [], instances: [0, 1, 2, 3].map((i) => ({ name: `a-${i}`, agent: 'a', node: 'n', requests: {} })), scalingHistory: [] };
    // 11:00:00 … 12:00:00 every 10 s; 600 at 11:10, else 100
    const values = Array.from({ length: 361 }, (_, i) => (i === 60 ? 600 : 100));
    const r = autoscale({ policy, observed, metrics: data({ load: series('2026-11-27T11:00:00Z', 10, values) }), now: NOW });
    expect(r.agents[0]!.to).toBe(4);
    expect(r.agents[0]!.reason).toMatch(/the highest recommendation in it was 6 at 2026-11-27T11:10:00Z/);
  });
});

describe('pool utilisation with nodes that are not ready yet', () => {
  it('nodes still booting count as capacity: no second scale-up for the load they will take', () => {
    const policy = policyFrom([POOL('p', { min: 1, max: 10, initial: 4 }), AGENT('a', 7), SP('p', '{kind: Pool, name: p}', 'min: 1\nmax: 10\ntargetUtilizationPercent: 70')].join('\n---\n'));
    const pool = policy.pools[0]!;
    const nodes = newNodes(pool, [], 4).map((n, i) => ({ ...n, ready: i < 2 }));
    const instances = Array.from({ length: 7 }, (_, i) => ({ name: `a-${i}`, agent: 'a', node: nodes[i % 2]!.name, requests: { cpuMillis: 1000, memoryBytes: 1024 ** 3 }, startedAt: '2026-11-27T11:00:00Z' }));
    // The pool was scaled 2 → 4 five minutes ago: the two nodes not ready are still coming up.
    const scaledUp = [{ target: { kind: 'Pool' as const, name: 'p' }, at: '2026-11-27T11:55:00Z', from: 2, to: 4 }];
    const d = planScaling({ policy, observed: { nodes, instances, scalingHistory: scaledUp }, now: NOW, metrics: {}, forecast }).decisions.pools[0]!;
    // 7 of 8 ready cpu = 87.5 % > 70 %: ceil(2 ready × 87.5 / 70) = 3 nodes are needed, 4 exist
    expect(d.from).toBe(4);
    expect(d.to).toBe(4);
    // Not ready for longer than Cluster Autoscaler's 15-minute provisioning time: broken, replaced.
    const old = [{ ...scaledUp[0]!, at: '2026-11-27T11:00:00Z' }];
    const late = planScaling({ policy, observed: { nodes, instances, scalingHistory: old }, now: NOW, metrics: {}, forecast }).decisions.pools[0]!;
    expect(late.to).toBe(5);
    expect(late.reason).toMatch(/^utilisation cpu 87\.5 % > target 70 % on 2 ready nodes of 4 \(2 not ready for over 15m count for nothing\) → 5 nodes \(\+1\)/);
  });
  it('pending instances that the nodes still coming up will take ask for no new node', () => {
    const policy = policyFrom([POOL('p', { min: 1, max: 10, initial: 3 }), AGENT('a', 12), SP('p', '{kind: Pool, name: p}', 'min: 1\nmax: 10\nbehavior: {scaleUp: {cooldown: 0s}}')].join('\n---\n'));
    const nodes = newNodes(policy.pools[0]!, [], 3).map((n, i) => ({ ...n, ready: i < 2 }));
    const history = (at: string) => [{ target: { kind: 'Pool' as const, name: 'p' }, at, from: 2, to: 3 }];
    // 12 replicas of 1 cpu, 4-cpu nodes: 8 fit on the 2 ready nodes, the other 4 on the node booting.
    const soon = planScaling({ policy, observed: { nodes, instances: [], scalingHistory: history('2026-11-27T11:58:00Z') }, now: NOW, metrics: {}, forecast }).decisions.pools[0]!;
    expect(soon.to).toBe(3);
    expect(soon.reason).toMatch(/4 pending instances will fit on the 1 node still coming up/);
    const stuck = planScaling({ policy, observed: { nodes, instances: [], scalingHistory: history('2026-11-27T11:00:00Z') }, now: NOW, metrics: {}, forecast }).decisions.pools[0]!;
    expect(stuck.to).toBe(4);
  });
  it('with every node ready the ratio scales up as before', () => {
    const policy = policyFrom([POOL('p', { min: 1, max: 10, initial: 2 }), AGENT('a', 7), SP('p', '{kind: Pool, name: p}', 'min: 1\nmax: 10\ntargetUtilizationPercent: 70\nbehavior: {scaleUp: {cooldown: 0s}}')].join('\n---\n'));
    const nodes = newNodes(policy.pools[0]!, [], 2);
    const instances = Array.from({ length: 7 }, (_, i) => ({ name: `a-${i}`, agent: 'a', node: nodes[i % 2]!.name, requests: { cpuMillis: 1000, memoryBytes: 1024 ** 3 }, startedAt: '2026-11-27T11:00:00Z' }));
    const d = planScaling({ policy, observed: { nodes, instances, scalingHistory: [] }, now: NOW, metrics: {}, forecast }).decisions.pools[0]!;
    expect(d.to).toBe(3);
    expect(d.reason).toMatch(/^utilisation cpu 87\.5 % > target 70 % → 3 nodes \(\+1\)/);
  });
  it('a ratio beyond what the booting nodes cover scales up by the rest, and says on how many ready nodes it was measured', () => {
    const spec = onlyPolicy(policyFrom(SP('s', '{kind: Pool, name: p}', 'min: 1\nmax: 10\ntargetUtilizationPercent: 50'))).spec;
    const r = utilizationRecommendation(spec, { pool: 'p', current: 4, ready: 3, utilization: { resource: 'cpu', percent: 90 } });
    expect(r.replicas).toBe(6);
    expect(r.text).toBe('utilisation cpu 90 % > target 50 % on 3 ready nodes of 4 → 6 nodes (+2)');
  });
});

describe('predictive modes', () => {
  const fc = () => ({ model: 'fixed', step: 60, origin: NOW, backtest: [], warnings: [], points: [{ timestamp: '2026-11-27T12:05:00Z', value: 800, lower: 700, upper: 900 }] });
  it.each([
    ['forecastOnly', 4, false],
    ['forecastAndScale', 9, true],
  ])('%s → %d replicas, applied %s', (mode, to, applied) => {
    const policy = policyFrom([AGENT('a', 3), METRIC_SOURCES, SP('s', '{kind: Agent, name: a}', `min: 1\nmax: 10\nmetrics: [{metric: {source: h, series: load}, targetPerReplica: 100}]\npredictive: {metric: {source: h, series: load}, targetPerReplica: 100, horizon: 10m, lookback: 1h, mode: ${mode}}\nbehavior: {scaleUp: {cooldown: 0s}}`)].join('\n---\n'));
    const observed = { nodes: [], instances: [0, 1, 2, 3].map((i) => ({ name: `a-${i}`, agent: 'a', node: 'n', requests: {} })), scalingHistory: [] };
    const r = autoscale({ policy, observed, metrics: data({ load: series('2026-11-27T11:45:00Z', 60, flat(400)) }), now: NOW, forecast: fc });
    expect(r.agents[0]!.to).toBe(to);
    expect(r.forecasts[0]!.applied).toBe(applied);
    expect(r.forecasts[0]!.capacity).toBe(to * 100);
    if (mode === 'forecastOnly') expect(r.agents[0]!.reason).toMatch(/; predictive \(forecastOnly\) would recommend 9 replicas$/);
  });
});
