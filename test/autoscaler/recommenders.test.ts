/** One table per recommender: metric target, step trigger, predictive. */
import { describe, expect, it } from 'vitest';
import { metricRecommendation } from '../../src/autoscaler/metric.js';
import { triggerRecommendation } from '../../src/autoscaler/trigger.js';
import { predictiveRecommendation } from '../../src/autoscaler/predictive.js';
import { fallbackForecast } from '../../src/autoscaler/fallback-forecast.js';
import { utilizationRecommendation } from '../../src/autoscaler/utilization.js';
import type { ForecastFn } from '../../src/autoscaler/index.js';
import { forecast } from '../../src/forecast/index.js';
import { METRIC_SOURCES, SP, T, onlyPolicy, policyFrom, series } from './builders.js';

const NOW = '2026-11-27T12:00:00Z';
const ref = { source: 'h', series: 'rpm' };

describe('metric target: desired = ceil(current × value / target) = ceil(total / targetPerReplica), within tolerance', () => {
  it.each([
    // value, target, current, tolerance, expected, text
    [450, 100, 4, 10, 5, /450 ÷ 100 per replica → 5 replicas \(\+1\)/],
    [440, 100, 4, 10, 5, /→ 5 replicas/],
    [420, 100, 4, 10, 4, /within the 10 % tolerance/],
    [410, 100, 4, 10, 4, /within the 10 % tolerance of 4 replicas → keep 4/],
    [360, 100, 4, 10, 4, /within the 10 % tolerance/],
    [350, 100, 4, 10, 4, /→ 4 replicas \(no change\)/],
    [120, 100, 4, 10, 2, /→ 2 replicas \(−2\)/],
    [0, 100, 4, 10, 0, /→ 0 replicas \(−4\)/],
    [250, 100, 0, 10, 3, /→ 3 replicas \(\+3\)/],
    [-5, 100, 2, 10, 0, /= 0 ÷ 100/],
  ])('value %d, target %d per replica, %d now, tolerance %d %% → %d', (value, target, current, tol, expected, text) => {
    const r = metricRecommendation({ metric: ref, targetPerReplica: target }, { points: series('2026-11-27T11:55:00Z', 60, [value]) }, current, tol, T(NOW), 'replica');
    expect('rec' in r && r.rec.replicas).toBe(expected);
    expect('rec' in r && r.rec.text).toMatch(text);
  });
  it.each([
    ['no data', undefined, /was not collected/],
    ['an error', { points: [], error: 'Prometheus at http://x is unreachable' }, /unreachable/],
    ['an empty series', { points: [] }, /no samples/],
    ['a stale series', { points: series('2026-11-27T09:00:00Z', 60, [5]) }, /stale/],
    ['a series that starts after now', { points: series('2026-11-27T13:00:00Z', 60, [5]) }, /no sample before/],
  ])('%s → no recommendation, a problem', (_n, d, msg) => {
    const r = metricRecommendation({ metric: ref, targetPerReplica: 100 }, d, 3, 10, T(NOW), 'replica');
    expect('problem' in r && r.problem).toMatch(msg);
  });
});

describe('step trigger: fires when the condition holds for `for`', () => {
  const trig = (over: Partial<{ operator: 'gt' | 'gte' | 'lt' | 'lte'; threshold: number; for: number; change: { by?: number; to?: number } }> = {}) => ({ name: 'hot', metric: ref, operator: 'gt' as const, threshold: 80, for: 600, change: { by: 2 }, ...over });
  // samples every minute from 11:48 to 12:00 (13 values)
  it.each([
    ['held for 12m', [90, 90, 90, 90, 90, 90, 90, 90, 90, 90, 90, 90, 90], trig(), 5],
    ['dipped 5m ago', [90, 90, 90, 90, 90, 90, 90, 70, 90, 90, 90, 90, 90], trig(), undefined],
    ['dipped 11m ago (outside for)', [90, 70, 90, 90, 90, 90, 90, 90, 90, 90, 90, 90, 90], trig(), 5],
    ['equal is not gt', [80, 80, 80, 80, 80, 80, 80, 80, 80, 80, 80, 80, 80], trig(), undefined],
    ['equal is gte', [80, 80, 80, 80, 80, 80, 80, 80, 80, 80, 80, 80, 80], trig({ operator: 'gte' }), 5],
    ['lt with change.by −1', [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10], trig({ operator: 'lt', threshold: 20, change: { by: -1 } }), 2],
    ['lte with change.to 1', [20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20], trig({ operator: 'lte', threshold: 20, change: { to: 1 } }), 1],
    ['for 0: only the latest sample', [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 95], trig({ for: 0 }), 5],
    ['below zero is clamped', [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10], trig({ operator: 'lt', threshold: 20, change: { by: -9 } }), 0],
  ])('%s', (_n, values, tr, expected) => {
    const r = triggerRecommendation(tr, { points: series('2026-11-27T11:48:00Z', 60, values) }, 3, T(NOW), 'replica');
    expect('problem' in r ? r.problem : r.rec?.replicas).toBe(expected);
  });
  it('a gap at the start of the window never fires: the data must cover `for`', () => {
    const r = triggerRecommendation(trig(), { points: series('2026-11-27T11:57:00Z', 60, [90, 90, 90, 90]) }, 3, T(NOW), 'replica');
    expect('problem' in r ? r.problem : r.rec).toBeUndefined();
  });
  it('the reason names the trigger, the condition and the step', () => {
    const r = triggerRecommendation(trig(), { points: series('2026-11-27T11:48:00Z', 60, Array(13).fill(91)) }, 3, T(NOW), 'node');
    expect('rec' in r && r.rec?.text).toBe('trigger hot: h/rpm > 80 for 10m (now 91) → +2 = 5 nodes (+2)');
  });
});

describe('predictive: provision for the upper bound of the forecast over the horizon', () => {
  const doc = (mode: string, horizon = '30m') => onlyPolicy(policyFrom([METRIC_SOURCES, SP('s', '{kind: Pool, name: p}', `min: 1\nmax: 10\npredictive: {metric: {source: h, series: rpm}, targetPerReplica: 100, horizon: ${horizon}, lookback: 7d, mode: ${mode}}`)].join('\n---\n')));
  // Three days of a daily sine between 100 and 500 every 5 minutes.
  const daily = Array.from({ length: 3 * 288 }, (_, i) => 300 + 200 * Math.sin((2 * Math.PI * i) / 288));
  const pts = series('2026-11-24T12:00:00Z', 300, daily);
  const at = pts[pts.length - 1]!.t;
  it.each<[string, ForecastFn]>([
    ['the fallback seasonal-naive forecaster', fallbackForecast],
    ['src/forecast', forecast],
  ])('with %s: recommendation = ceil(max upper / target), forecast for the plan', (_n, fn) => {
    const r = predictiveRecommendation(doc('forecastAndScale'), { points: pts }, 2, at, fn, 'node');
    expect(r.problem).toBeUndefined();
    const maxUpper = Math.max(...r.forecast!.points.map((p) => p.upper));
    expect(r.rec!.replicas).toBe(Math.ceil(maxUpper / 100 - 1e-9));
    expect(r.forecast!.points.every((p) => T(p.timestamp) > at && T(p.timestamp) <= at + 1800)).toBe(true);
    expect(r.forecast!.history.length).toBeGreaterThan(0);
    expect(r.rec!.text).toMatch(/^predictive \(forecastAndScale\): h\/rpm forecast by .+ upper bound .+ ÷ 100 per node → \d+ nodes/);
  });
  it.each([
    ['no history', [], /has 0 samples/],
    ['one sample', series('2026-11-27T11:55:00Z', 300, [5]), /has 1 sample /],
    ['stale history', series('2026-11-25T00:00:00Z', 300, [5, 6, 7]), /stale/],
  ])('%s → a problem, no recommendation', (_n, p, msg) => {
    const r = predictiveRecommendation(doc('forecastOnly'), { points: p }, 2, T(NOW), fallbackForecast, 'node');
    expect(r.problem).toMatch(msg);
    expect(r.rec).toBeUndefined();
  });
  it('a forecaster that throws gives a problem, not a crash', () => {
    const r = predictiveRecommendation(doc('forecastOnly'), { points: pts }, 2, at, () => { throw new Error('singular matrix'); }, 'node');
    expect(r.problem).toMatch(/forecasting h\/rpm failed: singular matrix/);
  });
});

describe('utilisation (pool): pending instances, target ratio, removable nodes', () => {
  const spec = (target?: number) => onlyPolicy(policyFrom(SP('s', '{kind: Pool, name: p}', `min: 1\nmax: 10${target ? `\ntargetUtilizationPercent: ${target}` : ''}`))).spec;
  it.each([
    ['pending instances need 2 nodes', spec(), { pool: 'p', current: 3, pending: { instances: ['a-3', 'a-4', 'a-5'], nodes: 2, placeable: 3 } }, 5, /3 pending instances \(a-3, a-4, a-5\) fit on 2 new nodes of the pool's shape → 5 nodes \(\+2\)/],
    ['92 % over a 70 % target', spec(70), { pool: 'p', current: 4, utilization: { resource: 'cpu', percent: 92 } }, 6, /utilisation cpu 92 % > target 70 % → 6 nodes \(\+2\)/],
    ['75 % within tolerance of 70 %', spec(70), { pool: 'p', current: 4, utilization: { resource: 'cpu', percent: 75 } }, 4, /keep 4 nodes/],
    ['pending beats the ratio when larger', spec(70), { pool: 'p', current: 2, utilization: { resource: 'gpu', percent: 80 }, pending: { instances: ['x-0'], nodes: 3, placeable: 1 } }, 5, /fit on 3 new nodes/],
    ['a removable node', spec(70), { pool: 'p', current: 3, utilization: { resource: 'cpu', percent: 30 }, removable: [{ node: 'p-2', utilizationPercent: 10, unneededFor: 900, instances: 1 }] }, 2, /p-2 \(10 %, 1 instance, unneeded 15m\) under 50 % utilisation for at least 10m, its instances fit on the other nodes → 2 nodes \(−1\)/],
    ['nothing to do', spec(), { pool: 'p', current: 2, utilization: { resource: 'cpu', percent: 60 }, kept: ['the instances on p-1 do not all fit elsewhere'] }, 2, /no node can go \(the instances on p-1 do not all fit elsewhere\) → keep 2 nodes/],
  ])('%s', (_n, s, facts, expected, text) => {
    const r = utilizationRecommendation(s, facts);
    expect(r.replicas).toBe(expected);
    expect(r.text).toMatch(text);
  });
});
