/**
 * A small forecaster used only when no forecasting function is supplied (src/forecast is the real
 * one): seasonal-naive over one day when there are two days of history, else the last value, with
 * a prediction interval from the empirical quantile of its own one-season-back errors. Pure.
 */
import type { ForecastOptions, ForecastResult, SeriesPoint } from '../forecast/types.js';
import { iso, medianStep } from './series.js';

const DAY = 86400;

/** Forecast `opts.horizonSeconds` ahead of the last point (or of `opts.at`). */
export function fallbackForecast(points: SeriesPoint[], opts: ForecastOptions): ForecastResult {
  const hist = opts.at !== undefined ? points.filter((p) => p.t < opts.at!) : points;
  const step = medianStep(hist);
  const origin = opts.at ?? hist[hist.length - 1]?.t ?? 0;
  if (hist.length === 0) return { model: 'none', step, origin: iso(origin), points: [], backtest: [], warnings: ['no history'] };
  const seasonal = hist[hist.length - 1]!.t - hist[0]!.t >= 2 * DAY;
  const valueAt = (t: number): number => {
    // The sample one (or more) seasons before t, else the last one.
    if (!seasonal) return hist[hist.length - 1]!.v;
    let s = t - DAY;
    while (s > origin) s -= DAY;
    let lo = 0;
    let hi = hist.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (hist[mid]!.t <= s) lo = mid;
      else hi = mid - 1;
    }
    return hist[lo]!.v;
  };
  const errors: number[] = [];
  const from = seasonal ? hist[0]!.t + DAY : hist[0]!.t;
  for (let i = 1; i < hist.length; i++) {
    const p = hist[i]!;
    if (p.t < from) continue;
    errors.push(Math.abs(p.v - (seasonal ? hist[Math.max(0, i - Math.round(DAY / step))]!.v : hist[i - 1]!.v)));
  }
  errors.sort((a, b) => a - b);
  const level = opts.level ?? 0.95;
  const q = errors.length ? errors[Math.min(errors.length - 1, Math.floor(level * errors.length))]! : 0;
  const out: ForecastResult['points'] = [];
  for (let t = origin + step; t <= origin + opts.horizonSeconds + 1e-9; t += step) {
    const v = valueAt(t);
    out.push({ timestamp: iso(t), value: v, lower: v - q, upper: v + q });
  }
  return { model: seasonal ? 'seasonal-naive(1d)' : 'naive', step, origin: iso(origin), points: out, backtest: [], warnings: [] };
}
