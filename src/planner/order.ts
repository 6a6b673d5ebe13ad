/**
 * Apply order for capacity freed in the same plan. Apply runs independent actions concurrently,
 * so an instance arriving on a node (a place, or a move's new copy) may start before the instance
 * leaving that node (a remove, an evict, a move away) has gone. The simulator does not mind; a
 * kubelet rejects the pod (`OutOfcpu`) and a GPU device would be double-booked. On every node
 * where the instances that stay plus everything arriving do not fit together, or where an arrival
 * takes a GPU device an instance leaving holds, each arrival depends on the departures, which are
 * moved before it. Pure and deterministic.
 */
import type { PlanAction } from '../model/plan.js';
import type { ResourceList } from '../model/quantity.js';
import type { ObservedInstance, ObservedNode } from '../model/state.js';

export interface OrderInput {
  actions: PlanAction[];
  /** The nodes as planned (new ones included), for capacity. */
  nodes: readonly ObservedNode[];
  /** What runs now, every copy. */
  instances: readonly ObservedInstance[];
  /** Requests of an instance the plan places or moves. */
  requestsOf(instance: string): ResourceList | undefined;
}

export interface OrderOutput {
  actions: PlanAction[];
  warnings: string[];
}

interface Arrival {
  id: string;
  node: string;
  requests: ResourceList;
  devices: readonly number[];
}

interface Departure {
  id: string;
  node: string;
  devices: readonly number[];
}

function add(into: Map<string, number>, r: ResourceList, sign: number): void {
  for (const [k, v] of Object.entries(r)) into.set(k, (into.get(k) ?? 0) + sign * (v ?? 0));
}

/** Add the dependencies freed capacity needs, then list the actions so that each follows what it depends on. */
export function orderForCapacity(input: OrderInput): OrderOutput {
  const { actions } = input;
  const warnings: string[] = [];
  const capacity = new Map(input.nodes.map((n) => [n.name, n.capacity]));
  const copies = new Map<string, ObservedInstance>();
  for (const i of input.instances) copies.set(`${i.name}@${i.node}`, i);

  const arrivals = new Map<string, Arrival[]>();
  const departures = new Map<string, Departure[]>();
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => m.set(k, [...(m.get(k) ?? []), v]);
  for (const a of actions) {
    if (a.type === 'place' || a.type === 'move') {
      const node = a.type === 'place' ? a.node : a.toNode;
      const requests = a.type === 'place' ? a.requests : input.requestsOf(a.instance) ?? copies.get(`${a.instance}@${a.fromNode}`)?.requests ?? {};
      push(arrivals, node, { id: a.id, node, requests, devices: a.gpuDevices ?? [] });
    }
    if (a.type === 'remove' || a.type === 'evict' || a.type === 'move') {
      const node = a.type === 'move' ? a.fromNode : a.node;
      push(departures, node, { id: a.id, node, devices: copies.get(`${a.instance}@${node}`)?.gpuDevices ?? [] });
    }
  }
  if (arrivals.size === 0 || departures.size === 0) return { actions, warnings };

  // Usage per node by what runs there now.
  const usage = new Map<string, Map<string, number>>();
  for (const i of input.instances) {
    let u = usage.get(i.node);
    if (!u) usage.set(i.node, (u = new Map()));
    add(u, i.requests, 1);
  }

  const deps = new Map(actions.map((a) => [a.id, new Set(a.dependsOn ?? [])]));
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length) {
      const x = stack.pop()!;
      if (x === to) return true;
      if (seen.has(x)) continue;
      seen.add(x);
      for (const d of deps.get(x) ?? []) stack.push(d);
    }
    return false;
  };

  for (const node of [...arrivals.keys()].sort()) {
    const leaving = departures.get(node);
    if (!leaving?.length) continue;
    const coming = arrivals.get(node)!;
    const cap = capacity.get(node);
    const total = new Map(usage.get(node) ?? []);
    for (const a of coming) add(total, a.requests, 1);
    const over = cap !== undefined && [...total].some(([k, v]) => cap[k] !== undefined && v > cap[k]!);
    for (const a of coming) {
      const clash = (d: Departure) => d.devices.some((x) => a.devices.includes(x));
      const needed = over ? leaving : leaving.filter(clash);
      for (const d of needed) {
        if (d.id === a.id) continue;
        if (reaches(d.id, a.id)) {
          warnings.push(`${a.id} and ${d.id} each need the other's node freed first on ${node}; apply may find ${node} full`);
          continue;
        }
        deps.get(a.id)!.add(d.id);
      }
    }
  }

  // Stable topological order: the planner's order wherever dependencies allow.
  const index = new Map(actions.map((a, i) => [a.id, i]));
  const remaining = new Map(actions.map((a) => [a.id, new Set([...deps.get(a.id)!].filter((d) => index.has(d)))]));
  const dependents = new Map<string, string[]>();
  for (const [id, ds] of remaining) for (const d of ds) push(dependents, d, id);
  const ready = actions.filter((a) => remaining.get(a.id)!.size === 0).map((a) => index.get(a.id)!);
  const order: number[] = [];
  while (ready.length) {
    ready.sort((x, y) => x - y);
    const i = ready.shift()!;
    order.push(i);
    for (const dep of dependents.get(actions[i]!.id) ?? []) {
      const s = remaining.get(dep)!;
      s.delete(actions[i]!.id);
      if (s.size === 0) ready.push(index.get(dep)!);
    }
  }
  if (order.length !== actions.length) return { actions, warnings }; // a cycle the planner made: keep its order

  const renamed = new Map(order.map((i, k) => [actions[i]!.id, `a${k + 1}`]));
  const num = (id: string) => Number(id.slice(1));
  const out = order.map((i) => {
    const a = actions[i]!;
    const ds = [...deps.get(a.id)!].map((d) => renamed.get(d) ?? d).sort((x, y) => num(x) - num(y));
    const { dependsOn: _old, ...rest } = a;
    return { ...rest, id: renamed.get(a.id)!, ...(ds.length ? { dependsOn: ds } : {}) } as PlanAction;
  });
  return { actions: out, warnings };
}
