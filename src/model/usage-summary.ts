/**
 * Requests next to real use, summed per agent or pool (issue #15): what `qm status` shows, what
 * `qm serve` exports and what utilisation targets read. Pure.
 */
import type { ResourceList } from './quantity.js';
import type { ObservedInstance, ObservedNode } from './state.js';

export interface UsageTotals {
  instances: number;
  /** Instances with a usage figure. */
  measured: number;
  /** Requests of all the instances. */
  requests: ResourceList;
  /** Requests of the measured instances only, per resource measured (what `use` compares with). */
  measuredRequests: ResourceList;
  /** Use summed over the measured instances, per resource measured on at least one. */
  use: ResourceList;
  /** Newest measurement. */
  at?: string;
}

/** Sum requests and use over instances. */
export function totals(instances: readonly ObservedInstance[]): UsageTotals {
  const t: UsageTotals = { instances: instances.length, measured: 0, requests: {}, measuredRequests: {}, use: {} };
  for (const i of instances) {
    for (const [k, v] of Object.entries(i.requests)) t.requests[k] = (t.requests[k] ?? 0) + v;
    if (!i.usage) continue;
    t.measured++;
    if (t.at === undefined || i.usage.at > t.at) t.at = i.usage.at;
    for (const [k, v] of Object.entries(i.usage.use)) {
      t.use[k] = (t.use[k] ?? 0) + v;
      t.measuredRequests[k] = (t.measuredRequests[k] ?? 0) + (i.requests[k] ?? 0);
    }
  }
  return t;
}

/** Use over requests of the measured instances, in percent, per resource that has both; the HPA's utilisation. */
export function utilizationPercent(t: UsageTotals): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, used] of Object.entries(t.use)) {
    const req = t.measuredRequests[k];
    if (req && req > 0) out[k] = (used / req) * 100;
  }
  return out;
}

export interface UsageByTarget {
  agents: { name: string; totals: UsageTotals }[];
  pools: { name: string; totals: UsageTotals }[];
}

/** Per agent and per pool (through each instance's node), sorted by name. */
export function usageByTarget(instances: readonly ObservedInstance[], nodes: readonly ObservedNode[], agents: readonly string[] = [], pools: readonly string[] = []): UsageByTarget {
  const poolOf = new Map(nodes.map((n) => [n.name, n.pool]));
  const byAgent = new Map<string, ObservedInstance[]>(agents.map((a) => [a, []]));
  const byPool = new Map<string, ObservedInstance[]>(pools.map((p) => [p, []]));
  const add = (m: Map<string, ObservedInstance[]>, key: string, i: ObservedInstance) => {
    const list = m.get(key);
    if (list) list.push(i);
    else m.set(key, [i]);
  };
  for (const i of instances) {
    add(byAgent, i.agent, i);
    const pool = poolOf.get(i.node);
    if (pool !== undefined) add(byPool, pool, i);
  }
  const sorted = (m: Map<string, ObservedInstance[]>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, list]) => ({ name, totals: totals(list) }));
  return { agents: sorted(byAgent), pools: sorted(byPool) };
}
