/** Holt-Winters with a damped trend, ETS(A,Ad,A) and ETS(A,Ad,M): level, trend and one seasonal cycle. */
import { fitEts } from './ets.js';
import type { ForecastModel } from './types.js';

export function holtWinters(period: number, seasonName: string, kind: 'additive' | 'multiplicative' = 'additive'): ForecastModel {
  const family = kind === 'additive' ? 'holt-winters' : 'holt-winters-multiplicative';
  return {
    name: `${family}(season=${seasonName})`,
    family,
    // Two cycles to initialise the season and trend, and at least one more to learn from.
    minPoints: 3 * period,
    fit: (y, end) => fitEts(y, end, { trend: true, season: kind, period }),
  };
}
