/**
 * The autoscaler: every ScalingPolicy → a decision for its Pool or Agent, the forecasts to show,
 * and warnings. Pure over (documents, observed state, metric data, clock, pool facts).
 */
import type { ScalingPolicyDoc } from '../model/documents.js';
import { decide } from './decide.js';
import type { SeriesCache } from './decide.js';
import { fallbackForecast } from './fallback-forecast.js';
import { unix } from './series.js';
import type { AutoscaleInput, AutoscaleOutput } from './types.js';
import { lastScaling } from './behavior.js';
import { anomalyState } from './anomaly.js';

/** The replica count an Agent under a ScalingPolicy has now: what runs, else what was last decided, else spec.replicas. */
export function currentReplicas(input: Pick<AutoscaleInput, 'policy' | 'observed' | 'now'>, agent: string): number {
  const running = input.observed.instances.filter((i) => i.agent === agent).length;
  if (running > 0) return running;
  const last = lastScaling(input.observed.scalingHistory, { kind: 'Agent', name: agent }, unix(input.now));
  if (last) return last.to;
  return input.policy.agents.find((a) => a.metadata.name === agent)?.spec.replicas ?? 0;
}

/** Decide every scaling policy. */
export function autoscale(input: AutoscaleInput): AutoscaleOutput {
  const out: AutoscaleOutput = { pools: [], agents: [], forecasts: [], warnings: [], anomalies: [] };
  const t = unix(input.now);
  if (!Number.isFinite(t)) {
    out.warnings.push({ code: 'Autoscaler', message: `the plan clock '${input.now}' is not an ISO 8601 time; nothing is autoscaled` });
    return out;
  }
  const forecast = input.forecast ?? fallbackForecast;
  const seen = new Map<string, ScalingPolicyDoc>();
  const cache: SeriesCache = new Map();
  const sources = new Set(input.policy.metricSources.filter((m) => m.spec.utilization).map((m) => m.metadata.name));
  const anomalies = input.anomalies ?? anomalyState();
  for (const doc of input.policy.scalingPolicies) {
    const { kind, name } = doc.spec.target;
    const key = `${kind}/${name}`;
    const first = seen.get(key);
    if (first) {
      out.warnings.push({ code: 'Autoscaler', message: `ScalingPolicy ${doc.metadata.name} targets ${kind} ${name}, which ScalingPolicy ${first.metadata.name} already scales; it is ignored` });
      continue;
    }
    seen.set(key, doc);
    const common = { doc, metrics: input.metrics, history: input.observed.scalingHistory, t, forecast, cache, anomalies };
    if (kind === 'Pool') {
      const pool = input.policy.pools.find((p) => p.metadata.name === name);
      if (!pool) {
        out.warnings.push({ code: 'Autoscaler', message: `ScalingPolicy ${doc.metadata.name} targets Pool ${name}, which does not exist; it is ignored` });
        continue;
      }
      if (pool.spec.nodes) {
        out.warnings.push({ code: 'Autoscaler', message: `ScalingPolicy ${doc.metadata.name} targets the static Pool ${name}, whose nodes are listed in spec.nodes; static pools never scale` });
        continue;
      }
      const facts = input.poolFacts?.get(name);
      const current = facts?.current ?? input.observed.nodes.filter((n) => n.pool === name).length;
      const r = decide({ ...common, current, hard: { min: pool.spec.size.min, max: pool.spec.size.max, what: `Pool ${name} size` }, ...(facts ? { facts } : {}) });
      out.pools.push({ pool: name, ...r.decision });
      if (r.forecast) out.forecasts.push(r.forecast);
      out.warnings.push(...r.warnings);
      out.anomalies.push(...r.anomalies);
    } else {
      if (!input.policy.agents.some((a) => a.metadata.name === name)) {
        out.warnings.push({ code: 'Autoscaler', message: `ScalingPolicy ${doc.metadata.name} targets Agent ${name}, which does not exist; it is ignored` });
        continue;
      }
      const r = decide({ ...common, current: currentReplicas(input, name), hard: { min: 0, max: Number.MAX_SAFE_INTEGER, what: `Agent ${name}` }, ...(sources.size ? { utilization: { sources, data: input.utilization } } : {}) });
      out.agents.push({ agent: name, ...r.decision });
      if (r.forecast) out.forecasts.push(r.forecast);
      out.warnings.push(...r.warnings);
      out.anomalies.push(...r.anomalies);
    }
  }
  return out;
}
