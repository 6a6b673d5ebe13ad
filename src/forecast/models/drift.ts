/** Drift: the last value plus the average change per step over the whole history (a line through the first and last points). */
import type { ForecastModel, FittedModel } from './types.js';

export function drift(): ForecastModel {
  return {
    name: 'drift',
    family: 'drift',
    minPoints: 3,
    fit(y: Float64Array, end: number): FittedModel {
      const slope = (y[end - 1]! - y[0]!) / (end - 1);
      let s = 0;
      for (let t = 1; t < end; t++) s += (y[t]! - y[t - 1]! - slope) ** 2;
      const sigma = Math.sqrt(s / Math.max(1, end - 2));
      return {
        sigma,
        params: { slope },
        forecast: (origins, h) =>
          origins.map((o) => {
            const b = (y[o - 1]! - y[0]!) / (o - 1);
            return Float64Array.from({ length: h }, (_, j) => y[o - 1]! + (j + 1) * b);
          }),
        varianceFactors: (h) => Float64Array.from({ length: h }, (_, j) => (j + 1) * (1 + (j + 1) / (end - 1))),
      };
    },
  };
}
