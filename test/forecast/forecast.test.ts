import { describe, expect, it } from 'vitest';
import { forecast, forecastJson } from '../../src/forecast/index.js';
import { DAY_STEPS, STEP, T0, daily, gaussian, series } from './builders.js';

const HOUR = 3600;

describe('automatic model choice picks the right family', () => {
  const cases = [
    { name: 'daily cycle with noise → a seasonal model', n: 5 * DAY_STEPS, f: (g: () => number) => (i: number) => 100 + daily(i) + 3 * g(), want: /^(holt-winters|seasonal-naive|decomposition|combination)/ },
    { name: 'straight line → a trend model', n: 600, f: () => (i: number) => 10 + 0.7 * i, want: /^(drift|holt-damped)$/ },
    { name: 'noise around a level → smoothing, not the last value', n: 800, f: (g: () => number) => () => 50 + 5 * g(), want: /^(ses|holt-damped)$/ },
    { name: 'a random walk → a level model (naive or smoothing)', n: 800, f: (g: () => number) => { let w = 100; return () => (w += g()); }, want: /^(naive|ses|holt-damped|drift)$/ },
  ];
  it.each(cases)('$name', ({ n, f, want }) => {
    const r = forecast(series(n, f(gaussian(21))), { horizonSeconds: HOUR });
    expect(r.model).toMatch(want);
    expect(r.backtest[0]!.model).toBe(r.model);
    expect(r.backtest.map((b) => b.mase)).toEqual([...r.backtest.map((b) => b.mase)].sort((a, b) => a - b));
  });

  it('a seasonal series: the chosen model beats seasonal-naive (MASE < 1) and names its season', () => {
    const g = gaussian(5);
    const r = forecast(series(6 * DAY_STEPS, (i) => 100 + daily(i) + 4 * g()), { horizonSeconds: HOUR });
    expect(r.seasons).toEqual(['1d']);
    expect(r.model).toBe('holt-winters(season=1d)');
    const snaive = r.backtest.find((b) => b.model === 'seasonal-naive(1d)')!;
    expect(r.backtest[0]!.mase).toBeLessThan(snaive.mase);
    expect(r.backtest[0]!.mase).toBeLessThan(1);
  });

  it('a model can be forced by name or family', () => {
    const pts = series(5 * DAY_STEPS, (i) => 100 + daily(i));
    expect(forecast(pts, { horizonSeconds: HOUR, model: 'drift' }).model).toBe('drift');
    expect(forecast(pts, { horizonSeconds: HOUR, model: 'holt-winters' }).model).toBe('holt-winters(season=1d)');
  });
});

describe('the forecast', () => {
  const g = gaussian(9);
  const pts = series(5 * DAY_STEPS, (i) => 100 + daily(i) + 2 * g());

  it('has one point per step over the horizon, after the origin', () => {
    const r = forecast(pts, { horizonSeconds: HOUR });
    expect(r.step).toBe(STEP);
    expect(r.origin).toBe(new Date((T0 + (pts.length - 1) * STEP) * 1000).toISOString().replace('.000Z', 'Z'));
    expect(r.points).toHaveLength(12);
    expect(r.points[0]!.timestamp).toBe(new Date((T0 + pts.length * STEP) * 1000).toISOString().replace('.000Z', 'Z'));
  });

  it('--at forecasts from that moment with only the history before it', () => {
    const at = T0 + 4 * DAY_STEPS * STEP + 150; // between two samples
    const r = forecast(pts, { horizonSeconds: HOUR, at });
    const truncated = forecast(pts.filter((p) => p.t < at), { horizonSeconds: HOUR, at });
    expect(r).toEqual(truncated);
    expect(r.origin).toBe(new Date(at * 1000).toISOString().replace('.000Z', 'Z'));
    expect(Date.parse(r.points[0]!.timestamp) / 1000).toBe(T0 + 4 * DAY_STEPS * STEP + STEP);
    expect(r.points).toHaveLength(12);
    // The future after --at was not used: it looks like the truth, within the interval.
    const truth = new Map(pts.map((p) => [p.t, p.v]));
    const inside = r.points.filter((p) => { const v = truth.get(Date.parse(p.timestamp) / 1000)!; return v >= p.lower && v <= p.upper; });
    expect(inside.length).toBeGreaterThanOrEqual(10);
  });

  it('is deterministic: the same input gives the same JSON, byte for byte', () => {
    expect(forecastJson(forecast(pts, { horizonSeconds: HOUR }))).toBe(forecastJson(forecast([...pts], { horizonSeconds: HOUR })));
  });

  it('JSON has the SPEC §7 fields in order', () => {
    const doc = JSON.parse(forecastJson(forecast(pts, { horizonSeconds: 600, series: 'requests' })));
    expect(Object.keys(doc)).toEqual(['series', 'model', 'step', 'origin', 'points', 'backtest', 'warnings']);
    expect(Object.keys(doc.points[0])).toEqual(['timestamp', 'value', 'lower', 'upper']);
    expect(Object.keys(doc.backtest[0])).toEqual(['model', 'mase', 'wape']);
  });
});

describe('prediction intervals cover about 95 % on synthetic data', () => {
  // Hourly cycle at 5-minute steps (12 steps) so the test is quick; the check is over many origins.
  const cases = [
    { name: 'level + noise', f: (g: () => number) => () => 20 + g() },
    { name: 'cycle + noise', f: (g: () => number) => (i: number) => 50 + 10 * Math.sin((2 * Math.PI * i) / 12) + 2 * g() },
    { name: 'trend + noise', f: (g: () => number) => (i: number) => 5 + 0.05 * i + g() },
  ];
  it.each(cases)('$name', ({ f }) => {
    const pts = series(1200, f(gaussian(99)));
    let hits = 0;
    let total = 0;
    for (let k = 0; k < 40; k++) {
      const at = T0 + (600 + k * 14) * STEP;
      const r = forecast(pts, { horizonSeconds: HOUR, at, seasonPeriods: [HOUR] });
      const truth = new Map(pts.map((p) => [p.t, p.v]));
      for (const p of r.points) {
        const v = truth.get(Date.parse(p.timestamp) / 1000)!;
        total++;
        if (v >= p.lower && v <= p.upper) hits++;
      }
    }
    expect(hits / total).toBeGreaterThan(0.88);
    expect(hits / total).toBeLessThan(0.995);
  });
});

describe('latency', () => {
  it('forecasts a 4,032-point series (14 days of 5-minute samples, daily cycle) fast', () => {
    const g = gaussian(1);
    const pts = series(4032, (i) => 100 + daily(i) + 0.01 * i + 3 * g());
    forecast(pts, { horizonSeconds: HOUR }); // warm up the JIT
    const times: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t = performance.now();
      forecast(pts, { horizonSeconds: HOUR });
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    // The goal is ≤ 50 ms (bench/forecast.mjs measures it); the test allows for a loaded CI machine.
    expect(times[0]!).toBeLessThan(250);
  });
});
