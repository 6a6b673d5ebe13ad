/**
 * The forecasting contract (SPEC §7), shared by `qm forecast`, the predictive recommender and the
 * plan's `forecasts`. Pure: series in, forecast out.
 */

/** One observation: unix seconds and a value. */
export interface SeriesPoint {
  t: number;
  v: number;
}

export interface ForecastPoint {
  /** ISO 8601 UTC. */
  timestamp: string;
  value: number;
  /** Lower and upper bounds of the prediction interval (`level`). */
  lower: number;
  upper: number;
}

export interface BacktestScore {
  model: string;
  /** Mean absolute scaled error against the seasonal-naive forecast (< 1 beats it). */
  mase: number;
  /** Weighted absolute percentage error (0.12 = 12 %); 1 − wape is the accuracy people quote. */
  wape: number;
}

export interface ForecastOptions {
  /** How far ahead, in seconds. */
  horizonSeconds: number;
  /** Forecast from this moment (unix seconds) using only the history before it; default: after the last point. */
  at?: number;
  /** Prediction interval level, default 0.95. */
  level?: number;
  /** Force a model by name instead of choosing by backtest. */
  model?: string;
  /** Name of the series, copied into the result. */
  series?: string;
  /** Cycles (seconds) to look for; default daily and weekly. */
  seasonPeriods?: readonly number[];
  /**
   * Also forecast the last points of the history from the history before them, as a forecast made
   * back then would have (src/forecast/holdout.ts), at interval `level` (default `level`): the
   * longest run of up to `longest` points (default `points`) spanning at most `longestSeconds`, ending with the last, that all fall
   * outside the interval on one side; else the last `points` points. The autoscaler's anomaly check.
   */
  holdout?: { points: number; level?: number; longest?: number; longestSeconds?: number };
}

/** One point of the holdout: what was observed, what the history before the holdout forecast for it. */
export interface HoldoutPoint {
  /** ISO 8601 UTC of the point on the series' regular grid. */
  timestamp: string;
  /** Observed (resampled onto the grid). */
  value: number;
  expected: number;
  lower: number;
  upper: number;
  /** (value − the unclamped forecast) in interval half-widths: beyond ±1 is outside; NaN when the interval has no width. */
  deviation: number;
}

export interface ForecastHoldout {
  level: number;
  /** Oldest first, one per step of the series' grid, ending with its last point: the run found, else the last `points`. */
  points: HoldoutPoint[];
}

export interface ForecastResult {
  series?: string;
  /** e.g. "holt-winters(season=1d)". */
  model: string;
  /** Seconds between forecast points: the series' median sampling interval. */
  step: number;
  /** ISO 8601 of the forecast origin. */
  origin: string;
  points: ForecastPoint[];
  /** Each candidate model's rolling-origin backtest error, best first. */
  backtest: BacktestScore[];
  /** Gaps filled, outliers clipped, too little history, … */
  warnings: string[];
  /** The interval level of `lower`/`upper` (default 0.95). */
  level?: number;
  /** Cycles detected in the history, e.g. ["1d"]. */
  seasons?: string[];
  /** How the model was picked: lowest backtest MASE, asked for (`model`), or a default (too little history, or the chosen model failed). */
  chosenBy?: 'backtest' | 'requested' | 'default';
  /** Asked for with `holdout`; absent when the history before the holdout is too short or a holdout point is a filled gap. */
  holdout?: ForecastHoldout;
}
