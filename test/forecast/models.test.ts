import { describe, expect, it } from 'vitest';
import { drift, holtDamped, holtWinters, seasonalNaive, ses } from '../../src/forecast/models/index.js';
import type { ForecastModel } from '../../src/forecast/models/index.js';
import { DAY_STEPS, daily, gaussian } from './builders.js';

const arr = (n: number, f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));

/** Forecast h steps after y with the model fitted on all of y. */
function predict(model: ForecastModel, y: Float64Array, h: number): number[] {
  return [...model.fit(y, y.length).forecast([y.length], h)[0]!];
}

describe('models on series with known answers', () => {
  const noise = gaussian(7);
  const cases: { name: string; model: ForecastModel; y: Float64Array; h: number; want: (j: number) => number; tol: number }[] = [
    { name: 'naive repeats the last value', model: seasonalNaive(1), y: arr(50, (i) => i % 5), h: 3, want: () => 49 % 5, tol: 0 },
    { name: 'seasonal naive repeats the last season', model: seasonalNaive(24, '2h'), y: arr(96, (i) => (i % 24) * 2), h: 30, want: (j) => ((96 + j) % 24) * 2, tol: 0 },
    { name: 'drift extends a straight line exactly', model: drift(), y: arr(100, (i) => 10 + 0.5 * i), h: 12, want: (j) => 10 + 0.5 * (100 + j), tol: 1e-9 },
    { name: 'ses on a constant stays constant', model: ses(), y: arr(60, () => 42), h: 5, want: () => 42, tol: 1e-9 },
    { name: 'ses on noise around a level forecasts the level', model: ses(), y: arr(500, () => 100 + noise()), h: 5, want: () => 100, tol: 0.5 },
    // Damping (phi ≤ 0.98) bends the line a little: within 1.5 of a slope-2 line after 6 steps.
    { name: 'damped holt follows a linear trend closely at short horizons', model: holtDamped(), y: arr(300, (i) => 5 + 2 * i), h: 6, want: (j) => 5 + 2 * (300 + j), tol: 1.5 },
    { name: 'holt-winters learns a pure daily season', model: holtWinters(DAY_STEPS, '1d'), y: arr(4 * DAY_STEPS, (i) => 100 + daily(i)), h: 24, want: (j) => 100 + daily(4 * DAY_STEPS + j), tol: 0.5 },
    { name: 'holt-winters learns a season on a trend', model: holtWinters(48, '4h'), y: arr(10 * 48, (i) => 50 + 0.1 * i + daily(i, 10, 48)), h: 12, want: (j) => 50 + 0.1 * (480 + j) + daily(480 + j, 10, 48), tol: 1 },
    { name: 'multiplicative holt-winters learns a season that scales with the level', model: holtWinters(48, '4h', 'multiplicative'), y: arr(10 * 48, (i) => 100 * (1 + 0.3 * Math.sin((2 * Math.PI * i) / 48))), h: 12, want: (j) => 100 * (1 + 0.3 * Math.sin((2 * Math.PI * (480 + j)) / 48)), tol: 1 },
  ];
  it.each(cases)('$name', ({ model, y, h, want, tol }) => {
    const f = predict(model, y, h);
    expect(f).toHaveLength(h);
    f.forEach((v, j) => expect(Math.abs(v - want(j))).toBeLessThanOrEqual(tol));
  });

  it('forecasts from earlier origins use only the history before them', () => {
    const y = arr(200, (i) => (i < 150 ? 10 : 1000));
    const fitted = seasonalNaive(1).fit(y, 100);
    expect([...fitted.forecast([120], 3)[0]!]).toEqual([10, 10, 10]);
  });

  it('variance grows with the horizon for every model', () => {
    const y = arr(4 * 48, (i) => 100 + daily(i, 10, 48) + noise());
    for (const m of [seasonalNaive(1), seasonalNaive(48, '4h'), drift(), ses(), holtDamped(), holtWinters(48, '4h')]) {
      const vf = m.fit(y, y.length).varianceFactors(60);
      expect(vf[0]!).toBeCloseTo(1, 1);
      for (let j = 1; j < vf.length; j++) expect(vf[j]!).toBeGreaterThanOrEqual(vf[j - 1]!);
    }
  });
});

describe('decomposition (moving-average trend, averaged seasonal profile, damped Holt)', () => {
  it('the seasonal profile of a cycle on a trend is the cycle', async () => {
    const { seasonalProfile } = await import('../../src/forecast/models/index.js');
    for (const m of [24, 25]) {
      const y = arr(6 * m, (i) => 3 * i + daily(i, 10, m));
      const p = seasonalProfile(y, y.length, m);
      for (let ph = 0; ph < m; ph++) expect(p[ph]!).toBeCloseTo(daily(ph, 10, m), 0);
    }
  });

  it('forecasts a noisy cycle better than the last cycle does', async () => {
    const { decomposition } = await import('../../src/forecast/models/index.js');
    const g = gaussian(17);
    const truth = (i: number) => 100 + daily(i, 20, 48);
    const y = arr(10 * 48, (i) => truth(i) + 3 * g());
    const f = predict(decomposition(48, '4h'), y, 24);
    const sn = predict(seasonalNaive(48, '4h'), y, 24);
    const mae = (xs: number[]) => xs.reduce((s, v, j) => s + Math.abs(v - truth(480 + j)), 0) / xs.length;
    expect(mae(f)).toBeLessThan(mae(sn));
    expect(mae(f)).toBeLessThan(2);
  });
});
