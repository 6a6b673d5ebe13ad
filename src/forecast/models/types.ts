/** The contract every forecasting model satisfies: fit on a prefix, forecast from any origin. */

export interface FittedModel {
  /**
   * Point forecasts for steps 1..h after each origin, where an origin is an index into the series
   * (the history is y[0..origin)). Origins past the fitted prefix keep the fitted parameters and
   * just run the model's filter on: that is what a rolling-origin backtest needs.
   */
  forecast(origins: readonly number[], h: number): Float64Array[];
  /** Standard deviation of the one-step in-sample errors. */
  sigma: number;
  /** Variance of the 1..h-step errors relative to the one-step variance (1 for step 1). */
  varianceFactors(h: number): Float64Array;
  /** Fitted parameters, for the curious. */
  params: Record<string, number>;
}

export interface ForecastModel {
  /** Full name shown to users, e.g. "holt-winters(season=1d)". */
  name: string;
  /** The name without its season, for `--model holt-winters`. */
  family: string;
  /** History (points) needed before this model can be fitted. */
  minPoints: number;
  /** Fit on y[0..end); `y` may extend past `end` (the future the backtest scores against is never read by the fit). */
  fit(y: Float64Array, end: number): FittedModel;
}
