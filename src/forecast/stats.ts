/** Small numeric helpers shared by the forecasting code: all pure and deterministic. */

export function mean(xs: ArrayLike<number>, from = 0, to = xs.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i]!;
  return to > from ? s / (to - from) : 0;
}

/** The q-quantile (0–1) of the values, linear interpolation between order statistics. */
export function quantile(xs: ArrayLike<number>, q: number): number {
  const a = Float64Array.from(xs).sort();
  if (a.length === 0) return 0;
  const pos = Math.min(Math.max(q, 0), 1) * (a.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, a.length - 1);
  return a[lo]! + (a[hi]! - a[lo]!) * (pos - lo);
}

export function median(xs: ArrayLike<number>): number {
  return quantile(xs, 0.5);
}

/** Median absolute deviation from the median. */
export function mad(xs: ArrayLike<number>): number {
  const m = median(xs);
  const dev = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) dev[i] = Math.abs(xs[i]! - m);
  return median(dev);
}

/** Root mean square of the finite values. */
export function rms(xs: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (Number.isFinite(x)) {
      s += x * x;
      n++;
    }
  }
  return n > 0 ? Math.sqrt(s / n) : 0;
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lowTail = 0.02425;
  if (p < lowTail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lowTail) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** A duration in seconds: 86400 → "1d", 604800 → "1w", 30000 → "8h20m", 90 → "1m30s". */
export function formatDuration(seconds: number): string {
  if (seconds > 0 && seconds % 604800 === 0) return `${seconds / 604800}w`;
  const units: [number, string][] = [[86400, 'd'], [3600, 'h'], [60, 'm']];
  let rest = Math.round(seconds * 1000) / 1000;
  let out = '';
  for (const [size, unit] of units) {
    const k = Math.floor(rest / size);
    if (k > 0) {
      out += `${k}${unit}`;
      rest = Math.round((rest - k * size) * 1000) / 1000;
    }
  }
  if (rest > 0) out += `${rest}s`;
  return out || '0s';
}
