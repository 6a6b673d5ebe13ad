/** Node naming and shapes for pools: initial nodes, new nodes on scale-up, nodes to drop on scale-down. Pure. */
import type { PoolDoc } from '../model/documents.js';
import type { ObservedNode } from '../model/state.js';

/** A node of the pool's shape (or its static entry) with the given name and zone. */
export function shapeNode(pool: PoolDoc, name: string, zone: string): ObservedNode {
  const stat = pool.spec.nodes?.find((n) => n.name === name);
  const node: ObservedNode = {
    name,
    pool: pool.metadata.name,
    region: pool.spec.region,
    zone: stat?.zone ?? zone,
    labels: { ...(stat?.labels ?? pool.spec.node.labels) },
    taints: pool.spec.node.taints.map((t) => ({ ...t })),
    ready: true,
    capacity: { ...(stat?.capacity ?? pool.spec.node.capacity) },
    costPerHour: pool.spec.node.costPerHour,
    powerWatts: pool.spec.node.powerWatts,
  };
  if (stat?.address !== undefined) node.address = stat.address;
  return node;
}

/** The nodes a pool has when it first appears: its static nodes, else size.initial nodes spread over its zones. */
export function initialNodes(pool: PoolDoc): ObservedNode[] {
  if (pool.spec.nodes) return pool.spec.nodes.map((n) => shapeNode(pool, n.name, n.zone ?? pool.spec.zones[0]!));
  return newNodes(pool, [], pool.spec.size.initial);
}

/** `count` new nodes named `<pool>-<i>` with the lowest free indices, each in the zone with the fewest nodes. */
export function newNodes(pool: PoolDoc, existing: readonly ObservedNode[], count: number): ObservedNode[] {
  const name = pool.metadata.name;
  const used = new Set(existing.map((n) => n.name));
  const perZone = new Map(pool.spec.zones.map((z) => [z, 0]));
  for (const n of existing) if (perZone.has(n.zone)) perZone.set(n.zone, perZone.get(n.zone)! + 1);
  const out: ObservedNode[] = [];
  let i = 0;
  while (out.length < count) {
    const nodeName = `${name}-${i++}`;
    if (used.has(nodeName)) continue;
    let zone = pool.spec.zones[0]!;
    for (const z of pool.spec.zones) if (perZone.get(z)! < perZone.get(zone)!) zone = z;
    perZone.set(zone, perZone.get(zone)! + 1);
    out.push(shapeNode(pool, nodeName, zone));
  }
  return out;
}

/**
 * Which nodes to drop when a pool shrinks by `count`: not-ready nodes first, then empty nodes,
 * then the zone with the most nodes, highest index first (the reverse of newNodes).
 */
export function nodesToRemove(existing: readonly ObservedNode[], count: number, instancesOn: ReadonlyMap<string, number>): ObservedNode[] {
  const idx = (n: ObservedNode) => Number(/-(\d+)$/.exec(n.name)?.[1] ?? -1);
  const remaining = [...existing];
  const out: ObservedNode[] = [];
  while (out.length < count && remaining.length) {
    const perZone = new Map<string, number>();
    for (const n of remaining) perZone.set(n.zone, (perZone.get(n.zone) ?? 0) + 1);
    remaining.sort((a, b) =>
      Number(a.ready) - Number(b.ready) ||
      (instancesOn.get(a.name) ?? 0) - (instancesOn.get(b.name) ?? 0) ||
      perZone.get(b.zone)! - perZone.get(a.zone)! ||
      idx(b) - idx(a) ||
      (a.name < b.name ? 1 : -1),
    );
    out.push(remaining.shift()!);
  }
  return out;
}
