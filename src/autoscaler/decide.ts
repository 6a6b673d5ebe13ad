/**
 * One ScalingPolicy's decision: gather the recommendations, take the largest, clamp to the bounds
 * of the open schedules and [min, max], then apply behaviour (stabilization, the safety rule for
 * missing metrics, cooldown, maxStep/maxPercent, deny windows). Every step that changed the count
 * is named in the reason. Pure.
 */
import type { ScalingPolicyDoc } from '../model/documents.js';
import type { PlanAnomaly } from '../model/plan.js';
import { ANOMALY_LONGEST_RUN, anomalyCheck, anomalyOf, anomalyState, checkMetric, otherMetrics } from './anomaly.js';
import type { AnomalyState } from './anomaly.js';
import type { ScalingEvent } from '../model/state.js';
import { cooldownHold, stepLimit } from './behavior.js';
import { countText, metricRecommendation } from './metric.js';
import { predictiveRecommendation } from './predictive.js';
import { boundsAt, disruptionBlocked } from './schedule.js';
import { between, cleanSeries, duration, iso } from './series.js';
import { triggerRecommendation } from './trigger.js';
import type { AutoscaleWarning, ForecastFn, MetricData, MetricResult, PlanForecastEntry, PoolFacts, Recommendation, ScalingDecision, UtilizationData } from './types.js';
import { realUseRecommendation } from './real-use.js';
import { metricKey, metricLabel } from './types.js';
import { utilizationRecommendation } from './utilization.js';

export interface DecideInput {
  doc: ScalingPolicyDoc;
  current: number;
  /** Hard bounds of the target (a pool's size), besides the policy's own. */
  hard: { min: number; max: number; what: string };
  metrics: MetricData;
  history: readonly ScalingEvent[];
  t: number;
  forecast: ForecastFn;
  facts?: PoolFacts;
  cache?: SeriesCache;
  /** Agent targets: MetricSources of kind utilization, and the measured figures (real-use.ts). */
  utilization?: { sources: ReadonlySet<string>; data: UtilizationData | undefined };
  /** The plan's anomaly checks so far (each series once, one budget); a fresh one when absent. */
  anomalies?: AnomalyState;
}

export interface DecideOutput {
  decision: ScalingDecision;
  forecast?: PlanForecastEntry;
  warnings: AutoscaleWarning[];
  /** Metrics of the policy outside their forecast's interval (they never change the count). */
  anomalies: PlanAnomaly[];
}

/**
 * At most this many past moments are re-evaluated for a stabilization window; a denser window is
 * thinned evenly over its whole length (never cut to its newest part, which would forget a peak).
 */
const MAX_STABILIZATION_SAMPLES = 5000;

/** Cleaned series, shared by the policies of one run: each is repaired (and its repairs reported) once. */
export type SeriesCache = Map<string, MetricResult>;

/** The referenced metrics of the policy, cleaned (sorted, de-duplicated, finite). */
function cleaned(doc: ScalingPolicyDoc, metrics: MetricData, cache: SeriesCache, warn: (code: string, m: string) => void): Map<string, MetricResult> {
  const out = new Map<string, MetricResult>();
  const s = doc.spec;
  const refs = [...s.metrics.map((m) => m.metric), ...s.triggers.map((t) => t.metric), ...(s.predictive ? [s.predictive.metric] : [])];
  for (const ref of refs) {
    const k = metricKey(ref);
    if (out.has(k)) continue;
    let c = cache.get(k);
    if (!c) {
      const r = metrics[k];
      if (!r) continue;
      if (r.error !== undefined) c = r;
      else {
        const cs = cleanSeries(r.points);
        if (cs.notes.length) warn('MetricRepaired', `ScalingPolicy ${doc.metadata.name}: metric ${metricLabel(ref)}: ${cs.notes.join('; ')}`);
        c = { points: cs.points };
      }
      cache.set(k, c);
    }
    out.set(k, c);
  }
  return out;
}

/** Metric and trigger recommendations at time t (those that can be re-evaluated from history). */
function historical(doc: ScalingPolicyDoc, series: ReadonlyMap<string, MetricResult>, current: number, t: number, unit: 'node' | 'replica', skip: ReadonlySet<string> = NONE): { recs: Recommendation[]; problems: string[]; lost: Set<string> } {
  const recs: Recommendation[] = [];
  const problems: string[] = [];
  /** The metrics (by key) behind the problems: one metric used twice is one metric lost. */
  const lost = new Set<string>();
  for (const m of doc.spec.metrics) {
    // Utilisation targets have no history: they are judged once, on the plan's measurement.
    if (skip.has(m.metric.source)) continue;
    const r = metricRecommendation(m, series.get(metricKey(m.metric)), current, doc.spec.tolerancePercent, t, unit);
    if ('rec' in r) recs.push(r.rec);
    else {
      problems.push(r.problem);
      lost.add(metricKey(m.metric));
    }
  }
  for (const tr of doc.spec.triggers) {
    const r = triggerRecommendation(tr, series.get(metricKey(tr.metric)), current, t, unit);
    if ('problem' in r) {
      problems.push(r.problem);
      lost.add(metricKey(tr.metric));
    } else if (r.rec) recs.push(r.rec);
  }
  return { recs, problems, lost };
}

const NONE: ReadonlySet<string> = new Set();

const highest = (recs: readonly Recommendation[]): Recommendation | undefined => recs.reduce<Recommendation | undefined>((a, b) => (a === undefined || b.replicas > a.replicas ? b : a), undefined);

/** Decide one policy. */
export function decide(input: DecideInput): DecideOutput {
  const { doc, current, t } = input;
  const spec = doc.spec;
  const unit = spec.target.kind === 'Pool' ? 'node' : 'replica';
  const warnings: AutoscaleWarning[] = [];
  const name = doc.metadata.name;
  const warn = (code: string, message: string) => warnings.push({ code, message });
  const series = cleaned(doc, input.metrics, input.cache ?? new Map(), warn);

  const recs: Recommendation[] = [];
  if (input.facts) recs.push(utilizationRecommendation(spec, input.facts));
  const skip = input.utilization?.sources ?? NONE;
  const now = historical(doc, series, current, t, unit, skip);
  const problems = [...now.problems];
  const lost = new Set(now.lost);
  const realUse: Recommendation[] = [];
  for (const m of spec.metrics) {
    if (!skip.has(m.metric.source)) continue;
    const r = realUseRecommendation(m, spec.target.name, input.utilization?.data, current, spec.tolerancePercent);
    if ('rec' in r) realUse.push(r.rec);
    else {
      problems.push(r.problem);
      lost.add(metricKey(m.metric));
    }
  }
  recs.push(...realUse, ...now.recs);
  let forecast: PlanForecastEntry | undefined;
  const state = input.anomalies ?? anomalyState();
  const check = anomalyCheck(doc);
  check.enabled &&= state.enabled;
  const anomalies: PlanAnomaly[] = [];
  if (spec.predictive) {
    const holdout = check.enabled ? { points: check.consecutive, level: check.level, ...ANOMALY_LONGEST_RUN } : undefined;
    const p = predictiveRecommendation(doc, series.get(metricKey(spec.predictive.metric)), current, t, input.forecast, unit, holdout);
    const a = p.holdout && anomalyOf(p.holdout.holdout, check.consecutive, { doc, ref: spec.predictive.metric, model: p.holdout.model });
    if (a) anomalies.push(a);
    if (p.problem) {
      problems.push(p.problem);
      lost.add(metricKey(spec.predictive.metric));
    }
    // Notes on how the history was prepared travel with the forecast they describe; only when no
    // forecast came of it are they a warning, beside the problem that stopped it.
    if (p.notes.length && !p.forecast) warn('Forecast', `ScalingPolicy ${name}: ${p.notes.join('; ')}`);
    forecast = p.forecast && p.notes.length ? { ...p.forecast, notes: [...p.notes] } : p.forecast;
    if (p.rec && spec.predictive.mode === 'forecastAndScale') recs.push(p.rec);
  }
  if (check.enabled) {
    for (const ref of otherMetrics(doc)) {
      const a = checkMetric(doc, ref, series.get(metricKey(ref)), t, input.forecast, check, state);
      if (a) anomalies.push(a);
    }
  }
  for (const p of problems) warn('MetricUnavailable', `ScalingPolicy ${name}: ${p}; its recommendation is left out and the target is not scaled down`);

  const limits: string[] = [];
  const winner = highest(recs);
  let desired = winner?.replicas ?? current;
  let why = winner?.text ?? `no recommendation${problems.length ? ' (metrics unavailable)' : ''} → keep ${countText(current, unit)}`;
  const others = recs.filter((r) => r !== winner);
  if (others.length) why += ` (over ${others.map((r) => `${r.source} ${r.replicas}`).join(', ')})`;

  // Stabilization (HPA): down takes the highest, up the lowest recommendation within the window,
  // re-evaluated at every sample time from the metric history.
  const dir = desired > current ? 'up' : desired < current ? 'down' : undefined;
  if (dir) {
    const rule = dir === 'up' ? spec.behavior.scaleUp : spec.behavior.scaleDown;
    if (rule.stabilizationWindow > 0) {
      const times = new Set<number>();
      for (const ref of [...spec.metrics.map((m) => m.metric), ...spec.triggers.map((x) => x.metric)]) {
        const s = series.get(metricKey(ref));
        if (s && s.error === undefined) for (const p of between(s.points, t - rule.stabilizationWindow, t - 1e-6)) times.add(p.t);
      }
      const fixed = recs.filter((r) => r.source === 'utilisation' || r.source === 'predictive' || realUse.includes(r));
      let bound = desired;
      let at: number | undefined;
      const sorted = [...times].sort((a, b) => b - a);
      const stride = Math.ceil(sorted.length / MAX_STABILIZATION_SAMPLES);
      for (const s of stride > 1 ? sorted.filter((_, i) => i % stride === 0) : sorted) {
        const past = highest([...fixed, ...historical(doc, series, current, s, unit, skip).recs])?.replicas;
        if (past === undefined) continue;
        if (dir === 'down' ? past > bound : past < bound) [bound, at] = [past, s];
      }
      // The extreme recommendation in the window, as seen; the count never moves the other way.
      const seen = bound;
      bound = dir === 'down' ? Math.min(bound, current) : Math.max(bound, current);
      if (bound !== desired) {
        limits.push(`scale${dir === 'up' ? 'Up' : 'Down'}.stabilizationWindow ${duration(rule.stabilizationWindow)}`);
        why += `; stabilized by scale${dir === 'up' ? 'Up' : 'Down'}.stabilizationWindow ${duration(rule.stabilizationWindow)}: the ${dir === 'down' ? 'highest' : 'lowest'} recommendation in it was ${seen}${at !== undefined ? ` at ${iso(at)}` : ''} → ${bound}${seen !== bound ? ` (never ${dir === 'down' ? 'above' : 'below'} the current ${current})` : ''}`;
        desired = bound;
      }
    }
  }
  // A source that is down never causes a scale-down: without it we cannot know the load.
  if (desired < current && lost.size) {
    limits.push('metrics unavailable');
    why += `; held at ${current}: ${lost.size} metric${lost.size === 1 ? ' is' : 's are'} unavailable, so no scale-down`;
    desired = current;
  }

  // Bounds: the policy's [min, max], the target's hard bounds, and every open schedule.
  const b = boundsAt(spec, t, input.hard);
  for (const p of b.problems) warn('ScheduleIgnored', `ScalingPolicy ${name}: ${p}`);
  const hardMin = Math.max(spec.min, input.hard.min);
  const hardMax = Math.min(spec.max, input.hard.max);
  let boundsForced = false;
  if (b.conflict) {
    const keep = Math.min(Math.max(current, hardMin), Math.max(hardMin, hardMax));
    warn('ScalingBoundsConflict', `ScalingPolicy ${name}: at ${iso(t)} ${b.conflict}; keeping ${countText(keep, unit)} (within spec.min/spec.max) until they agree`);
    limits.push('bounds conflict');
    why += `; bounds conflict (${b.conflict}) → keep ${keep}`;
    desired = keep;
    boundsForced = keep !== current;
  } else if (desired < b.min) {
    limits.push(b.minFrom);
    why += `; raised to ${b.minFrom}`;
    desired = b.min;
    boundsForced = current < b.min;
  } else if (desired > b.max) {
    limits.push(b.maxFrom);
    why += `; capped at ${b.maxFrom}`;
    desired = b.max;
    boundsForced = current > b.max;
  }

  // Behaviour: cooldown and step limits govern recommendations inside the bounds; bringing the
  // count back within the bounds is not rate-limited (as the HPA does for min/max).
  if (desired !== current && !boundsForced) {
    const d = desired > current ? 'up' : 'down';
    const rule = d === 'up' ? spec.behavior.scaleUp : spec.behavior.scaleDown;
    const hold = cooldownHold(input.history, spec.target, t, rule, d);
    if (hold) {
      limits.push(`scale${d === 'up' ? 'Up' : 'Down'}.cooldown`);
      why += `; held at ${current} by ${hold}`;
      desired = current;
    } else {
      const s = stepLimit(current, desired, rule, d);
      if (s.limit) {
        limits.push(s.limit.replace(/^limited by /, '').replace(/ → \d+$/, ''));
        why += `; ${s.limit}`;
        desired = s.to;
      }
    }
    // A count that starts outside the bounds is brought inside even when a limit held the change.
    if (!b.conflict && desired < b.min) {
      limits.push(b.minFrom);
      why += `; at least ${b.minFrom} → ${b.min}`;
      desired = b.min;
    } else if (!b.conflict && desired > b.max) {
      limits.push(b.maxFrom);
      why += `; at most ${b.maxFrom} → ${b.max}`;
      desired = b.max;
    }
  }
  if (desired < current) {
    const w = disruptionBlocked(spec.windows, t);
    for (const p of w.problems) warn('WindowIgnored', `ScalingPolicy ${name}: ${p}`);
    if (w.blocked) {
      limits.push('window');
      why += `; no scale-down now: ${w.blocked}`;
      desired = current;
    }
  }
  if (forecast) {
    forecast.capacity = desired * spec.predictive!.targetPerReplica;
    forecast.applied = spec.predictive!.mode === 'forecastAndScale' && winner?.source === 'predictive' && desired !== current;
    if (spec.predictive!.mode === 'forecastOnly') why += `; predictive (forecastOnly) would recommend ${countText(forecast.recommendation, unit)}`;
  }
  return { decision: { policy: name, target: { ...spec.target }, from: current, to: desired, reason: why, limits, recommendations: recs }, ...(forecast ? { forecast } : {}), warnings, anomalies };
}
