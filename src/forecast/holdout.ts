/**
 * The holdout check: forecast the last k points of a series from the history before them, with the
 * model the forecast chose. The backtest already fitted that model on a prefix that ends before the
 * holdout (usually), so the check costs one more pass of its filter, not another fit; only errors
 * made before the holdout calibrate its interval, so the points checked never widen the interval
 * they are checked against.
 */
import type { ModelBacktest } from './backtest.js';
import { calibrationFactor, halfWidths } from './intervals.js';
import type { FittedModel, ForecastModel } from './models/index.js';
import type { RegularSeries } from './preprocess.js';
import type { ForecastHoldout, HoldoutPoint } from './types.js';

/** As forecast.ts's isoTime (not imported: forecast.ts imports this file). */
const isoTime = (t: number): string => new Date(Math.round(t * 1000)).toISOString().replace(/\.000Z$/, 'Z');

/** Points of history the holdout forecast needs at least (as a backtest does). */
export const MIN_HOLDOUT_HISTORY = 8;

export interface HoldoutInput {
  series: RegularSeries;
  model: ForecastModel;
  /** The model's backtest, when it ran: its fit is reused if it predates the holdout. */
  run?: ModelBacktest | undefined;
  origins: readonly number[];
  points: number;
  level: number;
}

/** The holdout forecast, or undefined when it cannot be made honestly (too little history, a gap in the holdout). */
export function holdoutForecast(a: HoldoutInput): ForecastHoldout | undefined {
  const { series } = a;
  const n = series.values.length;
  const k = Math.floor(a.points);
  const end = n - k;
  if (!(k >= 1) || end < MIN_HOLDOUT_HISTORY || series.step <= 0) return undefined;
  // A filled gap is no observation: it cannot be out of anything.
  for (let i = end; i < n; i++) if (series.filled[i]) return undefined;
  let fitted: FittedModel;
  let calibration = 1;
  const fitEnd = a.origins[0];
  if (a.run && fitEnd !== undefined && fitEnd <= end) {
    fitted = a.run.fitted;
    const h = Math.min(k, a.run.errors[0]?.length ?? 0);
    if (h > 0) calibration = calibrationFactor(fitted, a.run.errors, h, a.level, (o, j) => a.origins[o]! + j < end);
  } else {
    // The combination's "fit" is its members' backtest fit, which saw the holdout here.
    if (a.model.minPoints > end || a.model.family === 'combination') return undefined;
    fitted = a.model.fit(series.clean, end);
  }
  const fc = fitted.forecast([end], k)[0]!;
  const half = halfWidths(fitted, k, a.level, calibration);
  const floor = series.nonNegative ? 0 : -Infinity;
  const points: HoldoutPoint[] = [];
  for (let j = 0; j < k; j++) {
    const v = fc[j]!;
    const w = half[j]!;
    if (!Number.isFinite(v)) return undefined;
    const value = series.values[end + j]!;
    const width = Number.isFinite(w) && w > 0 ? w : 0;
    points.push({
      timestamp: isoTime(series.t0 + (end + j) * series.step),
      value,
      expected: Math.max(floor, v),
      lower: Math.max(floor, v - width),
      upper: Math.max(floor, v + width),
      deviation: width > 0 ? (value - v) / width : NaN,
    });
  }
  return { level: a.level, points };
}
