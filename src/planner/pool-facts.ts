/**
 * What placement says about each autoscaled pool (the simulations Cluster Autoscaler and Karpenter
 * run): the utilisation after placement, how many new nodes of the pool's shape the instances
 * blocked for lack of resources need (the fewest that place as many of them as the pool's maximum
 * would), and which under-used nodes can go because everything on them fits elsewhere, within the
 * disruption budget. Pure: it only calls the scheduler.
 */
import { duration } from '../autoscaler/series.js';
import type { PoolFacts } from '../autoscaler/types.js';
import { NODE_PROVISION_SECONDS } from '../autoscaler/types.js';
import type { PolicySet, PoolDoc, ScalingPolicyDoc } from '../model/documents.js';
import type { ResourceList } from '../model/quantity.js';
import { resourceName } from '../model/quantity.js';
import type { ObservedInstance, ObservedNode, ScalingEvent } from '../model/state.js';
import { schedule } from '../scheduler/index.js';
import type { ScheduleResult } from '../scheduler/index.js';
import { newNodes } from './nodes.js';

export interface FactsInput {
  policy: PolicySet;
  nodes: ObservedNode[];
  instances: ObservedInstance[];
  now: string;
  seed?: number;
  /** The schedule on `nodes`, already made by the caller. */
  first: ScheduleResult;
  history: readonly ScalingEvent[];
}

/** Where an instance is after a schedule. */
export interface Position {
  name: string;
  node: string;
  agent: string;
  requests: ResourceList;
}

/** The key of one copy of an instance: the same instance may run on two nodes (a duplicate). */
const copyKey = (name: string, node: string) => `${name}\u0000${node}`;

/**
 * Where every instance is after a schedule, one entry per copy (keyed by name and node): a removal
 * or eviction drops only the copy on its node, so the copy a duplicate's removal keeps still counts.
 */
export function positions(instances: readonly ObservedInstance[], r: ScheduleResult): Map<string, Position> {
  const at = new Map(instances.map((i) => [copyKey(i.name, i.node), { name: i.name, node: i.node, agent: i.agent, requests: i.requests }]));
  for (const x of r.removals) at.delete(copyKey(x.instance, x.node));
  for (const e of r.evictions) at.delete(copyKey(e.instance, e.node));
  for (const m of r.moves) {
    const i = at.get(copyKey(m.instance, m.fromNode));
    if (i) {
      at.delete(copyKey(m.instance, m.fromNode));
      at.set(copyKey(m.instance, m.toNode), { ...i, node: m.toNode });
    }
  }
  // A placement is the instance's only copy from then on (one stranded elsewhere is replaced).
  const placed = new Set(r.placements.map((p) => p.instance));
  for (const [k, i] of at) if (placed.has(i.name)) at.delete(k);
  for (const p of r.placements) at.set(copyKey(p.instance, p.node), { name: p.instance, node: p.node, agent: p.agent, requests: p.requests });
  return at;
}

/** Instances blocked for lack of resources (only those new nodes can help). */
function resourceBlocked(r: ScheduleResult): ScheduleResult['blocked'] {
  return r.blocked.filter((b) => b.reasons.some((x) => x.code === 'InsufficientResource' || x.code === 'NoPoolCanFit'));
}

/** Whether the agent may use the pool by its own placement rules (pools, tiers, access). */
function mayUse(policy: PolicySet, agentName: string, pool: PoolDoc): boolean {
  const a = policy.agents.find((x) => x.metadata.name === agentName);
  if (!a) return false;
  const pl = a.spec.placement;
  if (pl.pools && !pl.pools.includes(pool.metadata.name)) return false;
  if (pl.tiers && !pl.tiers.includes(pool.spec.tier)) return false;
  const acc = pool.spec.access;
  if (acc?.agentTypes && !acc.agentTypes.includes(a.spec.type)) return false;
  if (acc?.owners && !acc.owners.includes(a.spec.owner)) return false;
  return true;
}

/** Dominant requested ÷ allocatable over the pool's ready nodes, plus extra requests. */
function dominant(nodes: readonly ObservedNode[], at: ReadonlyMap<string, { node: string; requests: ResourceList }>, extra: readonly ResourceList[] = []): { resource: string; percent: number } | undefined {
  const names = new Set(nodes.filter((n) => n.ready).map((n) => n.name));
  const cap: ResourceList = {};
  const used: ResourceList = {};
  for (const n of nodes) if (n.ready) for (const [k, v] of Object.entries(n.capacity)) cap[k] = (cap[k] ?? 0) + v;
  for (const i of at.values()) if (names.has(i.node)) for (const [k, v] of Object.entries(i.requests)) used[k] = (used[k] ?? 0) + v;
  for (const r of extra) for (const [k, v] of Object.entries(r)) used[k] = (used[k] ?? 0) + v;
  let best: { resource: string; percent: number } | undefined;
  for (const k of Object.keys(cap).sort()) {
    if (!(cap[k]! > 0)) continue;
    const pct = Math.round(((used[k] ?? 0) / cap[k]!) * 1000) / 10;
    if (!best || pct > best.percent) best = { resource: resourceName(k), percent: pct };
  }
  return best;
}

/** Gather the facts of every pool targeted by a ScalingPolicy. */
export function poolFacts(input: FactsInput, scaled: readonly { pool: PoolDoc; doc: ScalingPolicyDoc }[]): Map<string, PoolFacts> {
  const out = new Map<string, PoolFacts>();
  const t = Date.parse(input.now) / 1000;
  const sched = (nodes: ObservedNode[]) => schedule({ policy: input.policy, nodes, instances: input.instances, now: input.now, ...(input.seed !== undefined ? { seed: input.seed } : {}) });
  const firstAt = positions(input.instances, input.first);
  const blocked = resourceBlocked(input.first);
  for (const { pool, doc } of scaled) {
    const name = pool.metadata.name;
    const mine = input.nodes.filter((n) => n.pool === name);
    const current = mine.length;
    const pendingHere = blocked.filter((b) => mayUse(input.policy, b.agent, pool));
    const requestsOf = new Map(input.policy.agents.map((a) => [a.metadata.name, a.spec.resources.requests]));
    // Nodes not ready count as capacity coming only shortly after a scale-up of the pool.
    const lastScaleUp = input.history.filter((e) => e.target.kind === 'Pool' && e.target.name === name && e.to > e.from).map((e) => Date.parse(e.at) / 1000).filter((x) => x <= t).reduce((a, b) => Math.max(a, b), -Infinity);
    const upcoming = t - lastScaleUp <= NODE_PROVISION_SECONDS ? mine.filter((n) => !n.ready) : [];
    const facts: PoolFacts = { pool: name, current, ready: mine.filter((n) => n.ready).length, upcoming: upcoming.length };
    const util = dominant(mine, firstAt, pendingHere.map((b) => requestsOf.get(b.agent) ?? {}));
    if (util) facts.utilization = util;
    const maxCount = Math.min(doc.spec.max, pool.spec.size.max);
    const room = maxCount - current;

    // Scale-up: the fewest new nodes that place as many pending instances as `room` nodes would.
    if (pendingHere.length && (room > 0 || upcoming.length > 0)) {
      const names = new Set(pendingHere.map((b) => b.instance));
      // Simulated as if the nodes still coming up were ready: what they will take needs no new node.
      const coming = new Set(upcoming.map((n) => n.name));
      const base = input.nodes.map((n) => (coming.has(n.name) ? { ...n, ready: true } : n));
      const placedWith = (k: number) => {
        const r = sched([...base, ...newNodes(pool, mine, k)]);
        return r.placements.filter((p) => names.has(p.instance)).length;
      };
      const best = placedWith(Math.max(room, 0));
      if (best > 0 && coming.size > 0 && placedWith(0) >= best) {
        facts.kept = [`${best} pending instance${best === 1 ? '' : 's'} will fit on the ${coming.size} node${coming.size === 1 ? '' : 's'} still coming up`];
      } else if (best > 0 && room > 0) {
        let lo = 1;
        let hi = room;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (placedWith(mid) >= best) hi = mid;
          else lo = mid + 1;
        }
        facts.pending = { instances: [...names].sort(), nodes: lo, placeable: best };
      } else if (room > 0) facts.kept = [`${pendingHere.length} pending instance${pendingHere.length === 1 ? '' : 's'} would not fit even on ${room} new node${room === 1 ? '' : 's'}`];
    }
    if (facts.pending) {
      out.set(name, facts);
      continue;
    }

    // Scale-down: under-used nodes whose instances all fit on the others, least used first.
    const floor = Math.max(doc.spec.min, pool.spec.size.min);
    const lastPoolChange = input.history.filter((e) => e.target.kind === 'Pool' && e.target.name === name).map((e) => Date.parse(e.at) / 1000).filter((x) => x <= t).reduce((a, b) => Math.max(a, b), -Infinity);
    const perNode = mine
      .filter((n) => n.ready)
      .map((n) => {
        const u = dominant([n], firstAt);
        const on = [...firstAt.values()].filter((i) => i.node === n.name);
        const started = input.instances.filter((i) => i.node === n.name && i.startedAt).map((i) => Date.parse(i.startedAt!) / 1000);
        const since = Math.max(lastPoolChange, ...started);
        return { node: n, percent: u?.percent ?? 0, instances: on, unneededFor: t - since };
      })
      .sort((a, b) => a.percent - b.percent || a.instances.length - b.instances.length || (a.node.name < b.node.name ? 1 : -1));
    const removable: NonNullable<PoolFacts['removable']> = [];
    const kept: string[] = [];
    const budget = input.policy.profile.spec.disruptionBudget.maxUnavailablePercent;
    const disrupted = new Map<string, number>();
    const maxRemovals = Math.min(current - floor, doc.spec.behavior.scaleDown.maxStep ?? 10);
    for (const c of perNode) {
      if (removable.length >= maxRemovals) break;
      if (c.percent >= doc.spec.scaleDownUtilizationPercent) break;
      if (c.unneededFor < doc.spec.scaleDownUnneededTime) {
        kept.push(`${c.node.name} under ${doc.spec.scaleDownUtilizationPercent} % but changed ${duration(c.unneededFor)} ago, less than ${duration(doc.spec.scaleDownUnneededTime)}`);
        continue;
      }
      const over = c.instances.map((i) => i.agent).find((agent) => {
        const a = input.policy.agents.find((x) => x.metadata.name === agent);
        const allowed = Math.max(1, Math.floor(((a?.spec.replicas ?? 1) * budget) / 100));
        return (disrupted.get(agent) ?? 0) + c.instances.filter((i) => i.agent === agent).length > allowed;
      });
      if (over) {
        kept.push(`removing ${c.node.name} would disrupt more ${over} instances than the disruption budget (${budget} %) allows`);
        continue;
      }
      const gone = new Set([...removable.map((r) => r.node), c.node.name]);
      const r = sched(input.nodes.filter((n) => !gone.has(n.name)));
      const moving = new Set(c.instances.map((i) => i.name));
      if (r.blocked.length > input.first.blocked.length || r.blocked.some((b) => moving.has(b.instance))) {
        kept.push(`the instances on ${c.node.name} do not all fit elsewhere`);
        continue;
      }
      const target = doc.spec.targetUtilizationPercent;
      if (target !== undefined) {
        const after = dominant(mine.filter((n) => !gone.has(n.name)), positions(input.instances, r));
        if (after && after.percent > target) {
          kept.push(`without ${c.node.name} utilisation would be ${after.resource} ${after.percent} % > target ${target} %`);
          continue;
        }
      }
      for (const i of c.instances) disrupted.set(i.agent, (disrupted.get(i.agent) ?? 0) + 1);
      removable.push({ node: c.node.name, utilizationPercent: c.percent, unneededFor: c.unneededFor, instances: c.instances.length });
    }
    if (removable.length) facts.removable = removable;
    if (kept.length) facts.kept = kept;
    out.set(name, facts);
  }
  return out;
}
