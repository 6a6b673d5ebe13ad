/**
 * Predictive recommender (AWS predictive scaling): forecast the metric over the horizon from the
 * history before now and provision for the upper bound of the prediction interval.
 * forecastOnly shows the forecast and what it would do; forecastAndScale lets it compete.
 */
import type { ForecastHoldout } from '../forecast/types.js';
import type { ScalingPolicyDoc } from '../model/documents.js';
import { countText, deltaText } from './metric.js';
import { cleanSeries, duration, fmt, fmtWhere, iso, medianStep, staleAfter } from './series.js';
import type { ForecastFn, MetricResult, PlanForecastEntry, Recommendation } from './types.js';
import { metricLabel } from './types.js';

/** History points shown with a forecast in the plan. */
export const FORECAST_HISTORY_POINTS = 48;

export interface PredictiveResult {
  rec?: Recommendation;
  forecast?: PlanForecastEntry;
  problem?: string;
  notes: string[];
  /** The anomaly check's holdout (asked for with `holdout`), made with the forecast's own fit. */
  holdout?: { holdout: ForecastHoldout; model: string };
}

/** Forecast the policy's predictive metric at t and recommend a count for the peak upper bound. */
export function predictiveRecommendation(doc: ScalingPolicyDoc, data: MetricResult | undefined, current: number, t: number, forecast: ForecastFn, unit: 'node' | 'replica', holdout?: { points: number; level: number; longest?: number; longestSeconds?: number }): PredictiveResult {
  const p = doc.spec.predictive!;
  const label = metricLabel(p.metric);
  if (!data) return { problem: `predictive: metric ${label} was not collected`, notes: [] };
  if (data.error !== undefined) return { problem: `predictive: metric ${label}: ${data.error}`, notes: [] };
  const { points: all, notes } = cleanSeries(data.points);
  const hist = all.filter((x) => x.t <= t && x.t > t - p.lookback);
  if (hist.length < 2) return { problem: `predictive: metric ${label} has ${hist.length} sample${hist.length === 1 ? '' : 's'} in the ${duration(p.lookback)} before ${iso(t)}; a forecast needs history`, notes };
  const last = hist[hist.length - 1]!;
  if (t - last.t > staleAfter(hist)) return { problem: `predictive: metric ${label}: the latest sample is from ${iso(last.t)}, ${duration(t - last.t)} before ${iso(t)}, so it is stale (plan with --now inside the history to replay it)`, notes };
  let res;
  try {
    res = forecast(hist, { horizonSeconds: p.horizon + (t - last.t), level: 0.95, ...(holdout ? { holdout } : {}) });
  } catch (e) {
    return { problem: `predictive: forecasting ${label} failed: ${(e as Error).message}`, notes };
  }
  const pts = res.points.filter((x) => Number.isFinite(x.value) && Number.isFinite(x.upper) && Date.parse(x.timestamp) / 1000 > t && Date.parse(x.timestamp) / 1000 <= t + p.horizon + 1e-9);
  const ahead = pts.length ? pts : res.points.filter((x) => Number.isFinite(x.upper)).slice(0, 1);
  if (ahead.length === 0) return { problem: `predictive: the forecast of ${label} (${res.model}) has no points within ${duration(p.horizon)}`, notes: [...notes, ...res.warnings] };
  const peak = ahead.reduce((a, b) => (b.upper > a.upper ? b : a));
  const upper = Math.max(0, peak.upper);
  const replicas = Math.max(0, Math.ceil(upper / p.targetPerReplica - 1e-9));
  const text = `predictive (${p.mode}): ${label} forecast by ${res.model} peaks at ${fmt(peak.value)}, upper bound ${fmtWhere(upper, (r) => Math.max(0, Math.ceil(r / p.targetPerReplica - 1e-9)) === replicas)} at ${peak.timestamp} within ${duration(p.horizon)} ÷ ${fmt(p.targetPerReplica)} per ${unit} → ${countText(replicas, unit)} ${deltaText(current, replicas)}`;
  const step = medianStep(hist);
  const entry: PlanForecastEntry = {
    target: { ...doc.spec.target },
    policy: doc.metadata.name,
    series: p.metric.series ?? p.metric.query ?? '',
    model: res.model,
    horizon: p.horizon,
    step,
    origin: iso(t),
    points: ahead.map((x) => ({ timestamp: x.timestamp, value: round(x.value), lower: round(x.lower), upper: round(x.upper) })),
    history: hist.slice(-FORECAST_HISTORY_POINTS).map((x) => ({ timestamp: iso(x.t), value: round(x.v) })),
    capacity: current * p.targetPerReplica,
    mode: p.mode,
    recommendation: replicas,
    applied: false,
  };
  return { rec: { source: 'predictive', replicas, text }, forecast: entry, notes: [...notes, ...res.warnings], ...(res.holdout ? { holdout: { holdout: res.holdout, model: res.model } } : {}) };
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
