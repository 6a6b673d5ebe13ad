/**
 * Plain objects (as written in conformance YAML, human quantities) → PolicySet and snapshot.
 * A stand-in for the real loader so the scheduler can be tested on its own.
 */
import type { AffinityRuleSpec, AgentSpec, PoolSpec, SchedulingProfileSpec, Taint } from '../../src/model/documents.js';
import type { ObservedInstance, ObservedNode } from '../../src/model/state.js';
import type { ScheduleInput } from '../../src/scheduler/index.js';
import { makeAgent, makeNode, makePolicy, makePool, makeQuota, makeRule, res } from './builders.js';

export interface PlainScenario {
  name: string;
  source?: string;
  pools?: (Partial<Omit<PoolSpec, 'overcommit'>> & { name: string; overcommit?: Record<string, number> })[];
  nodes: { name: string; pool?: string; zone?: string; region?: string; labels?: Record<string, string>; taints?: Taint[]; capacity?: Record<string, unknown>; ready?: boolean; costPerHour?: number; powerWatts?: number }[];
  agents: {
    name: string;
    replicas?: number;
    requests?: Record<string, unknown>;
    priority?: number;
    class?: AgentSpec['class'];
    type?: string;
    owner?: string;
    labels?: Record<string, string>;
    placement?: AgentSpec['placement'];
    dependsOn?: string[];
  }[];
  rules?: ({ name: string } & AffinityRuleSpec)[];
  quotas?: { name: string; owner: string; scope?: { pools?: string[]; tiers?: string[] }; limits: Record<string, unknown>; cohort?: string; borrowingLimit?: Record<string, unknown>; lendingLimit?: Record<string, unknown>; reclaimWithinCohort?: "Never" | "LowerPriority" | "Any" }[];
  profile?: Partial<SchedulingProfileSpec>;
  instances?: (Omit<ObservedInstance, 'requests'> & { requests?: Record<string, unknown> })[];
  explain?: string[];
  expect: {
    /** instance → node, or a list of acceptable nodes. */
    placements?: Record<string, string | string[]>;
    /** Instances that must not be placed anywhere. */
    unplaced?: string[];
    /** instance → reason codes that must all appear. */
    blocked?: Record<string, string[]>;
    /** Nodes that pass every filter for an instance (needs `explain: [instance]`). */
    feasible?: Record<string, string[]>;
    evictions?: string[];
    moves?: Record<string, string>;
    moveCount?: number;
    removals?: string[];
    placedCount?: number;
    blockedCount?: number;
    /** instance → plugin → node → that plugin's score in the instance's candidates (needs `explain: [instance]`). */
    scores?: Record<string, Record<string, Record<string, number>>>;
    /** Substrings that must appear in the instance's blocked summary or messages. */
    messages?: Record<string, string[]>;
  };
}

export function toInput(s: PlainScenario): ScheduleInput {
  const pools = (s.pools ?? []).map((p) => {
    const b = makePool(p.name);
    if (p.tier) b.tier(p.tier);
    if (p.state) b.state(p.state);
    if (p.region) b.region(p.region);
    if (p.overcommit) b.overcommit(p.overcommit);
    if (p.reserve) b.reserve(p.reserve.percent, p.reserve.forPriorityAtLeast);
    if (p.access) b.access(p.access);
    return b.obj();
  });
  const nodes: ObservedNode[] = s.nodes.map((n) => {
    const b = makeNode(n.name);
    if (n.pool) b.pool(n.pool);
    if (n.zone !== undefined) b.zone(n.zone);
    if (n.region !== undefined) b.region(n.region);
    if (n.labels) b.labels(n.labels);
    for (const t of n.taints ?? []) b.taint(t.key, t.value, t.effect);
    if (n.capacity) b.capacity(n.capacity);
    if (n.ready === false) b.notReady();
    if (n.costPerHour) b.cost(n.costPerHour);
    if (n.powerWatts) b.power(n.powerWatts);
    return b.obj();
  });
  const agents = s.agents.map((a) => {
    const b = makeAgent(a.name);
    if (a.replicas !== undefined) b.replicas(a.replicas);
    if (a.requests) b.req(a.requests);
    if (a.priority !== undefined) b.priority(a.priority);
    if (a.class) b.cls(a.class);
    if (a.type) b.type(a.type);
    if (a.owner) b.owner(a.owner);
    if (a.labels) b.labelsOf(a.labels);
    if (a.placement) b.placement(normalisePlacement(a.placement));
    if (a.dependsOn) b.dependsOn(...a.dependsOn);
    return b.obj();
  });
  const rules = (s.rules ?? []).map(({ name, ...spec }) => makeRule(name, normalisePlacement(spec) as AffinityRuleSpec));
  const quotas = (s.quotas ?? []).map(({ name, ...q }) => makeQuota(name, q as Parameters<typeof makeQuota>[1]));
  const instances: ObservedInstance[] = (s.instances ?? []).map((i) => ({ ...i, requests: res(i.requests) }));
  return {
    policy: makePolicy({ pools, agents, quotas, rules, profile: s.profile ?? {} }),
    nodes,
    instances,
    ...(s.explain ? { explain: s.explain } : {}),
  };
}

/** Defaults the loader would apply: term `required` false and `weight` 1 unless given. */
function normalisePlacement<T extends { agentAffinity?: unknown; agentAntiAffinity?: unknown }>(p: T): T {
  const fix = (terms: unknown) =>
    (terms as { required?: boolean; weight?: number }[] | undefined)?.map((t) => ({ ...t, required: t.required ?? false, weight: t.weight ?? 1 }));
  const out = { ...p } as T & Record<string, unknown>;
  if (p.agentAffinity) out.agentAffinity = fix(p.agentAffinity);
  if (p.agentAntiAffinity) out.agentAntiAffinity = fix(p.agentAntiAffinity);
  return out;
}
