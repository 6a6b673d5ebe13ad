/** The candidate models for a series, in order of simplicity (ties in the backtest go to the simpler). */
import type { Season } from '../seasonality.js';
import { decomposition } from './decomposition.js';
import { drift } from './drift.js';
import { holtDamped } from './holt.js';
import { holtWinters } from './holt-winters.js';
import { seasonalNaive } from './seasonal-naive.js';
import { ses } from './ses.js';
import type { ForecastModel } from './types.js';

export type { ForecastModel, FittedModel } from './types.js';
export { seasonalNaive } from './seasonal-naive.js';
export { drift } from './drift.js';
export { ses } from './ses.js';
export { holtDamped } from './holt.js';
export { holtWinters } from './holt-winters.js';
export { decomposition, seasonalProfile } from './decomposition.js';

/**
 * Every model worth trying given the detected seasons; `positive` allows the multiplicative season.
 * `tentative` cycles (plausible but not detected) get only the cheap seasonal-naive: the backtest decides.
 */
export function candidateModels(seasons: readonly Season[], positive: boolean, tentative: readonly Season[] = []): ForecastModel[] {
  const models: ForecastModel[] = [seasonalNaive(1)];
  for (const s of [...seasons, ...tentative].sort((a, b) => a.period - b.period)) models.push(seasonalNaive(s.period, s.name));
  models.push(drift(), ses(), holtDamped());
  // Decomposition on the shortest cycle, detected or plausible: it averages a week of cycles, so a weak one costs little.
  const shortest = [...seasons, ...tentative].sort((a, b) => a.period - b.period)[0];
  if (shortest) models.push(decomposition(shortest.period, shortest.name));
  // Holt-Winters on the shortest detected cycle only: a weekly season of 5-minute steps has 2,016 states to learn.
  const primary = seasons[0];
  if (primary) {
    models.push(holtWinters(primary.period, primary.name, 'additive'));
    if (positive) models.push(holtWinters(primary.period, primary.name, 'multiplicative'));
  }
  return models;
}
