import { describe, expect, it } from 'vitest';
import { DAY, WEEK, detectSeasonality } from '../../src/forecast/seasonality.js';
import { DAY_STEPS, daily, gaussian, prng } from './builders.js';

const arr = (n: number, f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));

describe('detectSeasonality (5-minute steps)', () => {
  const g = gaussian(3);
  const u = prng(5);
  let walk = 0;
  const randomWalk = arr(14 * DAY_STEPS, () => (walk += g()));
  const cases: { name: string; y: Float64Array; want: string[] }[] = [
    { name: 'a daily sine with noise is daily', y: arr(4 * DAY_STEPS, (i) => 100 + daily(i) + 5 * g()), want: ['1d'] },
    { name: 'a daily sine on a trend is daily', y: arr(4 * DAY_STEPS, (i) => 100 + 0.05 * i + daily(i)), want: ['1d'] },
    { name: 'a daily shape with quiet weekends is daily and weekly', y: arr(14 * DAY_STEPS, (i) => 100 + daily(i) * (Math.floor(i / DAY_STEPS) % 7 >= 5 ? 0.2 : 1) - (Math.floor(i / DAY_STEPS) % 7 >= 5 ? 50 : 0) + 3 * g()), want: ['1d', '1w'] },
    { name: 'a pure daily cycle is not also weekly', y: arr(14 * DAY_STEPS, (i) => 100 + daily(i) + g()), want: ['1d'] },
    { name: 'white noise has no cycle', y: arr(14 * DAY_STEPS, () => u()), want: [] },
    { name: 'a random walk has no cycle', y: randomWalk, want: [] },
    { name: 'a straight line has no cycle', y: arr(4 * DAY_STEPS, (i) => i), want: [] },
    { name: 'a constant has no cycle', y: arr(4 * DAY_STEPS, () => 7), want: [] },
    { name: 'less than two days cannot show a daily cycle', y: arr(DAY_STEPS + 100, (i) => daily(i)), want: [] },
  ];
  it.each(cases)('$name', ({ y, want }) => {
    expect(detectSeasonality(y, 300).map((s) => s.name)).toEqual(want);
  });

  it('reports the period in steps for the given step', () => {
    const y = arr(3 * 1440, (i) => Math.sin((2 * Math.PI * i) / 1440));
    expect(detectSeasonality(y, 60)).toMatchObject([{ period: 1440, seconds: DAY, name: '1d' }]);
    expect(detectSeasonality(y, 60, [WEEK])).toEqual([]);
  });
});
