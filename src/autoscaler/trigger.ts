/**
 * Step triggers (KEDA / CloudWatch alarms): when a metric stays beyond a threshold for `for`
 * seconds, change the count by a step or to a value. A trigger that does not fire recommends nothing.
 */
import type { ScalingPolicySpec } from '../model/documents.js';
import { countText, deltaText } from './metric.js';
import { between, duration, fmtWhere, medianStep, valueAt } from './series.js';
import type { MetricResult, Recommendation } from './types.js';
import { metricLabel } from './types.js';

export type Trigger = ScalingPolicySpec['triggers'][number];

const OPS = { gt: '>', gte: '≥', lt: '<', lte: '≤' } as const;

function holds(op: Trigger['operator'], v: number, threshold: number): boolean {
  switch (op) {
    case 'gt': return v > threshold;
    case 'gte': return v >= threshold;
    case 'lt': return v < threshold;
    case 'lte': return v <= threshold;
  }
}

/**
 * The trigger's recommendation at t: fires when every sample in [t − for, t] holds the condition,
 * the latest one is fresh, and the samples reach back to t − for (a gap in the data never fires).
 * When no sample falls inside (a `for` shorter than the sampling interval), the one in effect counts.
 */
export function triggerRecommendation(tr: Trigger, data: MetricResult | undefined, current: number, t: number, unit: 'node' | 'replica'): { rec?: Recommendation } | { problem: string } {
  const label = metricLabel(tr.metric);
  if (!data) return { problem: `trigger ${tr.name}: metric ${label} was not collected` };
  if (data.error !== undefined) return { problem: `trigger ${tr.name}: metric ${label}: ${data.error}` };
  const latest = valueAt(data.points, t);
  if ('missing' in latest) return { problem: `trigger ${tr.name}: metric ${label}: ${latest.missing}` };
  if (tr.change.by === undefined && tr.change.to === undefined) return { problem: `trigger ${tr.name} has neither change.by nor change.to; it is ignored` };
  // With no sample inside the window (a `for` shorter than the sampling interval), the latest one,
  // taken at most one sampling interval before the window opened, is the value in effect throughout it.
  const inside = tr.for > 0 ? between(data.points, t - tr.for, t) : [];
  const inEffect = tr.for === 0 || t - tr.for - latest.at <= medianStep(data.points) ? [{ t: latest.at, v: latest.value }] : [];
  const span = inside.length ? inside : inEffect;
  if (span.length === 0 || !span.every((p) => holds(tr.operator, p.v, tr.threshold))) return {};
  // The window must be covered: the first sample in it no later than one sampling interval after its start.
  if (tr.for > 0 && span[0]!.t - (t - tr.for) > medianStep(data.points)) return {};
  const to = Math.max(0, tr.change.to ?? current + tr.change.by!);
  // Shown so that the condition visibly holds: never "> 80 (now 80)" for 80.04.
  const threshold = fmtWhere(tr.threshold, (r) => r === tr.threshold);
  const now = fmtWhere(latest.value, (r) => holds(tr.operator, r, tr.threshold));
  const cond = `${label} ${OPS[tr.operator]} ${threshold}${tr.for > 0 ? ` for ${duration(tr.for)}` : ''} (now ${now})`;
  const change = tr.change.to !== undefined ? `to ${tr.change.to}` : `${tr.change.by! >= 0 ? '+' : '−'}${Math.abs(tr.change.by!)}`;
  return { rec: { source: `trigger ${tr.name}`, replicas: to, text: `trigger ${tr.name}: ${cond} → ${change} = ${countText(to, unit)} ${deltaText(current, to)}` } };
}
