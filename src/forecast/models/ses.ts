/** Simple exponential smoothing, ETS(A,N,N): a level that follows the data at rate alpha. */
import { fitEts } from './ets.js';
import type { ForecastModel } from './types.js';

export function ses(): ForecastModel {
  return { name: 'ses', family: 'ses', minPoints: 4, fit: (y, end) => fitEts(y, end, { trend: false, season: 'none', period: 1 }) };
}
