/**
 * Real use in `qm serve` (issue #15): one usage sample per measured instance per reconcile for the
 * state store (the minute of its measurement; recording a minute again replaces it), and the
 * per-agent totals the metrics export in Prometheus base units. Pure.
 */
import type { ObservedState } from '../model/state.js';
import type { UsageSample } from '../model/usage.js';
import { usageByTarget } from '../model/usage-summary.js';

/** The resources exported, their label value and the factor from canonical to base units (cores, bytes, devices). */
export const EXPORTED: readonly { key: string; resource: string; factor: number }[] = [
  { key: 'cpuMillis', resource: 'cpu', factor: 1 / 1000 },
  { key: 'memoryBytes', resource: 'memory', factor: 1 },
  { key: 'gpuMillis', resource: 'gpu', factor: 1 / 1000 },
];

/** ISO 8601 UTC truncated to the minute, or undefined for a time that is not one. */
export function minuteOf(at: string): string | undefined {
  const ms = Date.parse(at);
  if (!Number.isFinite(ms)) return undefined;
  return new Date(ms - (((ms % 60_000) + 60_000) % 60_000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** One sample per measured instance (its first copy when it runs twice), sorted by instance. */
export function usageSamples(observed: ObservedState): UsageSample[] {
  const poolOf = new Map(observed.nodes.map((n) => [n.name, n.pool]));
  const seen = new Set<string>();
  const out: UsageSample[] = [];
  // Instances measured in one observation share their time: convert each distinct one once.
  const minutes = new Map<string, string | undefined>();
  for (const i of observed.instances) {
    if (!i.usage || seen.has(i.name)) continue;
    let at = minutes.get(i.usage.at);
    if (at === undefined && !minutes.has(i.usage.at)) minutes.set(i.usage.at, (at = minuteOf(i.usage.at)));
    const pool = poolOf.get(i.node);
    if (!at || pool === undefined || Object.keys(i.usage.use).length === 0) continue;
    seen.add(i.name);
    out.push({ at, instance: i.name, agent: i.agent, pool, node: i.node, use: { ...i.usage.use } });
  }
  return out.sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0));
}

export interface AgentUsageGauge {
  agent: string;
  resource: string;
  requests: number;
  /** Absent when no instance of the agent measured this resource. */
  use?: number;
  measured: number;
}

/** Per agent and exported resource: requests of its instances and use of the measured ones, in base units. */
export function agentGauges(observed: ObservedState): { rows: AgentUsageGauge[]; measured: Map<string, number> } {
  const rows: AgentUsageGauge[] = [];
  const measured = new Map<string, number>();
  for (const { name, totals } of usageByTarget(observed.instances, observed.nodes).agents) {
    measured.set(name, totals.measured);
    for (const e of EXPORTED) {
      const req = totals.requests[e.key];
      const use = totals.use[e.key];
      if (req === undefined && use === undefined) continue;
      rows.push({ agent: name, resource: e.resource, requests: (req ?? 0) * e.factor, ...(use !== undefined ? { use: use * e.factor } : {}), measured: totals.measured });
    }
  }
  return { rows, measured };
}
