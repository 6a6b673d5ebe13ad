/**
 * Metric target recommender (HPA / KEDA): desired = ceil(current × value / target), where value is
 * the per-replica average; with a metric that sums over the target (`sum(...)`), that is
 * ceil(total / targetPerReplica). No change while value / (current × target) is within the tolerance.
 */
import type { MetricRef } from '../model/documents.js';
import { fmt, fmtWhere, valueAt } from './series.js';
import type { MetricResult, Recommendation } from './types.js';
import { metricLabel } from './types.js';

export interface MetricTarget {
  metric: MetricRef;
  targetPerReplica: number;
}

/** "3 nodes", "1 replica". */
export function countText(n: number, unit: 'node' | 'replica'): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** "(+2)", "(−1)", "(no change)". */
export function deltaText(from: number, to: number): string {
  return to === from ? '(no change)' : to > from ? `(+${to - from})` : `(−${from - to})`;
}

/** The metric target's recommendation at time t, or why there is none. */
export function metricRecommendation(m: MetricTarget, data: MetricResult | undefined, current: number, tolerancePercent: number, t: number, unit: 'node' | 'replica'): { rec: Recommendation } | { problem: string } {
  const label = metricLabel(m.metric);
  if (!data) return { problem: `metric ${label} was not collected` };
  if (data.error !== undefined) return { problem: `metric ${label}: ${data.error}` };
  const v = valueAt(data.points, t);
  if ('missing' in v) return { problem: `metric ${label}: ${v.missing}` };
  const value = Math.max(0, v.value);
  const raw = Math.max(0, Math.ceil(value / m.targetPerReplica - 1e-9));
  const ratio = current > 0 ? value / (current * m.targetPerReplica) : Infinity;
  const source = `metric ${label}`;
  const head = `${source} = ${fmt(value)} ÷ ${fmt(m.targetPerReplica)} per ${unit}`;
  if (current > 0 && Math.abs(ratio - 1) <= tolerancePercent / 100) {
    return { rec: { source, replicas: current, text: `${head} = ${fmt(value / m.targetPerReplica)}, within the ${fmt(tolerancePercent)} % tolerance of ${countText(current, unit)} → keep ${current}` } };
  }
  const shown = fmtWhere(value, (r) => Math.max(0, Math.ceil(r / m.targetPerReplica - 1e-9)) === raw);
  return { rec: { source, replicas: raw, text: `${source} = ${shown} ÷ ${fmt(m.targetPerReplica)} per ${unit} → ${countText(raw, unit)} ${deltaText(current, raw)}` } };
}
