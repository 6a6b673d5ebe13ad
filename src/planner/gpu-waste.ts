/**
 * Stranded and fragmented GPU per pool after the plan (docs/plan-output.md "GPU packing"). Pure and
 * O(nodes × devices + instances + nodes × distinct reference requests).
 *
 * Reference requests of a pool: the distinct requests of blocked GPU instances whose Agent may use
 * the pool (its `placement.pools`/`tiers`); when there are none, those of every GPU Agent that may use
 * it (the typical requests). On each ready node with free GPU:
 * - stranded: the node's free CPU or free memory is below the smallest CPU or memory request among the
 *   reference requests, so no reference request could use its free GPU; all its free GPU millis count;
 * - fragmented: not stranded, yet no reference request fits in its free device shares (a share needs
 *   one device with that much free, n GPUs need n entirely free devices); all its free GPU millis count.
 * A node counts in at most one of the two. Taints, selectors and quotas are not considered.
 */
import type { AgentDoc, PolicySet } from '../model/documents.js';
import type { PlanBlocked, PlanPoolGpu } from '../model/plan.js';
import type { ObservedInstance, ObservedNode } from '../model/state.js';
import { chooseDevices, devicesFit, perDeviceMillis } from '../scheduler/framework/gpu-devices.js';

interface Shape {
  gpu: number;
  cpu: number;
  memory: number;
}

function shapeOf(a: AgentDoc): Shape {
  const r = a.spec.resources.requests;
  return { gpu: r.gpuMillis ?? 0, cpu: r.cpuMillis ?? 0, memory: r.memoryBytes ?? 0 };
}

function admits(a: AgentDoc, pool: string, tier: string): boolean {
  const p = a.spec.placement;
  if (p.pools && !p.pools.includes(pool)) return false;
  if (p.tiers && !(p.tiers as string[]).includes(tier)) return false;
  return true;
}

/** Distinct shapes, in a fixed order (so the result never depends on input order). */
function distinct(shapes: Shape[]): Shape[] {
  const by = new Map<string, Shape>();
  for (const s of shapes) by.set(`${s.gpu}/${s.cpu}/${s.memory}`, s);
  return [...by.values()].sort((a, b) => a.gpu - b.gpu || a.cpu - b.cpu || a.memory - b.memory);
}

/** Used millis per device of every ready GPU node, from the instances' devices (or a best-fit choice when unrecorded). */
function deviceUse(nodes: readonly ObservedNode[], instances: readonly ObservedInstance[]): Map<string, { used: Int32Array; cpu: number; memory: number }> {
  const out = new Map<string, { used: Int32Array; cpu: number; memory: number }>();
  for (const n of nodes) if (n.ready && (n.capacity.gpuMillis ?? 0) > 0) out.set(n.name, { used: new Int32Array(Math.floor(n.capacity.gpuMillis! / 1000)), cpu: 0, memory: 0 });
  const unrecorded: ObservedInstance[] = [];
  for (const i of instances) {
    const u = out.get(i.node);
    if (!u) continue;
    u.cpu += i.requests.cpuMillis ?? 0;
    u.memory += i.requests.memoryBytes ?? 0;
    const g = i.requests.gpuMillis ?? 0;
    if (g <= 0) continue;
    if (i.gpuDevices && i.gpuDevices.length > 0) {
      for (const d of i.gpuDevices) if (d >= 0 && d < u.used.length) u.used[d]! += perDeviceMillis(g);
    } else unrecorded.push(i);
  }
  unrecorded.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const i of unrecorded) {
    const u = out.get(i.node)!;
    const g = i.requests.gpuMillis!;
    for (const d of chooseDevices(u.used, g) ?? []) u.used[d]! += perDeviceMillis(g);
  }
  return out;
}

/** Per pool name, its GPU figures after the plan; pools without ready GPU capacity are left out. */
export function gpuWaste(policy: PolicySet, plannedNodes: readonly ObservedNode[], after: readonly ObservedInstance[], blocked: readonly PlanBlocked[]): Map<string, PlanPoolGpu> {
  const agents = new Map(policy.agents.map((a) => [a.metadata.name, a]));
  const gpuAgents = policy.agents.filter((a) => (a.spec.resources.requests.gpuMillis ?? 0) > 0);
  const blockedGpu = blocked.map((b) => agents.get(b.agent)).filter((a): a is AgentDoc => a !== undefined && (a.spec.resources.requests.gpuMillis ?? 0) > 0);
  const use = deviceUse(plannedNodes, after);
  const out = new Map<string, PlanPoolGpu>();
  for (const pool of policy.pools) {
    const name = pool.metadata.name;
    const tier = pool.spec.tier as string;
    const nodes = plannedNodes.filter((n) => n.pool === name && use.has(n.name));
    if (nodes.length === 0) continue;
    const pending = blockedGpu.filter((a) => admits(a, name, tier));
    const refs = distinct((pending.length > 0 ? pending : gpuAgents.filter((a) => admits(a, name, tier))).map(shapeOf));
    const minCpu = Math.min(...refs.map((r) => r.cpu));
    const minMemory = Math.min(...refs.map((r) => r.memory));
    let capacity = 0;
    let free = 0;
    let stranded = 0;
    let fragmented = 0;
    for (const n of nodes) {
      const u = use.get(n.name)!;
      let nodeFree = 0;
      for (const d of u.used) nodeFree += Math.max(0, 1000 - d);
      capacity += u.used.length * 1000;
      free += nodeFree;
      if (nodeFree === 0 || refs.length === 0) continue;
      const freeCpu = (n.capacity.cpuMillis ?? 0) - u.cpu;
      const freeMemory = (n.capacity.memoryBytes ?? 0) - u.memory;
      if (freeCpu < minCpu || freeMemory < minMemory) stranded += nodeFree;
      else if (!refs.some((r) => devicesFit(u.used, r.gpu))) fragmented += nodeFree;
    }
    out.set(name, { capacityMillis: capacity, freeMillis: free, strandedMillis: stranded, fragmentedMillis: fragmented, blockedInstances: pending.length });
  }
  return out;
}
