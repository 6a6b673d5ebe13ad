/**
 * Prediction intervals: the model's analytic h-step variance (ETS formulas, random-walk for the
 * naive family) from its one-step in-sample error, widened when the backtest shows the errors are
 * larger than that variance promises. Deterministic: no simulation.
 */
import type { FittedModel } from './models/types.js';
import { normalQuantile, quantile } from './stats.js';

/** Half-widths of the intervals for steps 1..h. */
export function halfWidths(fitted: FittedModel, h: number, level: number, calibration: number): Float64Array {
  const z = normalQuantile(0.5 + level / 2);
  const vf = fitted.varianceFactors(h);
  const sigma = Number.isFinite(fitted.sigma) ? fitted.sigma : 0;
  return Float64Array.from(vf, (v) => z * sigma * Math.sqrt(v) * calibration);
}

/**
 * How much wider than analytic the intervals must be to cover `level` of the backtest errors
 * (never narrower: with few origins the analytic width is the better guess). 1 without a backtest.
 * `scored(k, j)` leaves errors out (the holdout check leaves out those that saw the points it checks).
 */
export function calibrationFactor(backtestFit: FittedModel, errors: readonly Float64Array[], h: number, level: number, scored: (origin: number, step: number) => boolean = () => true): number {
  const z = normalQuantile(0.5 + level / 2);
  const vf = backtestFit.varianceFactors(h);
  const ratios: number[] = [];
  for (const [k, e] of errors.entries()) {
    for (let j = 0; j < h; j++) {
      if (!scored(k, j)) continue;
      const sd = backtestFit.sigma * Math.sqrt(vf[j]!);
      if (Number.isFinite(e[j]!) && sd > 0) ratios.push(Math.abs(e[j]!) / sd);
    }
  }
  if (ratios.length < 20) return 1;
  return Math.min(4, Math.max(1, quantile(ratios, level) / z));
}
