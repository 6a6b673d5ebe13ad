/**
 * (documents, observed state, clock, seed) → Plan. Pure: the whole of planning, in order —
 * node counts, placement, then actions in apply order with their dependencies.
 */
import type { PolicySet } from '../model/documents.js';
import type { Plan, PlanAction, PlanBlocked, PlanWarning } from '../model/plan.js';
import { PLAN_FORMAT_VERSION } from '../model/plan.js';
import type { ObservedInstance, ObservedState } from '../model/state.js';
import type { ForecastFn, MetricData } from '../autoscaler/index.js';
import type { UtilizationData } from '../autoscaler/types.js';
import { forecast as defaultForecast } from '../forecast/index.js';
import { schedule } from '../scheduler/index.js';
import type { Decision, ScheduleResult } from '../scheduler/index.js';
import { digest } from '../model/digest.js';
import { fingerprintScope, stateFingerprint } from './fingerprint.js';
import type { AgentChange, NodeChange } from './autoscaling.js';
import { planScaling } from './autoscaling.js';
import { poolUtilization, quotaUsage } from './usage.js';
import { orderForCapacity } from './order.js';

/** Up to this many instances, every placement records its candidate nodes and scores for qm explain. */
export const EXPLAIN_ALL_LIMIT = 20_000;

export interface PlanInput {
  policy: PolicySet;
  observed: ObservedState;
  /** ISO 8601: the plan's clock (`--now`, else the wall clock read by the CLI). */
  now: string;
  policyDigest: string;
  gitCommit: string | null;
  source: string;
  stateId: string | null;
  seed?: number;
  /** Warnings from observation (an unreachable node, …), carried into the plan. */
  warnings?: PlanWarning[];
  /** Metric history for the ScalingPolicies, fetched by the engine up to `now` (src/metrics). */
  metrics?: MetricData;
  /** The forecasting function for predictive policies (default: src/forecast). */
  forecast?: ForecastFn;
  /** Real use per agent for `utilization` metric sources (src/metrics/utilization.ts); recorded in the plan's inputs. */
  utilization?: UtilizationData | undefined;
  /** Check the policies' metrics for anomalies (default true; qm simulate and apply's re-plan need none). */
  anomalies?: boolean;
  /** Whether the caller keeps the per-instance decisions (default true); without, placed instances get no candidate records. The plan is the same. */
  decisions?: boolean;
}

export interface PlanOutput {
  plan: Plan;
  /** Per-instance decisions for `qm explain`, kept out of the plan to keep it small. */
  decisions: Decision[];
}

/** Make the plan. */
export function makePlan(input: PlanInput): PlanOutput {
  const { observed } = input;
  // Node counts and replicas first (the autoscaler), so placement sees the nodes and instances it decided.
  const scaling = planScaling({ policy: input.policy, observed, now: input.now, metrics: input.metrics ?? {}, forecast: input.forecast ?? defaultForecast, utilization: input.utilization, ...(input.anomalies === false ? { anomalies: false } : {}), ...(input.seed !== undefined ? { seed: input.seed } : {}) });
  const { policy, nodes } = scaling;
  const changes = scaling.nodeChanges;
  const removed = new Set(changes.flatMap((c) => c.remove.map((n) => n.name)));
  // Full candidate records (for qm explain) cost a little per placement: keep them for fleets of ordinary size.
  const explain = input.decisions !== false && observed.instances.length + policy.agents.reduce((n, a) => n + a.spec.replicas, 0) <= EXPLAIN_ALL_LIMIT ? 'all' : 'blocked';
  const scheduleInput = { policy, nodes, instances: observed.instances, now: input.now, explain, ...(input.seed !== undefined ? { seed: input.seed } : {}) } as const;
  const result = schedule(scheduleInput);
  const placed = new Map(result.placements.map((p) => [p.instance, p.requests]));
  const ordered = orderForCapacity({ actions: buildActions(input, changes, scaling.agentChanges, result), nodes, instances: observed.instances, requestsOf: (i) => placed.get(i) });
  const actions = ordered.actions;
  const blocked: PlanBlocked[] = result.blocked.map((b) => ({ instance: b.instance, agent: b.agent, reasons: b.reasons.map((r) => ({ code: r.code, message: r.message })), ...(b.summary ? { summary: b.summary } : {}) }));
  const warnings: PlanWarning[] = result.warnings
    .filter((w) => ![...removed].some((n) => w.includes(`node ${n},`)))
    .map((message) => ({ code: 'Scheduler', message }));
  warnings.push(...ordered.warnings.map((message) => ({ code: 'ApplyOrder', message })));
  warnings.unshift(...(input.warnings ?? []), ...scaling.warnings);
  const pools = poolUtilization(policy, observed, nodes, actions, blocked);
  const quotas = quotaUsage(policy, observed, actions);
  const scope = fingerprintScope(policy, observed, actions);
  const inputs = {
    policyDigest: input.policyDigest,
    gitCommit: input.gitCommit,
    stateFingerprint: stateFingerprint(scope),
    now: input.now,
    source: input.source,
    stateId: input.stateId,
    scope,
    // The real use utilisation targets read (1.x addition): apply re-plans with these same figures.
    ...(input.utilization && Object.keys(input.utilization).length ? { utilization: input.utilization } : {}),
  };
  const summary = {
    place: count(actions, 'place'),
    move: count(actions, 'move'),
    evict: count(actions, 'evict'),
    remove: count(actions, 'remove'),
    scalePool: count(actions, 'scalePool'),
    scaleAgent: count(actions, 'scaleAgent'),
    blocked: blocked.length,
  };
  const body = { formatVersion: PLAN_FORMAT_VERSION, createdAt: input.now, inputs, changes: actions.length > 0, summary, actions, blocked, pools, quotas, forecasts: scaling.forecasts as unknown[], warnings, ...(scaling.anomalies.length ? { anomalies: scaling.anomalies } : {}) };
  const { formatVersion, ...rest } = body;
  const plan: Plan = { formatVersion, planId: planIdOf(body), ...rest };
  return { plan, decisions: result.decisions };
}

/** sha256 over everything in the plan but the id itself: editing a plan file by hand changes it. */
export function planIdOf(plan: Omit<Plan, 'planId'> | Plan): string {
  const { planId: _ignored, ...rest } = plan as Plan;
  return digest(rest);
}

/** Action ids in emission order (a2 before a10), without repeats. */
function sortIds(ids: string[]): string[] {
  return [...new Set(ids)].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

function count(actions: readonly PlanAction[], type: PlanAction['type']): number {
  return actions.filter((a) => a.type === type).length;
}

/**
 * Actions in apply order: scale up → removals of duplicates → (preemption evictions, then the place
 * they make room for) → moves → removals and other evictions → scale down. Ids follow that order; dependsOn only names
 * earlier ids.
 */
function buildActions(input: PlanInput, changes: readonly NodeChange[], agentChanges: readonly AgentChange[], r: ScheduleResult): PlanAction[] {
  const actions: PlanAction[] = [];
  const next = () => `a${actions.length + 1}`;
  // The copy the scheduler keeps when an instance runs twice is the first observed (see build.ts).
  const observedAt = new Map<string, ObservedInstance>();
  for (const i of input.observed.instances) if (!observedAt.has(i.name)) observedAt.set(i.name, i);
  const scaleUpOf = new Map<string, string>();
  for (const c of changes.filter((c) => c.add.length)) {
    const id = next();
    actions.push({ id, type: 'scalePool', pool: c.pool, from: c.from, to: c.to, addNodes: c.add.map((n) => n.name), removeNodes: [], reason: c.reason });
    for (const n of c.add) scaleUpOf.set(n.name, id);
  }
  // Replica changes come before the placements and removals they cause, which depend on them.
  const scaleAgentOf = new Map<string, string>();
  for (const c of agentChanges) {
    const id = next();
    actions.push({ id, type: 'scaleAgent', agent: c.agent, from: c.from, to: c.to, reason: c.reason });
    scaleAgentOf.set(c.agent, id);
  }
  const emitted = new Set<string>();
  const leaving = new Map<string, string[]>();
  const noteLeaving = (node: string, id: string) => leaving.set(node, [...(leaving.get(node) ?? []), id]);
  // Duplicates (an instance seen on two nodes) go first: the copy that stays keeps it running, and
  // a place or move of that instance onto the duplicate's node must not find the old copy there.
  const duplicateGone = new Map<string, string[]>();
  for (const x of r.removals) {
    if (!x.reason.startsWith('duplicate of')) continue;
    const id = next();
    actions.push({ id, type: 'remove', instance: x.instance, agent: x.agent, node: x.node, reason: x.reason });
    noteLeaving(x.node, id);
    duplicateGone.set(x.instance, [...(duplicateGone.get(x.instance) ?? []), id]);
  }
  const evictionsBy = new Map<string, ScheduleResult['evictions']>();
  for (const e of r.evictions) evictionsBy.set(e.by, [...(evictionsBy.get(e.by) ?? []), e]);

  // Agent dependsOn: a placement waits for the placements of its dependencies' instances in this
  // plan (running ones need nothing), so apply skips it when one of them fails.
  const agentDeps = new Map(input.policy.agents.map((a) => [a.metadata.name, a.spec.dependsOn]));
  const placedIds = new Map<string, string[]>();
  const placementOf = new Map(r.placements.map((p) => [p.instance, p]));
  const placedAs = new Map<string, string>();
  /** Emits a placement (after the evictions it needs) once; returns its action id. */
  const emitPlacement = (p: ScheduleResult['placements'][number]): string => {
    const done = placedAs.get(p.instance);
    if (done) return done;
    const deps: string[] = [];
    if (scaleAgentOf.has(p.agent) && !observedAt.has(p.instance)) deps.push(scaleAgentOf.get(p.agent)!);
    if (scaleUpOf.has(p.node)) deps.push(scaleUpOf.get(p.node)!);
    for (const d of agentDeps.get(p.agent) ?? []) deps.push(...(placedIds.get(d) ?? []));
    deps.push(...(duplicateGone.get(p.instance) ?? []));
    for (const e of evictionsBy.get(p.instance) ?? []) {
      emitted.add(`${e.instance}@${e.node}`);
      // A victim that is placed again elsewhere in this plan is one move (started there, then
      // stopped here), not an eviction followed by a move of an instance that no longer runs.
      const again = placementOf.get(e.instance);
      if (again && observedAt.get(e.instance)?.node === e.node && again.node !== e.node) {
        deps.push(emitPlacement(again));
        continue;
      }
      const id = next();
      actions.push({ id, type: 'evict', instance: e.instance, agent: e.agent, node: e.node, reason: e.reason, ...(deps.length ? { dependsOn: [...deps] } : {}) });
      noteLeaving(e.node, id);
      deps.push(id);
    }
    const prev = observedAt.get(p.instance);
    if (p.recreate && prev?.node === p.node) {
      // Recreated where it runs (its agent's template changed): the old one goes, then the new one starts.
      const gone = next();
      actions.push({ id: gone, type: 'remove', instance: p.instance, agent: p.agent, node: p.node, reason: p.reason, ...(deps.length ? { dependsOn: sortIds(deps) } : {}) });
      deps.push(gone);
    }
    const id = next();
    placedAs.set(p.instance, id);
    if (prev && prev.node !== p.node) {
      actions.push({ id, type: 'move', instance: p.instance, agent: p.agent, fromNode: prev.node, toNode: p.node, reason: p.reason, ...(p.gpuDevices ? { gpuDevices: p.gpuDevices } : {}), ...(deps.length ? { dependsOn: sortIds(deps) } : {}) });
      noteLeaving(prev.node, id);
    } else {
      actions.push({ id, type: 'place', instance: p.instance, agent: p.agent, pool: p.pool, node: p.node, requests: p.requests, ...(p.gpuDevices ? { gpuDevices: p.gpuDevices } : {}), score: Math.round(p.score), reason: p.reason, ...(deps.length ? { dependsOn: sortIds(deps) } : {}) });
    }
    placedIds.set(p.agent, [...(placedIds.get(p.agent) ?? []), id]);
    return id;
  };
  for (const p of r.placements) emitPlacement(p);
  for (const m of r.moves) {
    const id = next();
    const deps = [...(scaleUpOf.has(m.toNode) ? [scaleUpOf.get(m.toNode)!] : []), ...(duplicateGone.get(m.instance) ?? [])];
    actions.push({ id, type: 'move', instance: m.instance, agent: m.agent, fromNode: m.fromNode, toNode: m.toNode, reason: m.reason, ...(m.gpuDevices ? { gpuDevices: m.gpuDevices } : {}), ...(deps.length ? { dependsOn: deps } : {}) });
    noteLeaving(m.fromNode, id);
  }
  for (const e of r.evictions) {
    if (emitted.has(`${e.instance}@${e.node}`)) continue;
    const id = next();
    actions.push({ id, type: 'evict', instance: e.instance, agent: e.agent, node: e.node, reason: e.reason });
    noteLeaving(e.node, id);
  }
  // "replicas N → M" with N the count observed, not the ordinal of the instance being removed.
  const observedCount = new Map<string, number>();
  for (const i of input.observed.instances) observedCount.set(i.agent, (observedCount.get(i.agent) ?? 0) + 1);
  for (const x of r.removals) {
    if (x.reason.startsWith('duplicate of')) continue; // emitted first, above
    const id = next();
    const reason = x.reason.replace(/^replicas \d+ → (\d+)$/, (_m, to: string) => `replicas ${observedCount.get(x.agent) ?? to} → ${to}`);
    const deps = scaleAgentOf.has(x.agent) ? [scaleAgentOf.get(x.agent)!] : [];
    actions.push({ id, type: 'remove', instance: x.instance, agent: x.agent, node: x.node, reason, ...(deps.length ? { dependsOn: deps } : {}) });
    noteLeaving(x.node, id);
  }
  for (const c of changes.filter((c) => c.remove.length)) {
    const deps = [...new Set(c.remove.flatMap((n) => leaving.get(n.name) ?? []))].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
    actions.push({ id: next(), type: 'scalePool', pool: c.pool, from: c.from, to: c.to, addNodes: [], removeNodes: c.remove.map((n) => n.name).sort(), reason: c.reason, ...(deps.length ? { dependsOn: deps } : {}) });
  }
  return actions;
}
