/** Pool utilisation before and after a plan, and quota use after it. Pure. */
import type { PolicySet } from '../model/documents.js';
import type { PlanAction, PlanBlocked, PlanPool, PlanQuota } from '../model/plan.js';
import type { ResourceList } from '../model/quantity.js';
import { resourceName } from '../model/quantity.js';
import type { ObservedInstance, ObservedNode, ObservedState } from '../model/state.js';
import { gpuWaste } from './gpu-waste.js';

/**
 * Instances after the plan's actions: placed and moved ones where the plan puts them, removed ones
 * gone. The same instance may run on two nodes (a duplicate): a removal, eviction or move names its
 * node, so it takes only the copy on that node and the copy that is kept still counts.
 */
export function instancesAfter(observed: readonly ObservedInstance[], actions: readonly PlanAction[]): ObservedInstance[] {
  // name → node → copy
  const by = new Map<string, Map<string, ObservedInstance>>();
  for (const i of observed) {
    let copies = by.get(i.name);
    if (!copies) by.set(i.name, (copies = new Map()));
    copies.set(i.node, { ...i });
  }
  for (const a of actions) {
    if (a.type === 'place') {
      // The placed instance is its only copy from then on (one stranded elsewhere is replaced).
      by.set(a.instance, new Map([[a.node, { name: a.instance, agent: a.agent, node: a.node, requests: a.requests, ...(a.gpuDevices ? { gpuDevices: a.gpuDevices } : {}) }]]));
    } else if (a.type === 'move') {
      const copies = by.get(a.instance);
      const i = copies?.get(a.fromNode);
      if (copies && i) {
        copies.delete(a.fromNode);
        const { gpuDevices: _old, ...rest } = i;
        copies.set(a.toNode, { ...rest, node: a.toNode, ...(a.gpuDevices ? { gpuDevices: a.gpuDevices } : {}) });
      }
    } else if (a.type === 'evict' || a.type === 'remove') by.get(a.instance)?.delete(a.node);
  }
  return [...by.values()].flatMap((copies) => [...copies.values()]);
}

function percent(used: number, cap: number): number {
  return cap > 0 ? Math.round((used / cap) * 1000) / 10 : 0;
}

/**
 * requested ÷ allocatable of ready nodes: every instance on the pool's nodes counts (one stranded on
 * a node that is not ready still needs room on the ready ones), only ready nodes give capacity.
 */
function sumOn(nodes: readonly ObservedNode[], instances: readonly ObservedInstance[]): { cap: ResourceList; used: ResourceList } {
  const names = new Set(nodes.map((n) => n.name));
  const cap: ResourceList = {};
  const used: ResourceList = {};
  for (const n of nodes) if (n.ready) for (const [k, v] of Object.entries(n.capacity)) cap[k] = (cap[k] ?? 0) + v;
  for (const i of instances) if (names.has(i.node)) for (const [k, v] of Object.entries(i.requests)) used[k] = (used[k] ?? 0) + v;
  return { cap, used };
}

/** Per pool: node counts and requested/allocatable per resource, before and after. */
export function poolUtilization(policy: PolicySet, observed: ObservedState, plannedNodes: readonly ObservedNode[], actions: readonly PlanAction[], blocked: readonly PlanBlocked[] = []): PlanPool[] {
  const after = instancesAfter(observed.instances, actions);
  const gpu = gpuWaste(policy, plannedNodes, after, blocked);
  return policy.pools.map((pool) => {
    const name = pool.metadata.name;
    const before = observed.nodes.filter((n) => n.pool === name);
    const planned = plannedNodes.filter((n) => n.pool === name);
    const b = sumOn(before, observed.instances);
    const p = sumOn(planned, after);
    const keys = [...new Set([...Object.keys(b.cap), ...Object.keys(p.cap)])].filter((k) => (b.cap[k] ?? 0) > 0 || (p.cap[k] ?? 0) > 0).sort();
    const utilizationPercent: PlanPool['utilizationPercent'] = {};
    for (const k of keys) utilizationPercent[resourceName(k)] = { current: percent(b.used[k] ?? 0, b.cap[k] ?? 0), planned: percent(p.used[k] ?? 0, p.cap[k] ?? 0) };
    const g = gpu.get(name);
    return { name, nodes: { current: before.length, planned: planned.length }, utilizationPercent, ...(g ? { gpu: g } : {}) };
  });
}

/** Per quota: what its owner uses after the plan within its scope, against its limits. */
export function quotaUsage(policy: PolicySet, observed: ObservedState, actions: readonly PlanAction[]): PlanQuota[] {
  const after = instancesAfter(observed.instances, actions);
  const nodePool = new Map(observed.nodes.map((n) => [n.name, n.pool]));
  for (const a of actions) if (a.type === 'scalePool') for (const n of a.addNodes) nodePool.set(n, a.pool);
  const poolTier = new Map(policy.pools.map((p) => [p.metadata.name, p.spec.tier]));
  const owner = new Map(policy.agents.map((a) => [a.metadata.name, a.spec.owner]));
  return policy.quotas.map((q) => {
    const used: ResourceList = {};
    for (const i of after) {
      if (owner.get(i.agent) !== q.spec.owner) continue;
      const pool = nodePool.get(i.node);
      if (q.spec.scope?.pools && (!pool || !q.spec.scope.pools.includes(pool))) continue;
      if (q.spec.scope?.tiers && (!pool || !q.spec.scope.tiers.includes(poolTier.get(pool)!))) continue;
      for (const k of Object.keys(q.spec.limits)) {
        if (k === 'agents') used.agents = (used.agents ?? 0) + 1;
        else used[k] = (used[k] ?? 0) + (i.requests[k] ?? 0);
      }
    }
    for (const k of Object.keys(q.spec.limits)) used[k] ??= 0;
    return { name: q.metadata.name, used: sortedList(used), limits: sortedList(q.spec.limits) };
  });
}

function sortedList(r: ResourceList): ResourceList {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)));
}
