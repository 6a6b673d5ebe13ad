/**
 * An equal-weight combination of fitted models (the M-competitions' most reliable trick: averaging
 * a level model, a trend model and a seasonal one hedges a wrong choice). Scored in the backtest
 * like any model, from the members' errors, so no extra fitting is needed.
 */
import type { FittedModel } from './types.js';

/** The name users see, e.g. "combination(ses, holt-damped, seasonal-naive(1d))". */
export const combinationName = (members: readonly string[]) => `combination(${members.join(', ')})`;

/** Members' errors (actual − forecast) averaged: the combination's errors. */
export function combineErrors(members: readonly (readonly Float64Array[])[]): Float64Array[] {
  return members[0]!.map((_, k) => Float64Array.from(members[0]![k]!, (_, j) => members.reduce((s, e) => s + e[k]![j]!, 0) / members.length));
}

/** The mean of the members' forecasts; its variance is taken as the mean of theirs (errors of similar models are highly correlated). */
export function combineFitted(members: readonly FittedModel[]): FittedModel {
  const sigma2 = members.reduce((s, f) => s + f.sigma * f.sigma, 0) / members.length;
  return {
    sigma: Math.sqrt(sigma2),
    params: {},
    forecast(origins, h) {
      const all = members.map((f) => f.forecast(origins, h));
      return origins.map((_, k) => Float64Array.from({ length: h }, (_, j) => all.reduce((s, fs) => s + fs[k]![j]!, 0) / members.length));
    },
    varianceFactors(h) {
      const vfs = members.map((f) => f.varianceFactors(h));
      return Float64Array.from({ length: h }, (_, j) => (sigma2 > 0 ? members.reduce((s, f, i) => s + f.sigma * f.sigma * vfs[i]![j]!, 0) / members.length / sigma2 : 1 + j));
    },
  };
}
