/**
 * Anomalies: a metric whose latest K samples (default 3) all lie outside the prediction interval
 * that the history before them forecast, on the same side. Stateless and deterministic: decided at
 * plan time from the metric history up to the plan's clock, like every recommendation.
 *
 * Cost: the predictive metric's check reuses the predictive forecast's fit (the forecaster's
 * `holdout`), so it costs one pass of the model's filter. Every other metric of a policy is
 * forecast once per plan (shared by the policies reading it) over at most a day of history,
 * for at most MAX_ANOMALY_CHECKS series per plan; the rest are skipped with one warning.
 */
import type { ForecastHoldout } from '../forecast/types.js';
import type { MetricRef, ScalingPolicyDoc } from '../model/documents.js';
import type { PlanAnomaly, PlanWarning } from '../model/plan.js';
import { medianStep, staleAfter } from './series.js';
import type { ForecastFn, MetricResult } from './types.js';
import { metricKey, metricLabel } from './types.js';

/** What `spec.anomalies` defaults to: on, 3 consecutive samples, a 95 % interval. */
export const DEFAULT_ANOMALY_CHECK = { enabled: true, consecutive: 3, level: 0.95 } as const;

/** Samples of history before the checked ones below which there is no check (the interval would mean little). */
export const ANOMALY_MIN_HISTORY = 12;

/** History a metric that is not the predictive one is checked against (the predictive one uses its lookback). */
export const ANOMALY_LOOKBACK_SECONDS = 86400;

/**
 * The longest run looked for: a shift is reported from its start for up to an hour (and 60
 * samples), then it is the new normal. Longer, a forecast from before the run would be hours old,
 * and a daily ramp its model does not know would look like an anomaly.
 */
export const ANOMALY_LONGEST_RUN = { longest: 60, longestSeconds: 3600 } as const;

/** Series forecast for the anomaly check alone, per plan (the predictive metrics' checks are nearly free and not counted). */
export const MAX_ANOMALY_CHECKS = 200;

export interface AnomalyCheck {
  enabled: boolean;
  consecutive: number;
  level: number;
}

export function anomalyCheck(doc: ScalingPolicyDoc): AnomalyCheck {
  return { ...DEFAULT_ANOMALY_CHECK, ...(doc.spec.anomalies ?? {}) };
}

/** Shared by the policies of one plan: each series is checked once, and the budget is the plan's. */
export interface AnomalyState {
  /** False when the caller wants no anomalies at all (qm simulate, apply's re-plan): nothing is checked. */
  enabled: boolean;
  /** By metric key, K and level: the holdout (or null when none could be made) and the model. */
  cache: Map<string, { holdout: ForecastHoldout; model: string } | null>;
  /** Checks left in the budget. */
  left: number;
  /** Series not checked for lack of budget, by policy. */
  skipped: Map<string, number>;
}

export function anomalyState(budget = MAX_ANOMALY_CHECKS, enabled = true): AnomalyState {
  return { enabled, cache: new Map(), left: budget, skipped: new Map() };
}

/** The warning of a plan whose budget ran out, if it did. */
export function anomalyBudgetWarning(state: AnomalyState, budget = MAX_ANOMALY_CHECKS): PlanWarning | undefined {
  const n = [...state.skipped.values()].reduce((a, b) => a + b, 0);
  if (n === 0) return undefined;
  return { code: 'AnomalyCheckSkipped', message: `${n} metric series of ${state.skipped.size} ScalingPolic${state.skipped.size === 1 ? 'y were' : 'ies were'} not checked for anomalies: a plan checks at most ${budget} series besides the predictive ones; set spec.anomalies.enabled: false on policies whose metrics need no check` };
}

const round = (v: number) => Math.round(v * 100) / 100;

/**
 * The anomaly the holdout shows: its points (the last k or more) all outside the interval on one
 * side. None when there are fewer than k, one is inside, the sides differ, or an interval has no width.
 */
export function anomalyOf(h: ForecastHoldout, k: number, ctx: { doc: ScalingPolicyDoc; ref: MetricRef; model: string }): PlanAnomaly | undefined {
  const pts = h.points;
  if (pts.length < k || k < 1) return undefined;
  const side = (p: ForecastHoldout['points'][number]) => (!Number.isFinite(p.deviation) ? 0 : p.value > p.upper ? 1 : p.value < p.lower ? -1 : 0);
  const first = side(pts[0]!);
  if (first === 0 || !pts.every((p) => side(p) === first)) return undefined;
  const last = pts[pts.length - 1]!;
  const { doc, ref } = ctx;
  return {
    policy: doc.metadata.name,
    target: { ...doc.spec.target },
    source: ref.source,
    series: ref.series ?? ref.query ?? '',
    metric: metricLabel(ref),
    direction: first > 0 ? 'above' : 'below',
    from: pts[0]!.timestamp,
    at: last.timestamp,
    samples: pts.length,
    level: h.level,
    model: ctx.model,
    observed: round(last.value),
    expected: round(last.expected),
    lower: round(last.lower),
    upper: round(last.upper),
    deviation: round(last.deviation),
    ...(last.expected !== 0 ? { deviationPercent: Math.round(((last.value - last.expected) / Math.abs(last.expected)) * 1000) / 10 } : {}),
    points: pts.map((p) => ({ timestamp: p.timestamp, value: round(p.value), expected: round(p.expected), lower: round(p.lower), upper: round(p.upper) })),
  };
}

/**
 * Check one metric that the predictive path did not forecast: the history up to t (at most a
 * day), fresh, long enough; forecast once per plan per series, within the budget.
 */
export function checkMetric(doc: ScalingPolicyDoc, ref: MetricRef, data: MetricResult | undefined, t: number, forecast: ForecastFn, cfg: AnomalyCheck, state: AnomalyState): PlanAnomaly | undefined {
  if (!data || data.error !== undefined) return undefined;
  const key = `${metricKey(ref)}\u0000${cfg.consecutive}\u0000${cfg.level}`;
  let hit = state.cache.get(key);
  if (hit === undefined) {
    const hist = data.points.filter((p) => p.t <= t && p.t > t - ANOMALY_LOOKBACK_SECONDS);
    const last = hist[hist.length - 1];
    // A stale series says nothing about now; a short one gives no interval worth leaving.
    if (!last || t - last.t > staleAfter(hist) || hist.length < ANOMALY_MIN_HISTORY + cfg.consecutive) return undefined;
    if (state.left <= 0) {
      state.skipped.set(doc.metadata.name, (state.skipped.get(doc.metadata.name) ?? 0) + 1);
      return undefined;
    }
    state.left--;
    try {
      const res = forecast(hist, { horizonSeconds: cfg.consecutive * medianStep(hist), level: cfg.level, holdout: { points: cfg.consecutive, level: cfg.level, ...ANOMALY_LONGEST_RUN } });
      hit = res.holdout ? { holdout: res.holdout, model: res.model } : null;
    } catch {
      // The metric's own recommendations report a series that cannot be forecast; the check just has nothing to say.
      hit = null;
    }
    state.cache.set(key, hit);
  }
  return hit ? anomalyOf(hit.holdout, cfg.consecutive, { doc, ref, model: hit.model }) : undefined;
}

/** The policy's metrics other than the predictive one, each once, in the order the policy lists them. */
export function otherMetrics(doc: ScalingPolicyDoc): MetricRef[] {
  const s = doc.spec;
  const seen = new Set(s.predictive ? [metricKey(s.predictive.metric)] : []);
  const out: MetricRef[] = [];
  for (const ref of [...s.metrics.map((m) => m.metric), ...s.triggers.map((x) => x.metric)]) {
    const k = metricKey(ref);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(ref);
  }
  return out;
}

/** Plan order: by policy, then metric, then time. */
export function sortAnomalies(list: PlanAnomaly[]): PlanAnomaly[] {
  const key = (a: PlanAnomaly) => `${a.policy}\u0000${a.metric}\u0000${a.at}`;
  return list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
