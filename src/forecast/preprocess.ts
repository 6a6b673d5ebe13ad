/**
 * Turn raw observations into a regular series the models can use: sort, drop non-finite values,
 * merge duplicate timestamps, resample onto the median step, fill gaps, clip outliers.
 * Every repair is reported as a warning.
 */
import { ForecastInputError } from './errors.js';
import { formatDuration, mad, median } from './stats.js';
import type { SeriesPoint } from './types.js';

/** True when some gap is long enough to be filled from the previous season, if one is known. */
export function hasLongGap(filled: Uint8Array): boolean {
  let run = 0;
  for (let k = 0; k < filled.length; k++) {
    run = filled[k] ? run + 1 : 0;
    if (run > SHORT_GAP) return true;
  }
  return false;
}

export interface RegularSeries {
  /** Unix seconds of values[0]. */
  t0: number;
  /** Seconds between values. */
  step: number;
  /** Resampled and gap-filled: what the series looked like (scores are computed against it). */
  values: Float64Array;
  /** `values` with outliers clipped: what the models are fitted on. */
  clean: Float64Array;
  /** Indexes that were gaps (filled, not observed). */
  filled: Uint8Array;
  /** True when every observation was ≥ 0: forecasts and bounds are clamped at 0. */
  nonNegative: boolean;
  warnings: string[];
}

/** Gaps up to this many steps are filled by linear interpolation; longer ones by the previous season when there is one. */
const SHORT_GAP = 6;
/** A point further than this many robust standard deviations from its neighbourhood median is an outlier. */
const OUTLIER_Z = 6;
const OUTLIER_WINDOW = 2;
const MAX_CLIPPED = 0.01;

/** Clean and regularise a series. Throws ForecastInputError when nothing usable is left. */
export function preprocess(points: readonly SeriesPoint[], opts: { season?: number } = {}): RegularSeries {
  const warnings: string[] = [];
  if (points.length === 0) throw new ForecastInputError('the series is empty: there is nothing to forecast from');
  const finite = points.filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v));
  const dropped = points.length - finite.length;
  if (finite.length === 0) throw new ForecastInputError(`all ${points.length} points of the series are NaN or infinite: there is nothing to forecast from`);
  if (dropped > 0) warnings.push(`dropped ${dropped} point(s) whose timestamp or value is NaN or infinite`);

  let outOfOrder = 0;
  for (let i = 1; i < finite.length; i++) if (finite[i]!.t < finite[i - 1]!.t) outOfOrder++;
  const sorted = outOfOrder > 0 ? [...finite].sort((a, b) => a.t - b.t) : finite;
  if (outOfOrder > 0) warnings.push(`sorted the series: ${outOfOrder} point(s) were out of time order`);

  // Merge duplicate timestamps by their mean.
  const ts: number[] = [];
  const vs: number[] = [];
  let merged = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    let sum = 0;
    while (j < sorted.length && sorted[j]!.t === sorted[i]!.t) sum += sorted[j++]!.v;
    if (j - i > 1) merged += j - i - 1;
    ts.push(sorted[i]!.t);
    vs.push(sum / (j - i));
    i = j;
  }
  if (merged > 0) warnings.push(`merged ${merged} duplicate timestamp(s) by their mean`);
  const nonNegative = vs.every((v) => v >= 0);

  if (ts.length === 1) {
    return { t0: ts[0]!, step: 0, values: Float64Array.of(vs[0]!), clean: Float64Array.of(vs[0]!), filled: new Uint8Array(1), nonNegative, warnings };
  }
  const diffs = new Float64Array(ts.length - 1);
  for (let i = 1; i < ts.length; i++) diffs[i - 1] = ts[i]! - ts[i - 1]!;
  const step = median(diffs);

  // Resample onto the grid t0 + k·step: each observation goes to its nearest slot; a slot's value is the mean.
  const t0 = ts[0]!;
  const n = Math.round((ts[ts.length - 1]! - t0) / step) + 1;
  const sum = new Float64Array(n);
  const count = new Uint32Array(n);
  for (let i = 0; i < ts.length; i++) {
    const k = Math.min(n - 1, Math.round((ts[i]! - t0) / step));
    sum[k]! += vs[i]!;
    count[k]!++;
  }
  let binned = 0;
  for (let k = 0; k < n; k++) if (count[k]! > 1) binned += count[k]! - 1;
  // An interval of a whole number of steps is a gap (filled below), anything else is irregular sampling.
  const irregular = diffs.filter((d) => Math.abs(d - step * Math.max(1, Math.round(d / step))) > step * 0.05).length;
  if (irregular > 0) warnings.push(`irregular sampling: resampled onto the median step of ${formatDuration(step)} (${irregular} interval(s) differed${binned > 0 ? `, ${binned} point(s) averaged into shared slots` : ''})`);

  const values = new Float64Array(n);
  const filled = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    if (count[k]! > 0) values[k] = sum[k]! / count[k]!;
    else filled[k] = 1;
  }
  fillGaps(values, filled, step, opts.season ?? 0, warnings);
  const clean = clipOutliers(values, warnings);
  return { t0, step, values, clean, filled, nonNegative, warnings };
}

function fillGaps(values: Float64Array, filled: Uint8Array, step: number, season: number, warnings: string[]): void {
  let gaps = 0;
  let longest = 0;
  let seasonal = 0;
  for (let k = 0; k < values.length; ) {
    if (!filled[k]) {
      k++;
      continue;
    }
    let end = k;
    while (end < values.length && filled[end]) end++;
    // A gap is values[k..end); values[k-1] and values[end] are observed (the grid starts and ends on observations).
    const before = values[k - 1]!;
    const after = values[end]!;
    const len = end - k;
    const useSeason = len > SHORT_GAP && season > 0 && k - season >= 0;
    if (useSeason) {
      // Copy the previous season's shape, shifted so the copy meets the observed values at both ends.
      const startOff = before - values[k - 1 - season]!;
      const endOff = after - (end - season >= 0 ? values[end - season]! : values[end - 1 - season]!);
      for (let i = k; i < end; i++) {
        const w = (i - k + 1) / (len + 1);
        values[i] = values[i - season]! + startOff * (1 - w) + endOff * w;
      }
      seasonal++;
    } else {
      for (let i = k; i < end; i++) values[i] = before + ((after - before) * (i - k + 1)) / (len + 1);
    }
    gaps++;
    longest = Math.max(longest, len);
    k = end;
  }
  if (gaps > 0) {
    warnings.push(`filled ${gaps} gap(s) in the series (longest ${formatDuration(longest * step)}, ${longest} missing point(s))${seasonal > 0 ? `, ${seasonal} from the previous season` : ' by linear interpolation'}`);
  }
}

/** Clip points far from their neighbourhood median (robust z-score from the MAD of those deviations). */
function clipOutliers(values: Float64Array, warnings: string[]): Float64Array {
  const n = values.length;
  const clean = Float64Array.from(values);
  if (n < 2 * OUTLIER_WINDOW + 3) return clean;
  const local = new Float64Array(n);
  const dev = new Float64Array(n);
  const win = new Float64Array(2 * OUTLIER_WINDOW + 1);
  for (let i = 0; i < n; i++) {
    // Insertion sort of the few neighbours: far cheaper than a general sort per point.
    let k = 0;
    for (let j = Math.max(0, i - OUTLIER_WINDOW); j <= Math.min(n - 1, i + OUTLIER_WINDOW); j++) {
      const v = values[j]!;
      let p = k++;
      while (p > 0 && win[p - 1]! > v) {
        win[p] = win[p - 1]!;
        p--;
      }
      win[p] = v;
    }
    local[i] = win[k >> 1]!;
    dev[i] = values[i]! - local[i]!;
  }
  let scale = 1.4826 * mad(dev);
  if (scale === 0) {
    // More than half the points equal their neighbourhood median (a mostly flat series): use the mean deviation.
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(dev[i]!);
    scale = (1.2533 * s) / n;
  }
  if (scale === 0) return clean;
  let clipped = 0;
  // Never clip more than MAX_CLIPPED of the points: beyond that the "outliers" are how the series behaves.
  const absDev = Float64Array.from(dev, Math.abs).sort();
  const limit = Math.max(OUTLIER_Z * scale, absDev[Math.min(n - 1, Math.floor(n * (1 - MAX_CLIPPED)))]!);
  for (let i = 0; i < n; i++) {
    if (Math.abs(dev[i]!) > limit) {
      clean[i] = local[i]! + Math.sign(dev[i]!) * limit;
      clipped++;
    }
  }
  if (clipped > 0) warnings.push(`clipped ${clipped} outlier(s) (points far from the median of their neighbours) before fitting the models`);
  return clean;
}
