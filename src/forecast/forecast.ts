/**
 * The forecasting pipeline: clean the series, detect its cycles, backtest the candidate models,
 * forecast with the best one and put prediction intervals around it.
 */
import { backtestModel, backtestOrigins, naiveErrorSums, scoreErrors } from './backtest.js';
import type { BacktestContext, ModelBacktest } from './backtest.js';
import { combinationName, combineErrors, combineFitted } from './models/combination.js';
import { ForecastInputError } from './errors.js';
import { holdoutForecast } from './holdout.js';
import { calibrationFactor, halfWidths } from './intervals.js';
import { candidateModels, seasonalNaive, ses } from './models/index.js';
import type { ForecastModel } from './models/index.js';
import { hasLongGap, preprocess } from './preprocess.js';
import type { RegularSeries } from './preprocess.js';
import { DAY, DEFAULT_SEASONS, detectSeasonality } from './seasonality.js';
import type { Season } from './seasonality.js';
import { formatDuration } from './stats.js';
import type { BacktestScore, ForecastOptions, ForecastPoint, ForecastResult, SeriesPoint } from './types.js';

/** ISO 8601 UTC to the second (milliseconds only when there are some). */
export function isoTime(t: number): string {
  return new Date(Math.round(t * 1000)).toISOString().replace(/\.000Z$/, 'Z');
}

/** Models need a few points of history for each point of horizon they are scored on. */
const MIN_BACKTEST_TRAIN = 8;

export interface Prepared {
  series: RegularSeries;
  seasons: Season[];
}

/** Clean the history and detect its cycles (a second pass fills long gaps from the detected season). */
export function prepare(points: readonly SeriesPoint[], seasonCandidates: readonly number[] = DEFAULT_SEASONS): Prepared {
  let series = preprocess(points);
  if (series.values.length < 2) return { series, seasons: [] };
  let seasons = detectSeasonality(series.clean, series.step, seasonCandidates);
  if (seasons.length > 0 && hasLongGap(series.filled)) {
    series = preprocess(points, { season: seasons[0]!.period });
    seasons = detectSeasonality(series.clean, series.step, seasonCandidates);
  }
  return { series, seasons };
}

/**
 * ses + damped Holt + the seasonal model (Holt-Winters on a detected cycle, else the seasonal naive
 * of a plausible one), averaged. Only with a seasonal member: ses and damped Holt alone are too alike.
 */
function combination(runs: Map<string, ModelBacktest>, ctx: BacktestContext): ModelBacktest | undefined {
  const names = [...runs.keys()];
  const seasonal = names.find((k) => k.startsWith('holt-winters(')) ?? names.find((k) => k.startsWith('seasonal-naive('));
  const members = ['ses', 'holt-damped', seasonal].filter((k): k is string => k !== undefined && runs.has(k));
  if (members.length < 3) return undefined;
  const parts = members.map((k) => runs.get(k)!);
  const name = combinationName(members);
  const errors = combineErrors(parts.map((p) => p.errors));
  return { score: scoreErrors(name, errors, ctx), fitted: combineFitted(parts.map((p) => p.fitted)), errors };
}

/** A daily cycle too weak for the detector can still make yesterday a good guess (NAB's EC2 CPU series): try it when 2 days exist. */
export function tentativeSeasons(seasons: readonly Season[], step: number, n: number): Season[] {
  const day = Math.round(DAY / step);
  const plausible = !seasons.some((s) => s.seconds === DAY) && day >= 2 && Math.abs(day * step - DAY) <= step / 2 && n >= 2 * day;
  return plausible ? [{ period: day, seconds: DAY, strength: NaN, name: '1d' }] : [];
}

function findModel(models: readonly ForecastModel[], name: string): ForecastModel | undefined {
  return models.find((m) => m.name === name) ?? models.find((m) => m.family === name);
}

/** Forecast `opts.horizonSeconds` ahead of the last point (or of `opts.at`, from the history before it). */
export function forecast(points: readonly SeriesPoint[], opts: ForecastOptions): ForecastResult {
  const level = opts.level ?? 0.95;
  if (!(opts.horizonSeconds > 0) || !Number.isFinite(opts.horizonSeconds)) throw new ForecastInputError(`the horizon must be a positive duration, got ${opts.horizonSeconds}s`, 'give a horizon such as 30m or 1h');
  if (!(level > 0 && level < 1)) throw new ForecastInputError(`the interval level must be between 0 and 1, got ${level}`, 'use e.g. 0.95');
  const hl = opts.holdout?.level;
  if (hl !== undefined && !(hl > 0 && hl < 1)) throw new ForecastInputError(`the holdout's interval level must be between 0 and 1, got ${hl}`, 'use e.g. 0.95');
  const at = opts.at;
  const history = at === undefined ? points : points.filter((p) => p.t < at);
  if (history.length === 0 && points.length > 0) throw new ForecastInputError(`the series has no points before ${isoTime(at!)} (it starts at ${isoTime(points.reduce((m, p) => Math.min(m, p.t), Infinity))})`, 'choose a later --at time');
  const { series, seasons } = prepare(history, opts.seasonPeriods ?? DEFAULT_SEASONS);
  const warnings = [...series.warnings];
  const n = series.values.length;
  const tLast = series.t0 + (n - 1) * series.step;
  const origin = at ?? tLast;
  const base: Pick<ForecastResult, 'series' | 'origin'> = { ...(opts.series !== undefined ? { series: opts.series } : {}), origin: isoTime(origin) };

  if (n === 1) {
    // One point: no step, no error estimate. Repeating it is the only honest forecast.
    const v = series.values[0]!;
    warnings.push('only 1 point of history: the forecast repeats it, and its interval cannot be estimated (zero width); collect more history before scaling on it');
    return { ...base, model: 'naive', step: opts.horizonSeconds, points: [{ timestamp: isoTime(origin + opts.horizonSeconds), value: v, lower: v, upper: v }], backtest: [], warnings, level, seasons: [], chosenBy: 'default' };
  }
  const step = series.step;
  if (origin - tLast > 2 * opts.horizonSeconds && origin - tLast > 10 * step) warnings.push(`the last point (${isoTime(tLast)}) is ${formatDuration(Math.round(origin - tLast))} before the forecast origin: the forecast is from stale data`);
  const skip = Math.max(0, Math.floor((origin - tLast) / step + 1e-9));
  let hOut = Math.floor(opts.horizonSeconds / step + 1e-9);
  if (hOut < 1) {
    warnings.push(`the horizon (${formatDuration(opts.horizonSeconds)}) is shorter than the series' step (${formatDuration(step)}): forecasting one step`);
    hOut = 1;
  }
  const h = skip + hOut;
  if (n < 2 * h) warnings.push(`only ${n} points of history for a ${h}-step forecast: expect wide intervals`);

  const tentative = tentativeSeasons(seasons, step, n);
  const candidates = candidateModels(seasons, series.clean.every((v) => v > 0), tentative).filter((m) => m.minPoints <= n);
  const mSeason = seasons[0]?.period ?? 1;
  const sums = naiveErrorSums(series.values, mSeason);
  const observed = (i: number) => series.filled[i] === 0;
  const origins = backtestOrigins(n, h, Math.max(MIN_BACKTEST_TRAIN, 2 * mSeason + 1));
  const runs = new Map<string, ModelBacktest>();
  const ctx: BacktestContext | undefined = origins.length > 0 ? { actual: series.values, observed, origins, h, m: mSeason, sums } : undefined;
  if (ctx) {
    for (const m of candidates) if (m.minPoints <= origins[0]!) runs.set(m.name, backtestModel(m, series.clean, ctx));
    const comb = combination(runs, ctx);
    if (comb) runs.set(comb.score.model, comb);
  } else {
    warnings.push(`too little history to backtest a ${h}-step forecast (${n} points): the models could not be compared`);
  }
  const order = (name: string) => {
    const i = candidates.findIndex((m) => m.name === name);
    return i < 0 ? candidates.length : i;
  };
  const backtest: BacktestScore[] = [...runs.values()].map((r) => r.score).sort((a, b) => a.mase - b.mase || order(a.model) - order(b.model));

  const combRun = [...runs.values()].find((r) => r.score.model.startsWith('combination('));
  const combModel: ForecastModel[] = combRun ? [{ name: combRun.score.model, family: 'combination', minPoints: 0, fit: () => combRun.fitted }] : [];
  let chosen: ForecastModel;
  let chosenBy: ForecastResult['chosenBy'] = 'backtest';
  if (opts.model !== undefined) {
    chosenBy = 'requested';
    const forced = findModel([...candidates, ...combModel], opts.model);
    if (!forced) throw new ForecastInputError(`model '${opts.model}' cannot forecast this series`, `available for it: ${candidates.map((m) => m.name).join(', ')}`);
    chosen = forced;
  } else {
    const best = backtest.find((s) => Number.isFinite(s.mase));
    const found = best && findModel([...candidates, ...combModel], best.model);
    if (!found) chosenBy = 'default';
    chosen = found || (n >= 4 ? ses() : seasonalNaive(1));
  }

  // The backtest fit's parameters (fitted on the history before the first origin) carry on to the end: one fit per model.
  const run = runs.get(chosen.name);
  let fitted = run?.fitted ?? chosen.fit(series.clean, n);
  let fc = fitted.forecast([n], h)[0]!;
  if (!fc.every(Number.isFinite)) {
    warnings.push(`${chosen.name} produced no finite forecast; fell back to the naive forecast`);
    chosen = seasonalNaive(1);
    chosenBy = 'default';
    fitted = chosen.fit(series.clean, n);
    fc = fitted.forecast([n], h)[0]!;
  }
  const calibration = run && fitted === run.fitted ? calibrationFactor(run.fitted, run.errors, h, level) : 1;
  const half = halfWidths(fitted, h, level, calibration);
  const floor = series.nonNegative ? 0 : -Infinity;
  const out: ForecastPoint[] = [];
  for (let j = skip; j < h; j++) {
    const v = fc[j]!;
    const w = Number.isFinite(half[j]!) ? half[j]! : 0;
    out.push({ timestamp: isoTime(tLast + (j + 1) * step), value: Math.max(floor, v), lower: Math.max(floor, v - w), upper: Math.max(floor, v + w) });
  }
  const holdout = opts.holdout ? holdoutForecast({ series, model: chosen, runs, only: chosenBy === 'requested' ? chosen.name : undefined, ctx, points: opts.holdout.points, longest: Math.min(opts.holdout.longest ?? opts.holdout.points, Math.floor((opts.holdout.longestSeconds ?? Infinity) / step + 1e-9)), level: opts.holdout.level ?? level }) : undefined;
  return { ...base, model: chosen.name, step, points: out, backtest, warnings, level, seasons: seasons.map((s) => s.name), chosenBy, ...(holdout ? { holdout } : {}) };
}
