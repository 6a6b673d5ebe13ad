/**
 * The simulation loop: at each step, the planner (makePlan — the same autoscaler and scheduler as
 * `qm plan`) on the simulated fleet at the step's clock with the history up to it, then its actions
 * applied to the simulated fleet, then the fleet measured. Pure and deterministic: no wall clock,
 * no randomness beyond the planner's fixed seed.
 */
import type { ForecastFn } from '../autoscaler/index.js';
import type { PolicySet } from '../model/documents.js';
import type { ObservedState } from '../model/state.js';
import { resourceName } from '../model/quantity.js';
import { makePlan } from '../planner/plan.js';
import { SimFleet } from './fleet.js';
import type { SimAgentStep, SimPoolStep, SimRun, SimStep, SimTotals } from './types.js';
import type { MetricHistory } from './window.js';
import { metricsAt } from './window.js';

export interface RunInput {
  policy: PolicySet;
  ref: string;
  commit: string | null;
  policyDigest: string;
  start: ObservedState;
  history: MetricHistory;
  /** Unix seconds: the first step is at `from`, the last before `to`. */
  from: number;
  to: number;
  step: number;
  nodeStartup: number;
  forecast?: ForecastFn;
  /** Called after every step (the bench counts them). */
  onStep?: (index: number) => void;
}

const iso = (t: number) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Steps between from and to: each covers [t, t + step). */
export function stepCount(from: number, to: number, step: number): number {
  return Math.max(0, Math.floor((to - from) / step));
}

/** Canonical units → the units people read: cores, GiB, devices. */
function human(key: string, v: number): number {
  if (key === 'cpuMillis' || key === 'gpuMillis') return v / 1000;
  if (key.endsWith('Bytes')) return v / 2 ** 30;
  return v;
}

function add(into: Record<string, number>, res: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(res)) into[k] = (into[k] ?? 0) + v;
}

function humanised(res: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(res).sort()) out[resourceName(k)] = r2(human(k, res[k]!));
  return out;
}

/** Replay the window through one policy revision. */
export function simulateRun(input: RunInput): SimRun {
  const { policy, step } = input;
  const fleet = new SimFleet(policy, input.start, input.nodeStartup);
  const poolNames = policy.pools.map((p) => p.metadata.name).sort();
  const agentNames = policy.agents.map((a) => a.metadata.name).sort();
  const requestsOf = new Map(policy.agents.map((a) => [a.metadata.name, a.spec.resources.requests]));
  const totals: SimTotals = { nodeHours: 0, cost: 0, blockedInstanceMinutes: 0, scaleActions: 0, moves: 0, evictions: 0, peakNodes: Object.fromEntries(poolNames.map((p) => [p, 0])), belowTargetMinutes: Object.fromEntries(agentNames.map((a) => [a, 0])) };
  const steps: SimStep[] = [];
  const n = stepCount(input.from, input.to, step);
  const hours = step / 3600;
  for (let k = 0; k < n; k++) {
    const t = input.from + k * step;
    const now = iso(t);
    fleet.advance(t);
    const { plan } = makePlan({ policy, observed: fleet.observed(), now, policyDigest: input.policyDigest, gitCommit: input.commit, source: 'simulate', stateId: null, metrics: metricsAt(input.history, t), anomalies: false, ...(input.forecast ? { forecast: input.forecast } : {}) });
    const counts = fleet.apply(plan, t);
    totals.scaleActions += counts.scaleActions;
    totals.moves += counts.moves;
    totals.evictions += counts.evictions;

    // Measure the fleet as it stands for this step.
    const nodes = fleet.nodeList();
    const ready = new Set(nodes.filter((x) => x.ready).map((x) => x.name));
    const poolOf = new Map(nodes.map((x) => [x.name, x.pool]));
    const pools: Record<string, SimPoolStep> = {};
    const cap = new Map<string, Record<string, number>>();
    const used = new Map<string, Record<string, number>>();
    const fleetCap: Record<string, number> = {};
    for (const p of poolNames) {
      pools[p] = { nodes: 0, ready: 0, utilizationPercent: {} };
      cap.set(p, {});
      used.set(p, {});
    }
    for (const x of nodes) {
      const ps = pools[x.pool];
      totals.nodeHours += hours;
      totals.cost += x.costPerHour * hours;
      if (!ps) continue;
      ps.nodes++;
      if (x.ready) {
        ps.ready++;
        add(cap.get(x.pool)!, x.capacity);
        add(fleetCap, x.capacity);
      }
    }
    const placed = new Map<string, number>();
    for (const i of fleet.instanceList()) {
      const pool = poolOf.get(i.node);
      if (pool !== undefined && used.has(pool)) add(used.get(pool)!, i.requests);
      if (ready.has(i.node)) placed.set(i.agent, (placed.get(i.agent) ?? 0) + 1);
    }
    for (const p of poolNames) {
      const c = cap.get(p)!;
      const u = used.get(p)!;
      const util: Record<string, number> = {};
      for (const key of Object.keys(c).sort()) if (c[key]! > 0) util[resourceName(key)] = r1(((u[key] ?? 0) / c[key]!) * 100);
      pools[p]!.utilizationPercent = util;
      totals.peakNodes[p] = Math.max(totals.peakNodes[p] ?? 0, pools[p]!.nodes);
    }
    const blockedBy = new Map<string, number>();
    for (const b of plan.blocked) blockedBy.set(b.agent, (blockedBy.get(b.agent) ?? 0) + 1);
    for (const [agent, w] of counts.waiting) blockedBy.set(agent, (blockedBy.get(agent) ?? 0) + w);
    const agents: Record<string, SimAgentStep> = {};
    const demand: Record<string, number> = {};
    for (const a of agentNames) {
      const p = placed.get(a) ?? 0;
      const b = blockedBy.get(a) ?? 0;
      agents[a] = { replicas: p + b, placed: p, blocked: b };
      for (const [k, v] of Object.entries(requestsOf.get(a) ?? {})) demand[k] = (demand[k] ?? 0) + v * (p + b);
      totals.blockedInstanceMinutes += (b * step) / 60;
      if (b > 0) totals.belowTargetMinutes[a] = totals.belowTargetMinutes[a]! + step / 60;
    }
    steps.push({ at: now, pools, agents, demand: humanised(demand), capacity: humanised(fleetCap) });
    input.onStep?.(k);
  }
  totals.nodeHours = r3(totals.nodeHours);
  totals.cost = r2(totals.cost);
  totals.blockedInstanceMinutes = r3(totals.blockedInstanceMinutes);
  return { ref: input.ref, commit: input.commit, policyDigest: input.policyDigest, totals, steps };
}
