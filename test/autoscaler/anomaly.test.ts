/**
 * Anomalies on synthetic series: a level shift is reported once K samples in a row are outside the
 * interval (with the right times and distance); noise inside the interval, a single spike, and too
 * short a history are not.
 */
import { describe, expect, it } from 'vitest';
import { autoscale } from '../../src/autoscaler/index.js';
import { anomalyOf, anomalyState, checkMetric, otherMetrics } from '../../src/autoscaler/anomaly.js';
import { forecast } from '../../src/forecast/index.js';
import type { PlanAnomaly } from '../../src/model/plan.js';
import type { ObservedState } from '../../src/model/state.js';
import { METRIC_SOURCES, SP, T, data, onlyPolicy, policyFrom, series } from './builders.js';

const START = '2026-11-28T08:00:00Z';
const STEP = 60;

/** A deterministic noise in [−1, 1]. */
function noise(i: number): number {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return 2 * (x - Math.floor(x)) - 1;
}

/** `n` samples around 100 (±3), then `tail` as given. */
function withTail(n: number, tail: readonly number[]): number[] {
  return [...Array.from({ length: n }, (_, i) => 100 + 3 * noise(i)), ...tail];
}

const EMPTY: ObservedState = { nodes: [], instances: [], scalingHistory: [] };

function plan(values: readonly number[], spec = '', kind = 'metrics'): PlanAnomaly[] {
  const use = kind === 'metrics' ? 'metrics: [{metric: {source: h, series: load}, targetPerReplica: 100}]' : 'predictive: {metric: {source: h, series: load}, targetPerReplica: 100, horizon: 10m, lookback: 1d}';
  const policy = policyFrom([METRIC_SOURCES, SP('s', '{kind: Agent, name: a}', `min: 1\nmax: 10\n${use}${spec ? `\n${spec}` : ''}`)].join('\n---\n'));
  const pts = series(START, STEP, values);
  const now = new Date((pts[pts.length - 1]!.t + 1) * 1000).toISOString();
  return autoscale({ policy, observed: EMPTY, metrics: data({ load: pts }), now, forecast }).anomalies;
}

const at = (i: number) => new Date((T(START) + i * STEP) * 1000).toISOString().replace('.000Z', 'Z');

describe('anomalies: K consecutive samples outside the forecast interval', () => {
  it('a level shift is reported once 3 samples are out, from the first of them, with how far out', () => {
    expect(plan(withTail(60, [160, 161]))).toEqual([]);
    const [a, ...rest] = plan(withTail(60, [160, 161, 159]));
    expect(rest).toEqual([]);
    expect(a).toMatchObject({ policy: 's', target: { kind: 'Agent', name: 'a' }, source: 'h', series: 'load', metric: 'h/load', direction: 'above', from: at(60), at: at(62), samples: 3, level: 0.95, observed: 159 });
    expect(a!.points.map((p) => p.value)).toEqual([160, 161, 159]);
    expect(a!.upper).toBeLessThan(159);
    expect(a!.expected).toBeGreaterThan(95);
    expect(a!.expected).toBeLessThan(105);
    // Distance: in half-widths of the interval and in percent of the forecast.
    expect(a!.deviation).toBeCloseTo((159 - a!.expected) / (a!.upper - a!.expected), 0);
    expect(a!.deviation).toBeGreaterThan(3);
    expect(a!.deviationPercent).toBeCloseTo(((159 - a!.expected) / a!.expected) * 100, 0);
  });

  it('a shift that lasts is reported from its start while it lasts (within the backtested part of the history)', () => {
    for (const n of [5, 20, 30]) {
      const [a] = plan(withTail(90, Array.from({ length: n }, (_, i) => 160 + 3 * noise(200 + i))));
      expect(a, `${n} samples after the shift`).toMatchObject({ direction: 'above', at: at(90 + n - 1) });
      // From the shift (or a noisy sample or two before it that happened to be out as well).
      expect(T(a!.from)).toBeLessThanOrEqual(T(at(90)));
      expect(T(a!.from)).toBeGreaterThanOrEqual(T(at(88)));
      expect(a!.samples).toBe((T(a!.at) - T(a!.from)) / STEP + 1);
      expect(a!.points).toHaveLength(a!.samples);
    }
  });

  it('with the six hours of history fetched for the check, a shift sampled every minute is reported for its first hour', () => {
    const shifted = (n: number) => withTail(360 - n, Array.from({ length: n }, (_, i) => 160 + 3 * noise(300 + i)));
    for (const n of [20, 45, 60]) expect(plan(shifted(n))[0], `${n} minutes after the shift`).toMatchObject({ direction: 'above', at: at(359) });
    // Then it is the new normal.
    expect(plan(shifted(75))).toEqual([]);
  });

  it('a drop is reported below', () => {
    const [a] = plan(withTail(60, [40, 42, 41]));
    expect(a).toMatchObject({ direction: 'below', from: at(60), at: at(62), observed: 41 });
    expect(a!.deviation).toBeLessThan(-3);
    expect(a!.deviationPercent).toBeLessThan(-50);
  });

  it('noise within the interval, and a single spike, are no anomaly', () => {
    expect(plan(withTail(63, []))).toEqual([]);
    expect(plan(withTail(60, [300, 101, 99]))).toEqual([]);
    expect(plan(withTail(60, [101, 300, 99]))).toEqual([]);
    // Out on both sides is no level shift.
    expect(plan(withTail(60, [160, 40, 160]))).toEqual([]);
  });

  it('consecutive and level are configurable, and the check can be turned off', () => {
    expect(plan(withTail(60, [160, 161]), 'anomalies: {consecutive: 2}')).toHaveLength(1);
    expect(plan(withTail(60, [160, 161, 159]), 'anomalies: {consecutive: 4}')).toEqual([]);
    expect(plan(withTail(60, [160, 161, 159]), 'anomalies: {enabled: false}')).toEqual([]);
    const [a] = plan(withTail(60, [160, 161, 159]), 'anomalies: {level: 0.99}');
    expect(a!.level).toBe(0.99);
  });

  it('the predictive metric is checked with the predictive forecast', () => {
    const [a] = plan(withTail(60, [160, 161, 159]), '', 'predictive');
    expect(a).toMatchObject({ direction: 'above', from: at(60), at: at(62), observed: 159, series: 'load' });
    expect(plan(withTail(63, []), '', 'predictive')).toEqual([]);
  });

  it('a series that never varied is out as soon as it changes for K samples, beyond rounding noise', () => {
    const flat = (v: number) => Array.from({ length: 60 }, () => v);
    const [a, ...rest] = plan([...flat(100), 160, 161, 159]);
    expect(rest).toEqual([]);
    expect(a).toMatchObject({ direction: 'above', from: at(60), at: at(62), samples: 3, observed: 159, expected: 100 });
    // The narrowest interval: 0.1 % of the forecast either side.
    expect([a!.lower, a!.upper]).toEqual([99.9, 100.1]);
    expect(a!.deviation).toBeCloseTo(590, 0);
    // A queue that was empty all along: at least 0.001 wide, so one waiting item is out.
    const [q] = plan([...flat(0), 1, 2, 1]);
    expect(q).toMatchObject({ direction: 'above', observed: 1, expected: 0, lower: 0 });
    expect(q!.deviationPercent).toBeUndefined();
    // Unchanged, or changed by rounding noise only, or back after two samples: nothing.
    expect(plan(flat(100).concat([100, 100, 100]))).toEqual([]);
    expect(plan(flat(100).concat([100 + 1e-9, 100 - 1e-9, 100 + 1e-9]))).toEqual([]);
    expect(plan(flat(100).concat([160, 161, 100]))).toEqual([]);
    expect(plan([...flat(100), 40, 41, 39])[0]).toMatchObject({ direction: 'below', observed: 39 });
  });

  it('too short a history or a stale series give no anomaly', () => {
    expect(plan(withTail(8, [160, 161, 159]))).toEqual([]);
    const policy = policyFrom([METRIC_SOURCES, SP('s', '{kind: Agent, name: a}', 'min: 1\nmax: 10\nmetrics: [{metric: {source: h, series: load}, targetPerReplica: 100}]')].join('\n---\n'));
    const pts = series(START, STEP, withTail(60, [160, 161, 159]));
    expect(autoscale({ policy, observed: EMPTY, metrics: data({ load: pts }), now: new Date((pts[pts.length - 1]!.t + 3600) * 1000).toISOString(), forecast }).anomalies).toEqual([]);
  });

  it('each series is forecast once per plan, within the budget', () => {
    const policy = policyFrom([METRIC_SOURCES, SP('s', '{kind: Agent, name: a}', 'min: 1\nmax: 10\nmetrics: [{metric: {source: h, series: load}, targetPerReplica: 100}]\ntriggers: [{name: hot, metric: {source: h, series: load}, operator: gt, threshold: 1000, change: {by: 1}}, {name: q, metric: {source: h, series: q}, operator: gt, threshold: 1000, change: {by: 1}}]')].join('\n---\n'));
    const doc = onlyPolicy(policy);
    expect(otherMetrics(doc).map((r) => r.series)).toEqual(['load', 'q']);
    const pts = series(START, STEP, withTail(60, [160, 161, 159]));
    const t = pts[pts.length - 1]!.t + 1;
    let calls = 0;
    const counting: typeof forecast = (p, o) => (calls++, forecast(p, o));
    const state = anomalyState(1);
    const cfg = { enabled: true, consecutive: 3, level: 0.95 };
    expect(checkMetric(doc, { source: 'h', series: 'load' }, { points: pts }, t, counting, cfg, state)).toBeDefined();
    expect(checkMetric(doc, { source: 'h', series: 'load' }, { points: pts }, t, counting, cfg, state)).toBeDefined();
    expect(calls).toBe(1);
    expect(checkMetric(doc, { source: 'h', series: 'q' }, { points: pts }, t, counting, cfg, state)).toBeUndefined();
    expect(calls).toBe(1);
    expect(state.skipped.get('s')).toBe(1);
  });

  it('anomalyOf needs at least K points, every one out on the same side', () => {
    const doc = onlyPolicy(policyFrom([METRIC_SOURCES, SP('s', '{kind: Pool, name: p}', 'min: 1\nmax: 10')].join('\n---\n')));
    const p = (value: number) => ({ timestamp: '2026-11-28T10:00:00Z', value, expected: 10, lower: 8, upper: 12, deviation: (value - 10) / 2 });
    const ctx = { doc, ref: { source: 'h', series: 'x' }, model: 'ses' };
    expect(anomalyOf({ level: 0.95, points: [p(20), p(20), p(20)] }, 3, ctx)?.deviation).toBe(5);
    expect(anomalyOf({ level: 0.95, points: [p(20), p(20)] }, 3, ctx)).toBeUndefined();
    expect(anomalyOf({ level: 0.95, points: [p(20), p(11), p(20)] }, 3, ctx)).toBeUndefined();
    expect(anomalyOf({ level: 0.95, points: [p(11), p(20), p(20)] }, 2, ctx)).toBeUndefined();
    expect(anomalyOf({ level: 0.95, points: [p(20), p(20), p(20)] }, 2, ctx)?.samples).toBe(3);
    expect(anomalyOf({ level: 0.95, points: [{ ...p(20), deviation: NaN }, p(20)] }, 2, ctx)).toBeUndefined();
  });
});

describe('the forecaster\'s holdout', () => {
  it('forecasts the last points from the history before them only', () => {
    const pts = series(START, STEP, withTail(60, [160, 161, 159]));
    const r = forecast(pts, { horizonSeconds: 180, holdout: { points: 3, level: 0.9 } });
    expect(r.holdout?.level).toBe(0.9);
    expect(r.holdout?.points.map((p) => p.timestamp)).toEqual([at(60), at(61), at(62)]);
    expect(r.holdout?.points.map((p) => p.value)).toEqual([160, 161, 159]);
    for (const p of r.holdout!.points) {
      expect(p.expected).toBeLessThan(110);
      expect(p.upper).toBeGreaterThan(p.expected);
      expect(p.deviation).toBeGreaterThan(1);
    }
    // Without the shift, the same interval holds the noise.
    const calm = forecast(series(START, STEP, withTail(63, [])), { horizonSeconds: 180, holdout: { points: 3 } });
    expect(calm.holdout?.points.every((p) => p.value >= p.lower && p.value <= p.upper)).toBe(true);
    expect(forecast(series(START, STEP, withTail(6, [1, 2, 3])), { horizonSeconds: 180, holdout: { points: 3 } }).holdout).toBeUndefined();
    expect(forecast(pts, { horizonSeconds: 180 }).holdout).toBeUndefined();
  });
});

describe('the anomaly check budget', () => {
  it('says once, in a warning, how many series of how many policies went unchecked', async () => {
    const { anomalyBudgetWarning } = await import('../../src/autoscaler/anomaly.js');
    const state = anomalyState(0);
    expect(anomalyBudgetWarning(state)).toBeUndefined();
    state.skipped.set('a', 2).set('b', 1);
    expect(anomalyBudgetWarning(state, 200)).toEqual({ code: 'AnomalyCheckSkipped', message: '3 metric series of 2 ScalingPolicies were not checked for anomalies: a plan checks at most 200 series besides the predictive ones; set spec.anomalies.enabled: false on policies whose metrics need no check' });
  });

  it('planScaling turns the check off for callers that show no anomalies', async () => {
    const { planScaling } = await import('../../src/planner/autoscaling.js');
    const policy = policyFrom([METRIC_SOURCES, SP('s', '{kind: Agent, name: a}', 'min: 1\nmax: 10\nmetrics: [{metric: {source: h, series: load}, targetPerReplica: 100}]')].join('\n---\n'));
    const pts = series(START, STEP, withTail(60, [160, 161, 159]));
    const now = new Date((pts[pts.length - 1]!.t + 1) * 1000).toISOString();
    const input = { policy, observed: EMPTY, now, metrics: data({ load: pts }), forecast };
    expect(planScaling(input).anomalies).toHaveLength(1);
    expect(planScaling({ ...input, anomalies: false }).anomalies).toEqual([]);
  });
});
