/** Seasonal naive: the value one season ago (a season of 1 is the plain naive forecast, "last value"). */
import type { ForecastModel, FittedModel } from './types.js';

/** The baseline every other model is scored against (MASE). */
export function seasonalNaive(period: number, seasonName?: string): ForecastModel {
  const name = period <= 1 ? 'naive' : `seasonal-naive(${seasonName ?? period})`;
  return {
    name,
    family: period <= 1 ? 'naive' : 'seasonal-naive',
    minPoints: Math.max(2, period + 1),
    fit(y: Float64Array, end: number): FittedModel {
      const m = Math.max(1, period);
      let s = 0;
      for (let t = m; t < end; t++) s += (y[t]! - y[t - m]!) ** 2;
      const sigma = end > m ? Math.sqrt(s / (end - m)) : 0;
      return {
        sigma,
        params: { period: m },
        forecast: (origins, h) =>
          origins.map((o) => {
            const f = new Float64Array(h);
            for (let j = 0; j < h; j++) f[j] = y[o - m + (j % m)]!;
            return f;
          }),
        varianceFactors: (h) => Float64Array.from({ length: h }, (_, j) => Math.floor(j / m) + 1),
      };
    },
  };
}
