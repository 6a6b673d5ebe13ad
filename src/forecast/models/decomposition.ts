/**
 * Seasonal decomposition + damped Holt, a light MSTL: estimate the trend with a centred moving
 * average over one cycle, average the detrended values at each phase over the last cycles (the
 * seasonal profile), smooth the deseasonalised series with damped Holt, and add the profile back.
 * Unlike Holt-Winters the profile averages many cycles, so one noisy day does not become tomorrow's
 * forecast; unlike seasonal-naive it follows the level of the last hours.
 */
import { fitEts } from './ets.js';
import type { FittedModel, ForecastModel } from './types.js';

/** Cycles averaged into the profile: a week of days. */
const PROFILE_CYCLES = 7;

/** The seasonal profile of y[0..end) for period m, by absolute phase (index mod m), mean 0. */
export function seasonalProfile(y: Float64Array, end: number, m: number): Float64Array {
  const half = Math.floor(m / 2);
  const even = m % 2 === 0;
  const prefix = new Float64Array(end + 1);
  for (let i = 0; i < end; i++) prefix[i + 1] = prefix[i]! + y[i]!;
  // Centred moving average over one cycle (2×m for an even period: the two end points weigh ½).
  const trend = (t: number) => (even ? prefix[t + half]! - prefix[t - half + 1]! + 0.5 * (y[t - half]! + y[t + half]!) : prefix[t + half + 1]! - prefix[t - half]!) / m;
  const sum = new Float64Array(m);
  const count = new Uint32Array(m);
  for (let t = Math.max(half, end - half - PROFILE_CYCLES * m); t + half < end; t++) {
    const p = t % m;
    sum[p]! += y[t]! - trend(t);
    count[p]!++;
  }
  const profile = Float64Array.from(sum, (v, p) => (count[p]! > 0 ? v / count[p]! : 0));
  let mean = 0;
  for (const v of profile) mean += v / m;
  return profile.map((v) => v - mean);
}

export function decomposition(period: number, seasonName: string): ForecastModel {
  return {
    name: `decomposition(season=${seasonName})`,
    family: 'decomposition',
    minPoints: 2 * period + 10,
    fit(y: Float64Array, end: number): FittedModel {
      const m = period;
      const profile = seasonalProfile(y, end, m);
      const adjusted = Float64Array.from(y, (v, t) => v - profile[t % m]!);
      const inner = fitEts(adjusted, end, { trend: true, season: 'none', period: 1 });
      return {
        sigma: inner.sigma,
        params: inner.params,
        varianceFactors: inner.varianceFactors,
        forecast: (origins, h) => inner.forecast(origins, h).map((f, k) => f.map((v, j) => v + profile[(origins[k]! + j) % m]!)),
      };
    },
  };
}
