/**
 * Utilisation target recommender (HPA Resource metric, averageUtilization): for a metric read from
 * a `utilization` MetricSource, `targetPerReplica` is the target use in percent of requests;
 * desired = ceil(current × utilisation / target), no change while utilisation / target is within
 * the tolerance. Utilisation is use over requests of the instances measured. Pure.
 */
import { countText, deltaText } from './metric.js';
import type { MetricTarget } from './metric.js';
import { fmt } from './series.js';
import type { Recommendation, UtilizationData } from './types.js';

export function realUseRecommendation(m: MetricTarget, agent: string, data: UtilizationData | undefined, current: number, tolerancePercent: number): { rec: Recommendation } | { problem: string } {
  const series = m.metric.series ?? '';
  const source = `utilisation ${series}`;
  const u = data?.[agent]?.[series];
  if (!u) return { problem: `metric ${m.metric.source}/${series}: no instance of Agent ${agent} has a fresh ${series} measurement (the drivers of its pools report no real use, or it runs no instance)` };
  const target = m.targetPerReplica;
  const ratio = u.percent / target;
  const of = `${u.measured} of ${countText(u.instances, 'replica').replace(/ replicas?$/, '')} instance${u.instances === 1 ? '' : 's'} measured`;
  const head = `${source} ${fmt(u.percent)} % of requests (${of}) vs target ${fmt(target)} %`;
  if (current > 0 && Math.abs(ratio - 1) <= tolerancePercent / 100) {
    return { rec: { source, replicas: current, text: `${head}, within the ${fmt(tolerancePercent)} % tolerance → keep ${current}` } };
  }
  const to = Math.max(0, Math.ceil(current * ratio - 1e-9));
  return { rec: { source, replicas: to, text: `${head} → ${countText(to, 'replica')} ${deltaText(current, to)}` } };
}
