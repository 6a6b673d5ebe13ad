import { describe, expect, it } from 'vitest';
import { backtestModel, backtestOrigins, maseScale, naiveErrorSums, scaledError, wapeOf } from '../../src/forecast/backtest.js';
import type { ForecastModel } from '../../src/forecast/models/index.js';

/** A model that always forecasts `c`: its errors are easy to compute by hand. */
const constant = (c: number): ForecastModel => ({
  name: `constant(${c})`,
  family: 'constant',
  minPoints: 1,
  fit: () => ({ sigma: 0, params: {}, forecast: (origins, h) => origins.map(() => new Float64Array(h).fill(c)), varianceFactors: (h) => new Float64Array(h).fill(1) }),
});

describe('backtest metrics, computed by hand', () => {
  // y = 0 2 0 2 0 2 4 4: in-sample naive MAE of the first 6 points = (2+2+2+2+2)/5 = 2.
  const y = Float64Array.of(0, 2, 0, 2, 0, 2, 4, 4);
  const sums = naiveErrorSums(y, 1);

  it('MASE scale is the in-sample naive MAE of the history before the origin', () => {
    expect(maseScale(sums, 6, 1)).toBe(2);
    expect(maseScale(naiveErrorSums(y, 2), 6, 2)).toBe(0); // a period-2 season is perfectly repeated
  });

  it('scores one origin: errors 4−1 and 4−1 → MAE 3, MASE 3/2, WAPE 6/8', () => {
    const r = backtestModel(constant(1), y, { actual: y, observed: () => true, origins: [6], h: 2, m: 1, sums });
    expect(r.score).toEqual({ model: 'constant(1)', mase: 1.5, wape: 0.75 });
    expect([...r.errors[0]!]).toEqual([3, 3]);
  });

  it('averages MASE over origins and pools WAPE', () => {
    // origin 5: actual 2,4 → errors 1,3 (MAE 2, scale 2 → 1); origin 6: actual 4,4 → errors 3,3 (MASE 1.5).
    const r = backtestModel(constant(1), y, { actual: y, observed: () => true, origins: [5, 6], h: 2, m: 1, sums });
    expect(r.score.mase).toBeCloseTo(1.25, 12);
    expect(r.score.wape).toBeCloseTo((1 + 3 + 3 + 3) / (2 + 4 + 4 + 4), 12);
  });

  it('does not score points that were filled in', () => {
    const r = backtestModel(constant(1), y, { actual: y, observed: (i) => i !== 7, origins: [6], h: 2, m: 1, sums });
    expect(r.score).toEqual({ model: 'constant(1)', mase: 1.5, wape: 0.75 });
    expect(Number.isNaN(r.errors[0]![1]!)).toBe(true);
  });

  it.each([
    { name: 'usual', mae: 3, scale: 2, level: 10, want: 1.5 },
    { name: 'perfect forecast of a perfectly naive series', mae: 0, scale: 0, level: 10, want: 0 },
    { name: 'error on a perfectly naive series is scaled by the level', mae: 1, scale: 0, level: 10, want: 0.1 },
  ])('scaledError: $name', ({ mae, scale, level, want }) => expect(scaledError(mae, scale, level)).toBe(want));

  it.each([
    { absErr: 1, absActual: 4, want: 0.25 },
    { absErr: 0, absActual: 0, want: 0 },
    { absErr: 2, absActual: 0, want: 1 },
  ])('wapeOf($absErr, $absActual) = $want', ({ absErr, absActual, want }) => expect(wapeOf(absErr, absActual)).toBe(want));
});

describe('backtestOrigins', () => {
  it.each([
    { n: 100, h: 10, minTrain: 20, count: 3, want: [70, 80, 90] },
    { n: 100, h: 10, minTrain: 85, count: 3, want: [85, 88, 90] },
    { n: 100, h: 10, minTrain: 95, count: 3, want: [] },
    { n: 30, h: 5, minTrain: 8, count: 1, want: [25] },
  ])('n=$n h=$h minTrain=$minTrain → $want', ({ n, h, minTrain, count, want }) => {
    expect(backtestOrigins(n, h, minTrain, count)).toEqual(want);
  });

  it('spreads 24 origins over the last fifth of a long series, the last one h before the end', () => {
    const o = backtestOrigins(4032, 12, 577);
    expect(o).toHaveLength(24);
    expect(o[o.length - 1]).toBe(4020);
    expect(o[0]).toBe(4020 - 806);
  });
});

describe('combination', () => {
  it('its errors are the mean of its members’ errors', async () => {
    const { combineErrors, combineFitted } = await import('../../src/forecast/models/combination.js');
    expect(combineErrors([[Float64Array.of(1, 2)], [Float64Array.of(3, NaN)]]).map((e) => [...e])).toEqual([[2, NaN]]);
    const c = (v: number, sigma: number) => ({ sigma, params: {}, forecast: (o: readonly number[], h: number) => o.map(() => new Float64Array(h).fill(v)), varianceFactors: (h: number) => Float64Array.from({ length: h }, (_, j) => j + 1) });
    const f = combineFitted([c(10, 1), c(20, 3)]);
    expect([...f.forecast([0], 2)[0]!]).toEqual([15, 15]);
    expect(f.sigma).toBeCloseTo(Math.sqrt(5), 12);
    expect([...f.varianceFactors(2)]).toEqual([1, 2]);
  });
});
