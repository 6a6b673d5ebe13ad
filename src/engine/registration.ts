/**
 * Nodes that register late. A provisioner (clusterapi, aws, an exec plugin) changes a pool's node
 * count but does not choose the names of the nodes it adds: the plan's planned nodes
 * (`gpu-east-4`) become whatever the cloud registers (`ip-10-0-3-17.ec2.internal`). After a
 * scale-up the engine waits, through the pool's placing driver, for new nodes to register and
 * become ready, binds each planned node to one of them in the same zone, and rewrites the plan's
 * later actions onto the real names. Planned nodes nothing registered for within the provisioner's
 * `startTimeout` stay unbound: the actions onto them are `pending`, for the next reconcile.
 */
import type { Driver } from '../drivers/contract.js';
import type { DriverDoc, PolicySet, PoolDoc } from '../model/documents.js';
import type { PlanAction, ScalePoolAction } from '../model/plan.js';
import { parseDuration } from '../model/quantity.js';
import type { ObservedNode } from '../model/state.js';
import { newNodes } from '../planner/nodes.js';

export const DEFAULT_START_TIMEOUT_MS = 5 * 60_000;

export interface PlannedNode {
  name: string;
  zone: string;
}

/**
 * Bind planned nodes to registered ones: a node registered under the planned name is that node;
 * the others take the registered nodes of their zone in name order. Pure and deterministic.
 */
export function bindByZone(planned: readonly PlannedNode[], registered: readonly ObservedNode[], taken: ReadonlySet<string> = new Set()): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set(taken);
  const byName = new Map(registered.map((n) => [n.name, n]));
  for (const p of planned) {
    if (byName.has(p.name) && !used.has(p.name)) {
      out.set(p.name, p.name);
      used.add(p.name);
    }
  }
  const free = registered.filter((n) => !used.has(n.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const p of planned) {
    if (out.has(p.name)) continue;
    const i = free.findIndex((n) => n.zone === p.zone);
    if (i < 0) continue;
    out.set(p.name, free[i]!.name);
    used.add(free[i]!.name);
    free.splice(i, 1);
  }
  return out;
}

/** The zones the planner gave a scale-up's new nodes (the same function it used, on the same nodes). */
export function plannedNodes(pool: PoolDoc, before: readonly ObservedNode[], action: ScalePoolAction): PlannedNode[] {
  const made = newNodes(pool, before, action.addNodes.length);
  const zoneOf = new Map(made.map((n) => [n.name, n.zone]));
  return action.addNodes.map((name) => ({ name, zone: zoneOf.get(name) ?? pool.spec.zones[0] ?? '' }));
}

/** The first `startTimeout` (spec.<type>.startTimeout) of the documents given — the provisioner's, then the placing driver's — else 5 minutes. */
export function startTimeoutMs(...docs: (DriverDoc | undefined)[]): number {
  for (const doc of docs) {
    const block = doc ? (doc.spec[doc.spec.type] as { startTimeout?: unknown } | undefined) : undefined;
    if (block?.startTimeout === undefined) continue;
    const parsed = parseDuration(block.startTimeout, 'startTimeout');
    if (parsed.ok) return parsed.value * 1000;
  }
  return DEFAULT_START_TIMEOUT_MS;
}

export interface AwaitOptions {
  policy: PolicySet;
  pool: PoolDoc;
  /** The driver that places on the pool (it observes the nodes). */
  placer: Driver;
  /** The pool's nodes before the scale-up. */
  before: readonly ObservedNode[];
  /** Node names already bound by earlier scale-ups of this apply. */
  taken: ReadonlySet<string>;
  action: ScalePoolAction;
  now: () => string;
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal | undefined;
}

export interface Registration {
  bound: Map<string, string>;
  unbound: string[];
  /** What the wait saw, for messages (the placer's warnings, how long it waited). */
  waitedMs: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Wait until every planned node of the scale-up is bound to a new, ready node of the pool, or the
 * timeout passes, or the signal aborts. Observes only the pool, through its placing driver.
 */
export async function awaitRegistration(o: AwaitOptions): Promise<Registration> {
  const planned = plannedNodes(o.pool, o.before, o.action);
  const known = new Set(o.before.map((n) => n.name));
  const pollMs = o.pollMs ?? Math.max(50, Math.min(2000, Math.floor(o.timeoutMs / 20)));
  const started = performance.now();
  let bound = new Map<string, string>();
  for (;;) {
    const obs = await o.placer.observe({ policy: o.policy, pools: [o.pool], now: o.now() });
    const fresh = obs.nodes.filter((n) => n.pool === o.pool.metadata.name && n.ready && (!known.has(n.name) || o.action.addNodes.includes(n.name)));
    bound = bindByZone(planned, fresh, o.taken);
    const waited = performance.now() - started;
    if (bound.size === planned.length || waited >= o.timeoutMs || o.signal?.aborted) {
      return { bound, unbound: planned.filter((p) => !bound.has(p.name)).map((p) => p.name), waitedMs: waited };
    }
    await sleep(Math.min(pollMs, Math.max(0, o.timeoutMs - waited)), o.signal);
  }
}

/**
 * The apply's view of planned-node bindings: rewrites actions onto registered node names, and
 * says which actions must wait because their node never registered.
 */
export class NodeBindings {
  private readonly bound = new Map<string, string>();
  private readonly unbound = new Map<string, string>();

  /** Record a scale-up's registration (scaleActionId names it in messages). */
  add(reg: Registration, scaleActionId: string): void {
    for (const [p, real] of reg.bound) this.bound.set(p, real);
    for (const p of reg.unbound) this.unbound.set(p, scaleActionId);
  }

  /** Real node names taken so far. */
  taken(): Set<string> {
    return new Set(this.bound.values());
  }

  /** The real name of a node the plan names (itself when it is not a planned node). */
  real(node: string): string {
    return this.bound.get(node) ?? node;
  }

  /** A planned node that did not register, with the scale action that asked for it. */
  missing(a: PlanAction): { node: string; scaleAction: string } | undefined {
    const node = a.type === 'place' ? a.node : a.type === 'move' ? a.toNode : undefined;
    if (node === undefined) return undefined;
    const scaleAction = this.unbound.get(node);
    return scaleAction === undefined ? undefined : { node, scaleAction };
  }

  /** The action with planned node names replaced by the registered ones. */
  rewrite(a: PlanAction): PlanAction {
    if (this.bound.size === 0) return a;
    switch (a.type) {
      case 'place': return this.bound.has(a.node) ? { ...a, node: this.real(a.node) } : a;
      case 'move': return this.bound.has(a.toNode) || this.bound.has(a.fromNode) ? { ...a, toNode: this.real(a.toNode), fromNode: this.real(a.fromNode) } : a;
      case 'evict':
      case 'remove': return this.bound.has(a.node) ? { ...a, node: this.real(a.node) } : a;
      default: return a;
    }
  }
}
