/**
 * Rolling-origin backtest: fit each model on the history before the first origin, then forecast
 * `h` steps from several origins over the last part of the series and score against what happened.
 */
import type { ForecastModel, FittedModel } from './models/types.js';
import type { BacktestScore } from './types.js';

export const DEFAULT_ORIGINS = 24;

/** Origins (indexes: the history is y[0..origin)) spread over the last fifth of the series, latest last; [] if too short. */
export function backtestOrigins(n: number, h: number, minTrain: number, count = DEFAULT_ORIGINS): number[] {
  const last = n - h;
  if (last < minTrain) return [];
  const span = Math.max(Math.ceil((h * count) / 2), Math.floor(n / 5));
  const first = Math.max(minTrain, last - span);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const o = count === 1 ? last : Math.round(first + ((last - first) * i) / (count - 1));
    if (out[out.length - 1] !== o) out.push(o);
  }
  return out;
}

/** Prefix sums of |y[t] − y[t−m]| so the MASE scale of any prefix is O(1). */
export function naiveErrorSums(y: ArrayLike<number>, m: number): Float64Array {
  const c = new Float64Array(y.length + 1);
  for (let t = 0; t < y.length; t++) c[t + 1] = c[t]! + (t >= m ? Math.abs(y[t]! - y[t - m]!) : 0);
  return c;
}

/** In-sample MAE of the seasonal-naive forecast on y[0..end): the MASE denominator. */
export function maseScale(sums: Float64Array, end: number, m: number): number {
  return end > m ? sums[end]! / (end - m) : 0;
}

/** MAE over a scale, with a defined answer when the scale is 0 (a series the naive forecast gets exactly right). */
export function scaledError(mae: number, scale: number, level: number): number {
  if (scale > 0) return mae / scale;
  if (mae === 0) return 0;
  return mae / (Math.abs(level) || 1);
}

/** Σ|error| / Σ|actual|, 0 when both are 0 and 1 when only the actuals are 0. */
export function wapeOf(absErr: number, absActual: number): number {
  if (absActual > 0) return absErr / absActual;
  return absErr === 0 ? 0 : 1;
}

export interface ModelBacktest {
  score: BacktestScore;
  /** The model's fit on the history before the first origin. */
  fitted: FittedModel;
  /** errors[o][j]: actual − forecast at origin o, step j+1 (NaN where the actual was a filled gap). */
  errors: Float64Array[];
}

export interface BacktestContext {
  /** What is scored against (gaps filled, outliers kept). */
  actual: Float64Array;
  /** False where actual[i] was filled in, not observed: not scored. */
  observed: (i: number) => boolean;
  origins: readonly number[];
  h: number;
  /** The MASE season and the prefix sums of its naive errors. */
  m: number;
  sums: Float64Array;
}

/** Score a model from its errors (actual − forecast per origin and step; NaN where not scored). */
export function scoreErrors(name: string, errors: readonly Float64Array[], ctx: BacktestContext): BacktestScore {
  let maseSum = 0;
  let absErr = 0;
  let absActual = 0;
  ctx.origins.forEach((o, k) => {
    const e = errors[k]!;
    let sum = 0;
    let cnt = 0;
    let lvl = 0;
    for (let j = 0; j < ctx.h; j++) {
      if (Number.isNaN(e[j]!)) continue;
      const a = ctx.actual[o + j]!;
      sum += Math.abs(e[j]!);
      absActual += Math.abs(a);
      lvl += a;
      cnt++;
    }
    absErr += sum;
    maseSum += cnt > 0 ? scaledError(sum / cnt, maseScale(ctx.sums, o, ctx.m), lvl / cnt) : 0;
  });
  const bad = !Number.isFinite(absErr);
  return { model: name, mase: bad ? Infinity : maseSum / ctx.origins.length, wape: bad ? Infinity : wapeOf(absErr, absActual) };
}

/** Fit `model` on the training series (outliers clipped) before the first origin, forecast from every origin, score. */
export function backtestModel(model: ForecastModel, train: Float64Array, ctx: BacktestContext): ModelBacktest {
  const fitted = model.fit(train, ctx.origins[0]!);
  const forecasts = fitted.forecast(ctx.origins, ctx.h);
  const errors = ctx.origins.map((o, k) => {
    const e = new Float64Array(ctx.h).fill(NaN);
    for (let j = 0; j < ctx.h; j++) if (ctx.observed(o + j)) e[j] = ctx.actual[o + j]! - forecasts[k]![j]!;
    return e;
  });
  return { score: scoreErrors(model.name, errors, ctx), fitted, errors };
}
