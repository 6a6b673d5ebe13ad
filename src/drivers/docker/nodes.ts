/**
 * Which Docker engine each node is: a static pool's nodes are their `address` (or the driver's
 * default engine); a pool without static nodes has one node per configured endpoint, named
 * `<pool>-<i>` and spread over its zones; a pool scaled by a provisioner that lists its machines
 * (aws) has one node per machine, named by it, at the machine's address. Capacity is the pool's (never guessed from the engine);
 * `docker info` only produces a warning when the engine is smaller. Pure.
 */
import type { Machine } from '../contract.js';
import type { PoolDoc } from '../../model/documents.js';
import { formatBytes, formatResource } from '../../model/quantity.js';
import type { ObservedNode } from '../../model/state.js';
import { initialNodes, newNodes, shapeNode } from '../../planner/nodes.js';
import type { EngineInfo } from './engine-client.js';

export interface NodeTarget {
  node: ObservedNode;
  /** The engine's address, as configured. */
  address: string;
}

/** Every node of the served pools, with its engine address, sorted by name. `machines`: pool → its provisioner's machines. */
export function nodeTargets(pools: readonly PoolDoc[], endpoints: readonly string[], fallback: string, machines: ReadonlyMap<string, readonly Machine[]> = new Map()): NodeTarget[] {
  const out: NodeTarget[] = [];
  for (const pool of pools) {
    const provisioned = pool.spec.nodes ? undefined : machines.get(pool.metadata.name);
    if (provisioned) {
      for (const m of provisioned) {
        const node = { ...shapeNode(pool, m.name, m.zone), address: m.address };
        out.push({ node: m.providerId ? { ...node, providerId: m.providerId } : node, address: m.address });
      }
      continue;
    }
    if (pool.spec.nodes) {
      for (const node of initialNodes(pool)) {
        const address = node.address ?? endpoints[0] ?? fallback;
        out.push({ node: { ...node, address }, address });
      }
      continue;
    }
    const addresses = endpoints.length ? endpoints : [fallback];
    newNodes(pool, [], addresses.length).forEach((node, i) => out.push({ node: { ...node, address: addresses[i]! }, address: addresses[i]! }));
  }
  return out.sort((a, b) => (a.node.name < b.node.name ? -1 : a.node.name > b.node.name ? 1 : 0));
}

/** A warning when an engine has fewer CPUs or less memory than the nodes it backs promise. */
export function capacityWarning(address: string, nodes: readonly ObservedNode[], info: EngineInfo): string | undefined {
  const cpu = nodes.reduce((s, n) => s + (n.capacity.cpuMillis ?? 0), 0);
  const mem = nodes.reduce((s, n) => s + (n.capacity.memoryBytes ?? 0), 0);
  const short: string[] = [];
  if (info.NCPU * 1000 < cpu) short.push(`${info.NCPU} CPUs where the pool declares ${formatResource('cpuMillis', cpu)}`);
  if (info.MemTotal < mem) short.push(`${formatBytes(info.MemTotal)} memory where the pool declares ${formatBytes(mem)}`);
  if (!short.length) return undefined;
  const names = nodes.map((n) => `${n.name} (pool ${n.pool})`).join(', ');
  return `docker engine ${address} (node${nodes.length === 1 ? '' : 's'} ${names}) is smaller than declared: it reports ${short.join(', and ')}; instances may not get what the plan gives them: lower the capacity in the pool's node shape or static node entry`;
}

/** A warning when nodes promise GPUs and the engine has no NVIDIA runtime to give them out. */
export function gpuWarning(address: string, nodes: readonly ObservedNode[], info: EngineInfo): string | undefined {
  const gpus = nodes.filter((n) => (n.capacity.gpuMillis ?? 0) > 0);
  if (!gpus.length || Object.keys(info.Runtimes ?? {}).some((r) => r.includes('nvidia'))) return undefined;
  return `docker engine ${address} has no NVIDIA runtime, but node${gpus.length === 1 ? '' : 's'} ${gpus.map((n) => n.name).join(', ')} declare GPUs: instances that request GPUs will fail to start there; install the NVIDIA Container Toolkit or drop gpu from the capacity`;
}
