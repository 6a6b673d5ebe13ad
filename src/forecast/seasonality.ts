/** Seasonality detection: is there a daily or weekly cycle? Autocorrelation at those lags, given the step. */
import { formatDuration } from './stats.js';

export interface Season {
  /** Period in steps. */
  period: number;
  /** Period in seconds. */
  seconds: number;
  /** Autocorrelation of the detrended series at the period. */
  strength: number;
  /** "1d", "1w", … */
  name: string;
}

export const DAY = 86400;
export const WEEK = 7 * DAY;
/** The cycles looked for by default. */
export const DEFAULT_SEASONS = [DAY, WEEK] as const;
/** Autocorrelation needed at the period … */
const MIN_STRENGTH = 0.3;
/** … and how much higher it must be than at half the period (a random walk is high at every lag). */
const MIN_PEAK = 0.1;
/** Full cycles of history needed before a cycle is trusted. */
const MIN_CYCLES = 2;

/** Autocorrelation of x at the given lag (x already centred). */
function acf(x: Float64Array, lag: number, variance: number): number {
  let s = 0;
  for (let i = lag; i < x.length; i++) s += x[i]! * x[i - lag]!;
  return s / (x.length - lag) / variance;
}

/** Detected cycles among the candidates (seconds), shortest first. */
export function detectSeasonality(values: ArrayLike<number>, step: number, candidates: readonly number[] = DEFAULT_SEASONS): Season[] {
  const n = values.length;
  if (step <= 0 || n < 8) return [];
  // Remove the least-squares line so a trend does not look like a cycle.
  let sx = 0;
  let sy = 0;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sx += i;
    sy += values[i]!;
    sxy += i * values[i]!;
    sxx += i * i;
  }
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx || 1);
  const icpt = (sy - slope * sx) / n;
  const x = new Float64Array(n);
  let variance = 0;
  for (let i = 0; i < n; i++) {
    x[i] = values[i]! - (icpt + slope * i);
    variance += x[i]! * x[i]!;
  }
  variance /= n;
  if (variance <= 1e-12 * (1 + Math.abs(sy / n)) ** 2) return [];
  const found: Season[] = [];
  for (const seconds of [...candidates].sort((a, b) => a - b)) {
    const period = Math.round(seconds / step);
    if (period < 2 || Math.abs(period * step - seconds) > step / 2 || n < MIN_CYCLES * period) continue;
    const strength = acf(x, period, variance);
    const half = acf(x, Math.max(1, Math.round(period / 2)), variance);
    // A week is seven days: a weekly cycle counts only if it explains more than the daily one does.
    const shorter = found.find((f) => period % f.period === 0);
    if (shorter && strength < shorter.strength + MIN_PEAK / 2) continue;
    if (strength >= MIN_STRENGTH && strength - half >= MIN_PEAK) found.push({ period, seconds, strength, name: formatDuration(seconds) });
  }
  return found;
}
