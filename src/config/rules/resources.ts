/** Requests that can never be placed, and limits that contradict requests. */
import type { AgentDoc, PoolDoc, Toleration } from '../../model/documents.js';
import { formatResource, resourceName } from '../../model/quantity.js';
import type { ResourceList } from '../../model/quantity.js';
import type { Rule } from './context.js';
import { docName, entriesOf } from './context.js';

interface Shape {
  label: string;
  capacity: ResourceList;
  labels: Record<string, string>;
}

function shapesOf(pool: PoolDoc): Shape[] {
  const n = pool.spec.nodes;
  if (n && n.length) return n.map((s) => ({ label: `node '${s.name}' of pool '${pool.metadata.name}'`, capacity: s.capacity, labels: s.labels }));
  return [{ label: `pool '${pool.metadata.name}' (node shape)`, capacity: pool.spec.node.capacity, labels: pool.spec.node.labels }];
}

export function tolerates(tolerations: readonly Toleration[] | undefined, taint: { key: string; value?: string; effect: string }): boolean {
  return (tolerations ?? []).some((t) => {
    if (t.effect !== undefined && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return t.key === undefined || t.key === '' || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

/** Why a pool can never take an agent, or undefined when it can (capacity aside). */
export function poolExclusion(agent: AgentDoc, pool: PoolDoc): string | undefined {
  const p = agent.spec.placement;
  const name = pool.metadata.name;
  if (p.pools && !p.pools.includes(name)) return `'${name}' is not in placement.pools`;
  if (p.tiers && !p.tiers.includes(pool.spec.tier)) return `'${name}' is tier ${pool.spec.tier}, not in placement.tiers`;
  const a = pool.spec.access;
  if (a?.agentTypes && !a.agentTypes.includes(agent.spec.type)) return `'${name}' admits agent types ${a.agentTypes.join(', ')}, not '${agent.spec.type}'`;
  if (a?.owners && !a.owners.includes(agent.spec.owner)) return `'${name}' admits owners ${a.owners.join(', ')}, not '${agent.spec.owner}'`;
  const taint = pool.spec.node.taints.find((t) => t.effect === 'NoSchedule' && !tolerates(p.tolerations, t));
  if (taint) return `'${name}' has taint ${taint.key}${taint.value !== undefined ? '=' + taint.value : ''}:NoSchedule that the agent does not tolerate`;
  return undefined;
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

export const satisfiableRequests: Rule = {
  name: 'satisfiable-requests',
  description: 'every agent request fits at least one node of a pool it may use (pools, tiers, access, nodeSelector, NoSchedule taints, overcommit, reserve)',
  check(ctx) {
    const pools = entriesOf(ctx, 'Pool').map((e) => e.doc);
    if (pools.length === 0) return;
    for (const e of entriesOf(ctx, 'Agent')) {
      const agent = e.doc;
      if (agent.spec.replicas === 0) continue;
      const exclusions: string[] = [];
      const candidates: { pool: PoolDoc; shape: Shape }[] = [];
      for (const pool of pools) {
        const why = poolExclusion(agent, pool);
        if (why) {
          exclusions.push(why);
          continue;
        }
        for (const shape of shapesOf(pool)) {
          const sel = agent.spec.placement.nodeSelector ?? {};
          const bad = Object.entries(sel).find(([k, v]) => shape.labels[k] !== v);
          if (bad) exclusions.push(`${shape.label} lacks label ${bad[0]}=${bad[1]}`);
          else candidates.push({ pool, shape });
        }
      }
      if (candidates.length === 0) {
        ctx.report(e, agent.spec.placement.pools ? '/spec/placement/pools' : '/spec/placement', 'UnsatisfiableRequest', `${docName(agent)} can never be placed: no pool admits it (${exclusions.join('; ')})`, { hint: 'check placement.pools, tiers, nodeSelector, tolerations and the pools\' access lists', atKey: !agent.spec.placement.pools });
        continue;
      }
      const misfits = candidates.map((c) => ({ c, key: misfit(agent.spec.resources.requests, usableCapacity(agent, c.pool, c.shape.capacity)) }));
      if (misfits.every((m) => m.key !== undefined)) {
        const key = misfits[0]!.key!;
        const best = misfits.reduce((a, m) => ((usableCapacity(agent, m.c.pool, m.c.shape.capacity)[key] ?? 0) > (usableCapacity(agent, a.c.pool, a.c.shape.capacity)[key] ?? 0) ? m : a));
        const want = agent.spec.resources.requests[key] ?? 0;
        const have = usableCapacity(agent, best.c.pool, best.c.shape.capacity)[key] ?? 0;
        const share = key === 'gpuMillis' && want < 1000 ? ' (a GPU share needs a node with at least one device)' : '';
        ctx.report(e, `/spec/resources/requests/${resourceName(key)}`, 'UnsatisfiableRequest', `${docName(agent)} requests ${formatResource(key, want)} per instance, but the largest node it may use (${best.c.shape.label}) offers ${formatResource(key, have)}${share}`, { hint: 'lower the request, or allow a pool with larger nodes' });
      }
    }
  },
};

export const limitsMatchRequests: Rule = {
  name: 'limits-match-requests',
  description: 'guaranteed agents have limits equal to requests; no limit is below its request',
  check(ctx) {
    for (const e of entriesOf(ctx, 'Agent')) {
      const { requests, limits } = e.doc.spec.resources;
      if (!limits) continue;
      const keys = [...new Set([...Object.keys(requests), ...Object.keys(limits)])].sort();
      for (const k of keys) {
        const r = requests[k];
        const l = limits[k];
        const at = `/spec/resources/limits/${resourceName(k)}`;
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
