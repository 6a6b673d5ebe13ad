import { describe, expect, it } from 'vitest';
import { ForecastInputError, SAFE_RECOMMENDATION, forecast } from '../../src/forecast/index.js';
import type { ForecastResult, SeriesPoint } from '../../src/forecast/index.js';
import { STEP, T0, gaussian, series } from './builders.js';

const H = { horizonSeconds: 3600 };
const g = gaussian(11);
const noisy = series(600, () => 50 + g());

function expectSane(r: ForecastResult): void {
  expect(r.points.length).toBeGreaterThan(0);
  for (const p of r.points) {
    for (const v of [p.value, p.lower, p.upper]) expect(Number.isFinite(v)).toBe(true);
    expect(p.lower).toBeLessThanOrEqual(p.value);
    expect(p.upper).toBeGreaterThanOrEqual(p.value);
  }
  for (const b of r.backtest) expect(Number.isNaN(b.mase) || Number.isNaN(b.wape)).toBe(false);
}

describe('bad input: no usable points is a clear error with a safe recommendation', () => {
  it.each([
    { name: 'empty', points: [] as SeriesPoint[], message: /series is empty/ },
    { name: 'all NaN', points: [{ t: T0, v: NaN }, { t: T0 + STEP, v: NaN }], message: /all 2 points .* NaN or infinite/ },
    { name: 'all infinite', points: [{ t: T0, v: Infinity }], message: /NaN or infinite/ },
    { name: 'nothing before --at', points: series(10, () => 1), at: T0 - 1, message: /no points before 2025-11-24T15:59:59Z/, hint: 'choose a later --at time' },
  ])('$name', ({ points, at, message, hint }) => {
    const run = () => forecast(points, { ...H, ...(at !== undefined ? { at } : {}) });
    expect(run).toThrow(ForecastInputError);
    expect(run).toThrow(message);
    try {
      run();
    } catch (e) {
      expect((e as ForecastInputError).hint).toBe(hint ?? SAFE_RECOMMENDATION);
    }
  });

  it.each([
    { name: 'horizon 0', opts: { horizonSeconds: 0 }, message: /horizon must be a positive duration/ },
    { name: 'horizon NaN', opts: { horizonSeconds: NaN }, message: /horizon must be a positive duration/ },
    { name: 'level 1', opts: { ...H, level: 1 }, message: /level must be between 0 and 1/ },
    { name: 'unknown model', opts: { ...H, model: 'prophet' }, message: /model 'prophet' cannot forecast this series/ },
  ])('bad options: $name', ({ opts, message }) => {
    expect(() => forecast(noisy, opts)).toThrow(message);
  });
});

describe('bad input that can still be forecast: repaired, with a warning', () => {
  it('1 point: repeats it with a zero-width interval and says why', () => {
    const r = forecast([{ t: T0, v: 7 }], H);
    expect(r.model).toBe('naive');
    expect(r.points).toEqual([{ timestamp: '2025-11-24T17:00:00Z', value: 7, lower: 7, upper: 7 }]);
    expect(r.warnings.join()).toMatch(/only 1 point of history/);
  });

  it('2 points: a forecast, and a warning that the history is short', () => {
    const r = forecast(series(2, (i) => 10 + i), H);
    expectSane(r);
    expect(r.points).toHaveLength(12);
    expect(r.warnings.join()).toMatch(/too little history to backtest/);
  });

  it('a constant series: a flat forecast, a zero-width interval, MASE 0 and no NaN', () => {
    const r = forecast(series(500, () => 3), H);
    expectSane(r);
    for (const p of r.points) expect(p).toMatchObject({ value: 3, lower: 3, upper: 3 });
    expect(r.backtest.every((b) => b.mase === 0 && b.wape === 0)).toBe(true);
  });

  it('a constant zero series: no NaN from dividing by zero', () => {
    const r = forecast(series(200, () => 0), H);
    expectSane(r);
    expect(r.points.every((p) => p.value === 0)).toBe(true);
  });

  it('NaN and Inf values are dropped with a warning', () => {
    const pts = noisy.map((p, i) => (i % 50 === 7 ? { ...p, v: i % 100 === 7 ? NaN : Infinity } : p));
    const r = forecast(pts, H);
    expectSane(r);
    expect(r.warnings.join()).toMatch(/dropped 12 point\(s\) whose timestamp or value is NaN or infinite/);
  });

  it('out-of-order points are sorted: the same forecast as sorted input', () => {
    const shuffled = [...noisy].reverse();
    const r = forecast(shuffled, H);
    expect(r.warnings.join()).toMatch(/sorted the series: 599 point\(s\) were out of time order/);
    expect(r.points).toEqual(forecast(noisy, H).points);
  });

  it('duplicate timestamps are merged by their mean', () => {
    const pts = [...series(100, () => 10), { t: T0 + 99 * STEP, v: 30 }];
    const r = forecast(pts, { ...H, model: 'naive' });
    expect(r.warnings.join()).toMatch(/merged 1 duplicate timestamp\(s\) by their mean/);
    expect(r.points[0]!.value).toBe(20);
  });

  it('a big gap is filled and reported', () => {
    const pts = noisy.filter((_, i) => i < 200 || i >= 300);
    const r = forecast(pts, H);
    expectSane(r);
    expect(r.step).toBe(STEP);
    expect(r.warnings.join()).toMatch(/filled 1 gap\(s\) in the series \(longest 8h20m, 100 missing point\(s\)\)/);
  });

  it('a spike is clipped before fitting: the forecast does not chase it', () => {
    const pts = noisy.map((p, i) => (i === 590 ? { ...p, v: 5000 } : p));
    const r = forecast(pts, H);
    expect(r.warnings.join()).toMatch(/clipped 1 outlier/);
    for (const p of r.points) expect(Math.abs(p.value - 50)).toBeLessThan(3);
  });

  it('irregular sampling is resampled onto the median step', () => {
    const u = gaussian(2);
    const pts = series(400, () => 20 + u()).map((p, i) => ({ ...p, t: p.t + (i % 3 === 0 ? 40 : 0) }));
    const r = forecast(pts, H);
    expectSane(r);
    expect(r.step).toBe(STEP);
    expect(r.warnings.join()).toMatch(/irregular sampling: resampled onto the median step of 5m/);
  });

  it('a non-negative series never gets a negative forecast or bound', () => {
    const u = gaussian(4);
    const r = forecast(series(300, () => Math.max(0, 0.5 + u())), H);
    for (const p of r.points) expect(p.lower).toBeGreaterThanOrEqual(0);
  });

  it('a horizon shorter than the step forecasts one step, with a warning', () => {
    const r = forecast(noisy, { horizonSeconds: 60 });
    expect(r.points).toHaveLength(1);
    expect(r.warnings.join()).toMatch(/shorter than the series' step/);
  });
});

describe('gap filling', () => {
  it('a long gap in a daily series is filled from the previous day, not by a straight line', async () => {
    const { prepare } = await import('../../src/forecast/forecast.js');
    const { daily, DAY_STEPS } = await import('./builders.js');
    const truth = series(4 * DAY_STEPS, (i) => 100 + daily(i));
    const gap = truth.filter((_, i) => i < 3 * DAY_STEPS || i >= 3 * DAY_STEPS + 72); // 6 hours missing
    const { series: s, seasons } = prepare(gap);
    expect(seasons.map((x) => x.name)).toEqual(['1d']);
    expect(s.warnings.join()).toMatch(/filled 1 gap\(s\) in the series \(longest 6h, 72 missing point\(s\)\), 1 from the previous season/);
    for (let i = 3 * DAY_STEPS; i < 3 * DAY_STEPS + 72; i++) expect(Math.abs(s.values[i]! - truth[i]!.v)).toBeLessThan(1e-6);
  });
});
