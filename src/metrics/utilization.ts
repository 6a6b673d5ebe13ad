/**
 * The `utilization` MetricSource (issue #15): real use over requests of an Agent's instances, as
 * the drivers measured it, for ScalingPolicies that target it the HPA way (a Resource metric with
 * averageUtilization). Measured once per plan from the observed fleet and recorded in the plan's
 * inputs, so re-planning at apply time reads the same figures. Pure.
 */
import type { MetricSourceDoc, PolicySet } from '../model/documents.js';
import type { ObservedState } from '../model/state.js';
import type { UtilizationData } from '../autoscaler/types.js';
import { STALE_AFTER_SECONDS } from '../autoscaler/types.js';

/** The resources a utilization metric names in `series`, and their canonical keys. */
export const UTILIZATION_SERIES = { cpu: 'cpuMillis', memory: 'memoryBytes', gpu: 'gpuMillis' } as const;
export type UtilizationSeries = keyof typeof UTILIZATION_SERIES;

export const isUtilizationSource = (s: MetricSourceDoc | undefined): boolean => Boolean(s?.spec.utilization);

/** Names of the MetricSources of kind utilization. */
export function utilizationSources(policy: PolicySet): Set<string> {
  return new Set(policy.metricSources.filter(isUtilizationSource).map((s) => s.metadata.name));
}

/** The (agent, resource) pairs the ScalingPolicies' metrics read from utilization sources. */
export function utilizationWanted(policy: PolicySet): { agent: string; series: UtilizationSeries }[] {
  const sources = utilizationSources(policy);
  const out: { agent: string; series: UtilizationSeries }[] = [];
  if (sources.size === 0) return out;
  for (const doc of policy.scalingPolicies) {
    if (doc.spec.target.kind !== 'Agent') continue;
    for (const m of doc.spec.metrics) {
      const series = m.metric.series as UtilizationSeries | undefined;
      if (sources.has(m.metric.source) && series !== undefined && series in UTILIZATION_SERIES) out.push({ agent: doc.spec.target.name, series });
    }
  }
  return out;
}

/** Whether planning needs real use measured (some ScalingPolicy targets utilisation). */
export function usesUtilization(policy: PolicySet): boolean {
  return utilizationWanted(policy).length > 0;
}

/**
 * For each wanted (agent, resource): use over requests, in percent, of the agent's instances with a
 * fresh measurement (no older than STALE_AFTER_SECONDS before `now`, never after it). Sorted keys.
 */
export function measureUtilization(policy: PolicySet, observed: ObservedState, now: string): UtilizationData {
  const t = Date.parse(now);
  const out: Record<string, Record<string, { percent: number; measured: number; instances: number; at: string }>> = {};
  for (const w of utilizationWanted(policy).sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : a.series < b.series ? -1 : a.series > b.series ? 1 : 0))) {
    if (out[w.agent]?.[w.series]) continue;
    const key = UTILIZATION_SERIES[w.series];
    const mine = observed.instances.filter((i) => i.agent === w.agent);
    let use = 0;
    let req = 0;
    let measured = 0;
    let at = '';
    for (const i of mine) {
      const u = i.usage;
      const v = u?.use[key];
      const r = i.requests[key];
      if (!u || v === undefined || !(r !== undefined && r > 0)) continue;
      const age = (t - Date.parse(u.at)) / 1000;
      if (!(age >= 0 && age <= STALE_AFTER_SECONDS)) continue;
      use += v;
      req += r;
      measured++;
      if (u.at > at) at = u.at;
    }
    if (measured === 0) continue;
    (out[w.agent] ??= {})[w.series] = { percent: Math.round((use / req) * 100 * 1000) / 1000, measured, instances: mine.length, at };
  }
  return out;
}
