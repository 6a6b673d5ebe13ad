/**
 * The state fingerprint, scoped to what a plan touches: the nodes it places on, moves between or
 * scales; the instances it places, moves, evicts or removes; the pools it scales; the quotas its
 * placements count against. A change elsewhere in the fleet leaves the fingerprint as it was, so the
 * plan stays applicable (finer than Terraform's whole-state serial).
 */
import type { PolicySet } from '../model/documents.js';
import type { PlanAction } from '../model/plan.js';
import type { ObservedInstance, ObservedState } from '../model/state.js';
import { digest } from '../model/digest.js';

export const ABSENT = 'absent';

/** One digest per touched item, keyed "node/…", "instance/…", "pool/…", "quota/…"; keys sorted. */
export function fingerprintScope(policy: PolicySet, observed: ObservedState, actions: readonly PlanAction[]): Record<string, string> {
  const nodes = new Set<string>();
  const instances = new Set<string>();
  const pools = new Set<string>();
  const owners = new Set<string>();
  const agentOwner = new Map(policy.agents.map((a) => [a.metadata.name, a.spec.owner]));
  for (const a of actions) {
    switch (a.type) {
      case 'place': nodes.add(a.node); instances.add(a.instance); owners.add(agentOwner.get(a.agent) ?? ''); break;
      case 'move': nodes.add(a.fromNode); nodes.add(a.toNode); instances.add(a.instance); break;
      case 'evict':
      case 'remove': nodes.add(a.node); instances.add(a.instance); break;
      case 'scalePool': pools.add(a.pool); for (const n of [...a.addNodes, ...a.removeNodes]) nodes.add(n); break;
      case 'scaleAgent': break;
    }
  }
  return computeScope(policy, observed, { nodes: [...nodes], instances: [...instances], pools: [...pools], quotas: policy.quotas.filter((q) => owners.has(q.spec.owner)).map((q) => q.metadata.name) });
}

/** Digests of the named items in an observed state; used at plan time and again at apply time. */
export function computeScope(policy: PolicySet, observed: ObservedState, items: { nodes: string[]; instances: string[]; pools: string[]; quotas: string[] }): Record<string, string> {
  const nodeBy = new Map(observed.nodes.map((n) => [n.name, n]));
  const instBy = new Map(observed.instances.map((i) => [i.name, i]));
  // Instance names per node, in observed order, in one pass (not one scan of every instance per node).
  const onNode = new Map<string, string[]>();
  for (const i of observed.instances) {
    const list = onNode.get(i.node);
    if (list) list.push(i.name);
    else onNode.set(i.node, [i.name]);
  }
  const entries: [string, string][] = [];
  for (const n of items.nodes) {
    const node = nodeBy.get(n);
    entries.push([`node/${n}`, node ? digest({ ...node, instances: [...(onNode.get(n) ?? [])].sort() }) : ABSENT]);
  }
  // Real use changes from one observation to the next: it is not part of what a plan depends on.
  for (const i of items.instances) entries.push([`instance/${i}`, instBy.has(i) ? digest(withoutUsage(instBy.get(i)!)) : ABSENT]);
  for (const p of items.pools) entries.push([`pool/${p}`, digest(observed.nodes.filter((n) => n.pool === p).map((n) => n.name).sort())]);
  const ownerAgents = new Map<string, Set<string>>();
  for (const a of policy.agents) ownerAgents.set(a.spec.owner, (ownerAgents.get(a.spec.owner) ?? new Set()).add(a.metadata.name));
  for (const qn of items.quotas) {
    const q = policy.quotas.find((x) => x.metadata.name === qn);
    const agents = q ? (ownerAgents.get(q.spec.owner) ?? new Set<string>()) : new Set<string>();
    entries.push([`quota/${qn}`, digest(observed.instances.filter((i) => agents.has(i.agent)).map((i) => [i.name, i.node, i.requests]).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)))]);
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

function withoutUsage(i: ObservedInstance): ObservedInstance {
  if (!i.usage) return i;
  const { usage: _usage, ...rest } = i;
  return rest;
}

/** The fingerprint of a scope. */
export function stateFingerprint(scope: Record<string, string>): string {
  return digest(scope);
}

/** Parse scope keys back into item lists, to recompute the scope against a fresh observation. */
export function scopeItems(scope: Record<string, string>): { nodes: string[]; instances: string[]; pools: string[]; quotas: string[] } {
  const out = { nodes: [] as string[], instances: [] as string[], pools: [] as string[], quotas: [] as string[] };
  for (const key of Object.keys(scope)) {
    const slash = key.indexOf('/');
    const kind = key.slice(0, slash);
    const name = key.slice(slash + 1);
    if (kind === 'node') out.nodes.push(name);
    else if (kind === 'instance') out.instances.push(name);
    else if (kind === 'pool') out.pools.push(name);
    else if (kind === 'quota') out.quotas.push(name);
  }
  return out;
}

/** What changed between two scopes, in words: "node gpu-1 disappeared", "instance chat-0 changed". */
export function describeScopeChanges(planned: Record<string, string>, now: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [key, before] of Object.entries(planned)) {
    const after = now[key];
    if (after === before) continue;
    const [kind, ...rest] = key.split('/');
    const name = rest.join('/');
    if (after === ABSENT) out.push(`${kind} ${name} disappeared`);
    else if (before === ABSENT) out.push(`${kind} ${name} appeared`);
    else out.push(`${kind} ${name} changed`);
  }
  return out;
}
