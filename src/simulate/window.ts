/**
 * The metric history as of one step: each series fetched once for the whole window, then cut to
 * the points a plan at that step would have fetched — [t − lookback, t], never after t (no
 * peeking). Two binary searches per series, so a step costs the same however many came before.
 */
import type { MetricData, MetricResult, SeriesPoint } from '../autoscaler/index.js';

/** First index whose t ≥ x (or > x when `after`). */
export function bound(points: readonly SeriesPoint[], x: number, after: boolean): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const t = points[mid]!.t;
    if (after ? t <= x : t < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface MetricHistory {
  /** Every referenced metric over [from − lookback, to], by metricKey, points oldest first. */
  data: MetricData;
  /** Seconds of history each metric gets at a step (what collectMetrics fetches for a plan). */
  lookback: ReadonlyMap<string, number>;
}

/** The MetricData a plan at unix time `t` would see. */
export function metricsAt(history: MetricHistory, t: number): MetricData {
  const out: Record<string, MetricResult> = {};
  for (const [key, r] of Object.entries(history.data)) {
    if (r.error !== undefined) {
      out[key] = r;
      continue;
    }
    const lookback = history.lookback.get(key) ?? 0;
    out[key] = { points: r.points.slice(bound(r.points, t - lookback, false), bound(r.points, t, true)) };
  }
  return out;
}
