/**
 * The holdout check: forecast the last points of a series from the history before them, as a
 * forecast made before them would have (the model that the backtest errors made before the longest
 * run looked for favour, its interval calibrated on those errors only, so the points checked never
 * choose the model or widen the interval they are checked against), and find the longest run of
 * points, ending with the last, that all fall outside that interval on one side.
 *
 * Cheap: every model was already fitted by the backtest on a prefix that ends before the holdout,
 * and one pass of the model's filter forecasts from every candidate origin at once; no model is
 * fitted again (except on a history too short to backtest).
 */
import type { BacktestContext, ModelBacktest } from './backtest.js';
import { scoreErrors } from './backtest.js';
import { calibrationFactor, halfWidths } from './intervals.js';
import type { ForecastModel } from './models/index.js';
import type { RegularSeries } from './preprocess.js';
import type { ForecastHoldout, HoldoutPoint } from './types.js';

/** As forecast.ts's isoTime (not imported: forecast.ts imports this file). */
const isoTime = (t: number): string => new Date(Math.round(t * 1000)).toISOString().replace(/\.000Z$/, 'Z');

/** Points of history the holdout forecast needs at least (as a backtest does). */
export const MIN_HOLDOUT_HISTORY = 8;

export interface HoldoutInput {
  series: RegularSeries;
  /** The model the forecast chose (used when there is no backtest). */
  model: ForecastModel;
  /** Every model's backtest (empty without one); with `only`, just that model is considered. */
  runs: ReadonlyMap<string, ModelBacktest>;
  only?: string | undefined;
  ctx?: BacktestContext | undefined;
  /** The shortest run: the last `points` points. */
  points: number;
  /** The longest run looked for (default `points`). */
  longest?: number | undefined;
  level: number;
}

/** The model a forecast made at `end` would have chosen: lowest MASE on the backtest errors before `end`. */
function choiceAt(a: HoldoutInput, end: number): { run: ModelBacktest; name: string } | undefined {
  const ctx = a.ctx;
  if (!ctx || !(ctx.origins[0]! <= end - 1)) return undefined;
  let best: { run: ModelBacktest; name: string; mase: number } | undefined;
  for (const [name, run] of a.runs) {
    if (a.only !== undefined && name !== a.only) continue;
    const masked = run.errors.map((e, k) => e.map((x, j) => (ctx.origins[k]! + j < end ? x : NaN)));
    const { mase } = scoreErrors(name, masked, ctx);
    if (Number.isFinite(mase) && (!best || mase < best.mase)) best = { run, name, mase };
  }
  return best;
}

function pointsFrom(series: RegularSeries, fc: Float64Array, half: Float64Array, end: number, m: number): HoldoutPoint[] | undefined {
  const floor = series.nonNegative ? 0 : -Infinity;
  const out: HoldoutPoint[] = [];
  for (let j = 0; j < m; j++) {
    const v = fc[j]!;
    if (!Number.isFinite(v)) return undefined;
    // A history without variation (a queue at 0, a constant gauge) forecasts an interval without
    // width: any real change leaves it, so it gets the narrowest width that ignores rounding noise.
    const w = Number.isFinite(half[j]!) && half[j]! > 0 ? half[j]! : half[j] === 0 ? minHalfWidth(v) : 0;
    const value = series.values[end + j]!;
    out.push({ timestamp: isoTime(series.t0 + (end + j) * series.step), value, expected: Math.max(floor, v), lower: Math.max(floor, v - w), upper: Math.max(floor, v + w), deviation: w > 0 ? (value - v) / w : NaN });
  }
  return out;
}

/** The half-width given to an interval the model made without width: 0.1 % of the forecast, at least 0.001. */
export const minHalfWidth = (forecast: number) => Math.max(Math.abs(forecast) * 1e-3, 1e-3);

const side = (p: HoldoutPoint) => (!Number.isFinite(p.deviation) ? 0 : p.value > p.upper ? 1 : p.value < p.lower ? -1 : 0);
const allOut = (pts: readonly HoldoutPoint[]) => pts.length > 0 && side(pts[0]!) !== 0 && pts.every((p) => side(p) === side(pts[0]!));

/**
 * The longest run (from `points` up to `longest` points, ending with the last) whose points all lie
 * outside the interval forecast from just before it, on one side; else the last `points` points
 * with their forecast. Undefined when not even that can be made honestly (too little history, a
 * filled gap in it).
 */
export function holdoutForecast(a: HoldoutInput): ForecastHoldout | undefined {
  const { series } = a;
  const n = series.values.length;
  const k = Math.floor(a.points);
  if (!(k >= 1) || n - k < MIN_HOLDOUT_HISTORY || series.step <= 0) return undefined;
  // A filled gap is no observation: it cannot be out of anything.
  let longest = Math.max(k, Math.min(Math.floor(a.longest ?? k), n - MIN_HOLDOUT_HISTORY));
  for (let i = n - 1; i >= n - longest; i--) {
    if (!series.filled[i]) continue;
    if (i >= n - k) return undefined;
    longest = n - 1 - i;
    break;
  }
  // One forecast made before the longest run looked for: the model the backtest errors before it
  // favour, calibrated on those errors; one filter pass gives its forecasts from every origin.
  const found = new Map<number, HoldoutPoint[]>();
  if (a.ctx) longest = Math.min(longest, n - 1 - a.ctx.origins[0]!);
  const c = longest >= k ? choiceAt(a, n - longest) : undefined;
  if (c) {
    const { fitted, errors } = c.run;
    const far = n - longest;
    const h = Math.min(longest, errors[0]?.length ?? 0);
    const calibration = h > 0 ? calibrationFactor(fitted, errors, h, a.level, (o, j) => a.ctx!.origins[o]! + j < far) : 1;
    const half = halfWidths(fitted, longest, a.level, calibration);
    const ms = Array.from({ length: longest - k + 1 }, (_, i) => longest - i);
    const fcs = fitted.forecast(ms.map((m) => n - m), longest);
    ms.forEach((m, i) => {
      const pts = pointsFrom(series, fcs[i]!, half, n - m, m);
      if (pts) found.set(m, pts);
    });
  }
  for (let m = longest; m > k; m--) {
    const pts = found.get(m);
    if (pts && allOut(pts)) return { level: a.level, points: pts };
  }
  const last = found.get(k);
  if (last) return { level: a.level, points: last };
  // No backtest before the holdout: fit the chosen model on the history before it.
  // The combination's "fit" is its members' backtest fit, which saw the holdout here.
  if (a.model.minPoints > n - k || a.model.family === 'combination') return undefined;
  const fitted = a.model.fit(series.clean, n - k);
  const pts = pointsFrom(series, fitted.forecast([n - k], k)[0]!, halfWidths(fitted, k, a.level, 1), n - k, k);
  return pts ? { level: a.level, points: pts } : undefined;
}
