/** Holt's linear trend, damped, ETS(A,Ad,N): a level and a trend that flattens out over the horizon. */
import { fitEts } from './ets.js';
import type { ForecastModel } from './types.js';

export function holtDamped(): ForecastModel {
  return { name: 'holt-damped', family: 'holt-damped', minPoints: 10, fit: (y, end) => fitEts(y, end, { trend: true, season: 'none', period: 1 }) };
}
