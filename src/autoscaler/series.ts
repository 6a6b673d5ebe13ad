/** Series hygiene shared by the recommenders: order, duplicates, non-finite values, staleness. Pure. */
import type { SeriesPoint } from './types.js';
import { STALE_AFTER_SECONDS } from './types.js';

export interface CleanSeries {
  points: SeriesPoint[];
  /** What was repaired, in words ("2 NaN/Inf samples dropped"); empty when nothing was. */
  notes: string[];
}

/** Sorted by time, one sample per timestamp (the last one given wins), only finite values. */
export function cleanSeries(raw: readonly SeriesPoint[]): CleanSeries {
  // Fast path: the usual series is already finite and strictly increasing in time.
  let ok = true;
  for (let i = 0; i < raw.length && ok; i++) {
    const p = raw[i]!;
    ok = Number.isFinite(p.t) && Number.isFinite(p.v) && (i === 0 || p.t > raw[i - 1]!.t);
  }
  if (ok) return { points: raw as SeriesPoint[], notes: [] };
  const notes: string[] = [];
  let bad = 0;
  let unordered = false;
  const byT = new Map<number, number>();
  let dup = 0;
  let prev = -Infinity;
  for (const p of raw) {
    if (!Number.isFinite(p.t) || !Number.isFinite(p.v)) {
      bad++;
      continue;
    }
    if (p.t < prev) unordered = true;
    prev = p.t;
    if (byT.has(p.t)) dup++;
    byT.set(p.t, p.v);
  }
  if (bad) notes.push(`${bad} NaN/Inf sample${bad === 1 ? '' : 's'} dropped`);
  if (unordered) notes.push('samples out of order, sorted by time');
  if (dup) notes.push(`${dup} duplicate timestamp${dup === 1 ? '' : 's'}, the last value kept`);
  const points = [...byT].map(([t, v]) => ({ t, v }));
  if (unordered) points.sort((a, b) => a.t - b.t);
  return { points, notes };
}

/** Median interval between samples in seconds (60 when there are fewer than two). */
const stepCache = new WeakMap<readonly SeriesPoint[], number>();

export function medianStep(points: readonly SeriesPoint[]): number {
  if (points.length < 2) return 60;
  const known = stepCache.get(points);
  if (known !== undefined) return known;
  const step = computeMedianStep(points);
  stepCache.set(points, step);
  return step;
}

function computeMedianStep(points: readonly SeriesPoint[]): number {
  const d: number[] = [];
  for (let i = 1; i < points.length; i++) d.push(points[i]!.t - points[i - 1]!.t);
  d.sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)]! || 60;
}

/** Seconds after which the latest sample no longer describes `now`. */
export function staleAfter(points: readonly SeriesPoint[]): number {
  return Math.max(STALE_AFTER_SECONDS, 3 * medianStep(points));
}

/** Index of the last sample at or before t, or -1. Binary search: series are sorted. */
export function lastIndexAtOrBefore(points: readonly SeriesPoint[], t: number): number {
  let lo = 0;
  let hi = points.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.t <= t) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

/** The latest sample at or before t, if it is fresh; else why not. */
export function valueAt(points: readonly SeriesPoint[], t: number): { value: number; at: number } | { missing: string } {
  const i = lastIndexAtOrBefore(points, t);
  if (i < 0) return { missing: points.length === 0 ? `no samples in the history fetched up to ${iso(t)}` : `no sample before ${iso(t)} (the series starts ${iso(points[0]!.t)})` };
  const p = points[i]!;
  const age = t - p.t;
  if (age > staleAfter(points)) return { missing: `the latest sample is from ${iso(p.t)}, ${duration(age)} before ${iso(t)}, so it is stale` };
  return { value: p.v, at: p.t };
}

/** Samples with from ≤ t ≤ to. */
export function between(points: readonly SeriesPoint[], from: number, to: number): SeriesPoint[] {
  const end = lastIndexAtOrBefore(points, to);
  let start = lastIndexAtOrBefore(points, from - 1e-9) + 1;
  if (start < 0) start = 0;
  return points.slice(start, end + 1);
}

/** ISO 8601 without milliseconds. */
export function iso(t: number): string {
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}

/** Unix seconds of an ISO timestamp. */
export function unix(ts: string): number {
  return Date.parse(ts) / 1000;
}

/** A duration in words: 90 → "1m30s", 3600 → "1h", 0 → "0s". */
export function duration(s: number): string {
  s = Math.round(s);
  if (s <= 0) return '0s';
  const parts: string[] = [];
  for (const [u, n] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)}${u}`);
      s %= n;
    }
    if (parts.length === 2) break;
  }
  return parts.join('');
}

/** Numbers in reasons: at most one decimal below 100, thousands separated. */
export function fmt(v: number): string {
  const r = Math.abs(v) < 100 ? Math.round(v * 10) / 10 : Math.round(v);
  return r.toLocaleString('en-US');
}

/**
 * fmt(v), with as many more decimals (up to 6) as it takes for the shown number to pass `ok`:
 * a reason's arithmetic must add up ("100.4 ÷ 100 → 2", never "100 ÷ 100 → 2").
 */
export function fmtWhere(v: number, ok: (shown: number) => boolean): string {
  for (let d = Math.abs(v) < 100 ? 1 : 0; d <= 6; d++) {
    const r = Math.round(v * 10 ** d) / 10 ** d;
    if (ok(r)) return r.toLocaleString('en-US', { maximumFractionDigits: d });
  }
  return fmt(v);
}
