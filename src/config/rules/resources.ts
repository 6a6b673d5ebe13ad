/** Requests that can never be placed, and limits that contradict requests. */
import type { AgentDoc, PoolDoc, Toleration } from '../../model/documents.js';
import { formatResource, resourceName } from '../../model/quantity.js';
import { pointerSegment } from '../../model/diagnostic.js';
import type { ResourceList } from '../../model/quantity.js';
import type { Rule, RuleContext } from './context.js';
import { docName, entriesOf } from './context.js';

interface Shape {
  label: string;
  capacity: ResourceList;
  labels: Record<string, string>;
}

/** Per pool document, once: every agent asks again, and a static pool may list a thousand nodes. */
const shapes = new WeakMap<PoolDoc, Shape[]>();

function shapesOf(pool: PoolDoc): Shape[] {
  let out = shapes.get(pool);
  if (!out) {
    const n = pool.spec.nodes;
    out = n && n.length ? n.map((s) => ({ label: `node '${s.name}' of pool '${pool.metadata.name}'`, capacity: s.capacity, labels: s.labels })) : [{ label: `a node of pool '${pool.metadata.name}'`, capacity: pool.spec.node.capacity, labels: pool.spec.node.labels }];
    shapes.set(pool, out);
  }
  return out;
}

export function tolerates(tolerations: readonly Toleration[] | undefined, taint: { key: string; value?: string; effect: string }): boolean {
  return (tolerations ?? []).some((t) => {
    if (t.effect !== undefined && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return t.key === undefined || t.key === '' || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

/** Why a pool can never take an agent, and the agent field that decides it; undefined when it can (capacity aside). */
export function poolExclusionDetail(agent: AgentDoc, pool: PoolDoc): { reason: string; pointer: string } | undefined {
  const p = agent.spec.placement;
  const name = pool.metadata.name;
  if (p.pools && !p.pools.includes(name)) return { reason: `'${name}' is not in placement.pools`, pointer: '/spec/placement/pools' };
  if (p.tiers && !p.tiers.includes(pool.spec.tier)) return { reason: `'${name}' is tier ${pool.spec.tier}, not in placement.tiers`, pointer: '/spec/placement/tiers' };
  const a = pool.spec.access;
  if (a?.agentTypes && !a.agentTypes.includes(agent.spec.type)) return { reason: `'${name}' admits agent types ${a.agentTypes.join(', ')}, not '${agent.spec.type}'`, pointer: '/spec/type' };
  if (a?.owners && !a.owners.includes(agent.spec.owner)) return { reason: `'${name}' admits owners ${a.owners.join(', ')}, not '${agent.spec.owner}'`, pointer: '/spec/owner' };
  const taint = pool.spec.node.taints.find((t) => t.effect === 'NoSchedule' && !tolerates(p.tolerations, t));
  if (taint) return { reason: `'${name}' has taint ${taint.key}${taint.value !== undefined ? '=' + taint.value : ''}:NoSchedule that the agent does not tolerate`, pointer: '/spec/placement/tolerations' };
  return undefined;
}

/** Why a pool can never take an agent, or undefined when it can (capacity aside). */
export function poolExclusion(agent: AgentDoc, pool: PoolDoc): string | undefined {
  return poolExclusionDetail(agent, pool)?.reason;
}

/** The capacity an agent may use on a node: overcommit for non-guaranteed, minus the reserve below its priority. */
export function usableCapacity(agent: AgentDoc, pool: PoolDoc, capacity: ResourceList): ResourceList {
  const out: ResourceList = {};
  const reserve = pool.spec.reserve && agent.spec.priority < pool.spec.reserve.forPriorityAtLeast ? pool.spec.reserve.percent / 100 : 0;
  for (const [k, v] of Object.entries(capacity)) {
    const ratio = agent.spec.class === 'guaranteed' || k === 'gpuMillis' ? 1 : Math.max(1, pool.spec.overcommit[k] ?? 1);
    out[k] = Math.floor(v * ratio * (1 - reserve));
  }
  return out;
}

/** The first resource the request does not fit, or undefined. */
export function misfit(requests: ResourceList, usable: ResourceList): string | undefined {
  for (const [k, want] of Object.entries(requests)) {
    if (want === 0) continue;
    const have = usable[k] ?? 0;
    if (k === 'gpuMillis' && want < 1000) {
      if (have < 1000) return k;
      continue;
    }
    if (want > have) return k;
  }
  return undefined;
}

/** How to fix an agent that no pool admits, by the field that shuts the pools out. */
function hintFor(pointer: string): string {
  if (pointer === '/spec/placement/tiers') return 'add the tier of a pool that exists, or remove placement.tiers';
  if (pointer === '/spec/owner' || pointer === '/spec/type') return "use a pool whose access list admits this agent, or add it to the pool's spec.access";
  if (pointer === '/spec/placement/tolerations') return 'add a toleration with the taint\'s key, value and effect to placement.tolerations';
  if (pointer.startsWith('/spec/placement/nodeSelector')) return "select a label that some pool's nodes carry, or add it to a pool's node.labels";
  return "check placement.pools, tiers, nodeSelector, tolerations and the pools' access lists";
}

/** The node shapes an agent may be placed on (capacity aside), and why every other one is shut out. */
function candidatesFor(agent: AgentDoc, pools: readonly PoolDoc[]): { candidates: { pool: PoolDoc; shape: Shape }[]; exclusions: { reason: string; pointer: string }[] } {
  const exclusions: { reason: string; pointer: string }[] = [];
  const candidates: { pool: PoolDoc; shape: Shape }[] = [];
  const sel = Object.entries(agent.spec.placement.nodeSelector ?? {});
  for (const pool of pools) {
    const why = poolExclusionDetail(agent, pool);
    if (why) {
      exclusions.push(why);
      continue;
    }
    for (const shape of shapesOf(pool)) {
      const bad = sel.length === 0 ? undefined : sel.find(([k, v]) => shape.labels[k] !== v);
      if (bad) exclusions.push({ reason: `${shape.label} lacks label ${bad[0]}=${bad[1]}`, pointer: `/spec/placement/nodeSelector/${pointerSegment(bad[0])}` });
      else candidates.push({ pool, shape });
    }
  }
  return { candidates, exclusions };
}

/** The Pool documents, and those whose capacity is unknown: a quantity that did not parse leaves no verdict on what fits them. */
function poolsOf(ctx: RuleContext): { pools: PoolDoc[]; unknownCapacity: Set<PoolDoc> } {
  const entries = entriesOf(ctx, 'Pool');
  return { pools: entries.map((e) => e.doc), unknownCapacity: new Set(entries.filter((e) => e.partial).map((e) => e.doc)) };
}

export const satisfiableRequests: Rule = {
  name: 'satisfiable-requests',
  description: 'every agent request fits at least one node of a pool it may use (pools, tiers, access, nodeSelector, NoSchedule taints, overcommit, reserve)',
  check(ctx) {
    const { pools, unknownCapacity } = poolsOf(ctx);
    if (pools.length === 0) return;
    for (const e of entriesOf(ctx, 'Agent')) {
      const agent = e.doc;
      if (agent.spec.replicas === 0 || e.partial) continue;
      const listed = agent.spec.placement.pools;
      // Every pool the agent lists is unknown: that is the UnknownReference already reported.
      if (listed && listed.length > 0 && !listed.some((n) => pools.some((p) => p.metadata.name === n))) continue;
      const { candidates, exclusions } = candidatesFor(agent, pools);
      if (candidates.length === 0) {
        // Point at the one field that shuts out every pool the agent could otherwise use, if there is one.
        const decisive = exclusions.filter((x) => !(listed && x.pointer === '/spec/placement/pools'));
        const fields = [...new Set(decisive.map((x) => x.pointer))];
        const pointer = fields.length === 1 ? fields[0]! : listed ? '/spec/placement/pools' : '/spec/placement';
        const reasons = (decisive.length ? decisive : exclusions).map((x) => x.reason);
        ctx.report(e, pointer, 'UnsatisfiableRequest', `${docName(agent)} can never be placed: no pool admits it (${reasons.join('; ')})`, { hint: hintFor(pointer), atKey: pointer === '/spec/placement' });
        continue;
      }
      if (candidates.some((c) => unknownCapacity.has(c.pool))) continue;
      // The usual case first: one node that fits settles it.
      if (candidates.some((c) => misfit(agent.spec.resources.requests, usableCapacity(agent, c.pool, c.shape.capacity)) === undefined)) continue;
      const misfits = candidates.map((c) => ({ c, key: misfit(agent.spec.resources.requests, usableCapacity(agent, c.pool, c.shape.capacity)) }));
      const key = misfits[0]!.key!;
      const best = misfits.reduce((a, m) => ((usableCapacity(agent, m.c.pool, m.c.shape.capacity)[key] ?? 0) > (usableCapacity(agent, a.c.pool, a.c.shape.capacity)[key] ?? 0) ? m : a));
      const want = agent.spec.resources.requests[key] ?? 0;
      const have = usableCapacity(agent, best.c.pool, best.c.shape.capacity)[key] ?? 0;
      const raw = best.c.shape.capacity[key] ?? 0;
      const why =
        key === 'gpuMillis' && want < 1000 ? ' (a GPU share needs a node with at least one device)'
        : agent.spec.class === 'guaranteed' && want <= Math.floor(raw * Math.max(1, best.c.pool.spec.overcommit[key] ?? 1)) && want > raw ? ' (guaranteed requests must fit without overcommit)'
        : have < raw ? ` (the rest is reserved for priority ${best.c.pool.spec.reserve?.forPriorityAtLeast ?? 0} and above)`
        : '';
      ctx.report(e, `/spec/resources/requests/${pointerSegment(resourceName(key))}`, 'UnsatisfiableRequest', `${docName(agent)} requests ${formatResource(key, want)} per instance, but the largest node it may use, ${best.c.shape.label}, offers ${formatResource(key, have)}${why}`, { hint: 'lower the request, or allow a pool with larger nodes (placement.pools, tiers, nodeSelector, tolerations)' });
    }
  },
};

export const limitsMatchRequests: Rule = {
  name: 'limits-match-requests',
  description: 'guaranteed agents have limits equal to requests; no limit is below its request',
  check(ctx) {
    for (const e of entriesOf(ctx, 'Agent')) {
      const { requests, limits } = e.doc.spec.resources;
      if (!limits || e.partial) continue;
      const keys = [...new Set([...Object.keys(requests), ...Object.keys(limits)])].sort();
      for (const k of keys) {
        const r = requests[k];
        const l = limits[k];
        const at = `/spec/resources/limits/${pointerSegment(resourceName(k))}`;
        if (e.doc.spec.class === 'guaranteed' && r !== l) {
          const msg = l === undefined ? `requests ${formatResource(k, r!)} but sets no limit for it` : r === undefined ? `limits ${formatResource(k, l)} without requesting it` : `limits ${formatResource(k, l)} but requests ${formatResource(k, r)}`;
          ctx.report(e, l === undefined ? '/spec/resources/limits' : at, 'GuaranteedLimitsMismatch', `${docName(e.doc)} is guaranteed and ${msg}`, { hint: 'a guaranteed agent\'s limits equal its requests: make them equal, or use class burstable', atKey: l === undefined });
        } else if (r !== undefined && l !== undefined && l < r) {
          ctx.report(e, at, 'LimitBelowRequest', `${docName(e.doc)} limits ${formatResource(k, l)}, below its request of ${formatResource(k, r)}`, { hint: 'raise the limit to at least the request' });
        }
      }
    }
  },
};

/**
 * A limit is a hard cap the driver hands to the runtime (Docker's NanoCpus and Memory): one above
 * the node's own capacity can never be honoured, and Docker refuses it at apply time ("Range of CPUs
 * is from 0.01 to 2.00"). Compared with the declared capacity, without overcommit or reserve. An
 * error when every node the agent may use declares the resource; a warning when some declare none
 * (qm cannot tell what those nodes have). Agents whose requests fit no node are UnsatisfiableRequest.
 */
export const limitsFitNodes: Rule = {
  name: 'limits-fit-nodes',
  description: 'no agent limit exceeds the declared capacity of the largest node it may be placed on',
  check(ctx) {
    const { pools, unknownCapacity } = poolsOf(ctx);
    if (pools.length === 0) return;
    for (const e of entriesOf(ctx, 'Agent')) {
      const agent = e.doc;
      const limits = agent.spec.resources.limits;
      if (!limits || agent.spec.replicas === 0 || e.partial) continue;
      const { candidates } = candidatesFor(agent, pools);
      if (candidates.length === 0 || candidates.some((c) => unknownCapacity.has(c.pool))) continue;
      if (candidates.every((c) => misfit(agent.spec.resources.requests, usableCapacity(agent, c.pool, c.shape.capacity)) !== undefined)) continue;
      for (const [k, want] of Object.entries(limits).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const declared = candidates.filter((c) => c.shape.capacity[k] !== undefined);
        if (declared.length === 0 || want === 0) continue;
        const best = declared.reduce((a, c) => ((c.shape.capacity[k] ?? 0) > (a.shape.capacity[k] ?? 0) ? c : a));
        const have = best.shape.capacity[k] ?? 0;
        if (want <= have) continue;
        const undeclared = candidates.filter((c) => c.shape.capacity[k] === undefined);
        const name = resourceName(k);
        const tail = undeclared.length ? `; ${undeclared.map((c) => c.shape.label).join(', ')} declare${undeclared.length === 1 ? 's' : ''} no ${name}, so it can be honoured at most there` : ': the limit can never be honoured, and the runtime refuses it at apply';
        ctx.report(e, `/spec/resources/limits/${pointerSegment(name)}`, 'LimitAboveCapacity', `${docName(agent)} limits ${formatResource(k, want)} per instance, more than the largest node it may use, ${best.shape.label}, has (${formatResource(k, have)})${tail}`, {
          hint: `lower resources.limits.${name} to at most ${formatResource(k, have)}, or allow a pool with larger nodes (placement.pools, tiers, nodeSelector, tolerations)`,
          ...(undeclared.length ? { severity: 'warning' as const } : {}),
        });
      }
    }
  },
};
