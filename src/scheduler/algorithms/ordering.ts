/** Instance orderings shared by the algorithms. All are total orders, so results are deterministic. */
import type { ClusterState } from '../framework/cluster.js';
import { dominantShare } from '../framework/resources.js';
import { CLASS_RANK, type Pod } from '../framework/workload.js';

/** Admission order (SPEC §2 Quota): priority desc, then class guaranteed > burstable > best_effort. */
export function byAdmission(a: Pod, b: Pod): number {
  return b.agent.priority - a.agent.priority || CLASS_RANK[b.agent.cls] - CLASS_RANK[a.agent.cls];
}

/**
 * Agent name, then ordinal as a number (web-2 before web-10, as a StatefulSet scales): a pod's id
 * is its position in exactly that order.
 */
export function byName(a: Pod, b: Pod): number {
  return a.id - b.id;
}

/** Priority order, then name: the greedy order. */
export function priorityOrder(pods: Pod[]): Pod[] {
  return [...pods].sort((a, b) => byAdmission(a, b) || byName(a, b));
}

/** Total capacity per resource over the cluster, the yardstick for "largest" instances. */
export function clusterCapacity(cluster: ClusterState): Float64Array {
  const total = new Float64Array(cluster.res.size);
  for (const n of cluster.nodes) for (let i = 0; i < total.length; i++) total[i]! += n.capacity[i]!;
  return total;
}

/**
 * How contended each resource is: (placed + pending requests) / capacity. Sizes weighted by it
 * put the items that use the scarce resource first (Panigrahy et al., "Heuristics for Vector Bin
 * Packing", 2011: FFD with demand-weighted sizes).
 */
export function contention(pods: Pod[], cluster: ClusterState): Float64Array {
  const total = clusterCapacity(cluster);
  const demand = new Float64Array(total.length);
  for (const n of cluster.nodes) for (let i = 0; i < demand.length; i++) demand[i]! += n.allocated[i]!;
  for (const p of pods) for (let i = 0; i < demand.length; i++) demand[i]! += p.req[i]!;
  const out = new Float64Array(total.length);
  for (let i = 0; i < out.length; i++) out[i] = total[i]! > 0 ? demand[i]! / total[i]! : 0;
  return out;
}

/**
 * Priority order, then largest first (best-fit-decreasing), then name. Size is the sum of the
 * request's shares of capacity, each weighted by how contended that resource is (FFD-AvgSum of
 * Panigrahy et al.), then the dominant share. The share is of the capacity of the nodes the
 * instance may use (its static filters: pools, selectors, required affinity, e.g. a pinned GPU
 * model): an instance that only fits a tenth of the fleet is ten times "larger" there, so it is
 * placed before unconstrained instances take that tenth, which could have gone anywhere.
 *
 * Within a priority, instances asking for GPUs go before CPU-only ones, by the same reasoning
 * (most constrained first): a GPU instance can only use a node with a free GPU *and* the CPU and
 * memory beside it, a CPU-only instance can use CPU anywhere, including what the GPU instances
 * leave. Placed first, CPU-only instances take the CPU that makes GPUs usable and strand them
 * (FGD trace, CPU-only demand ×2.5: 3 points of GPU capacity). Priorities still come first.
 */
export function decreasingOrder(pods: Pod[], cluster: ClusterState, feasible?: (pod: Pod) => Int32Array): Pod[] {
  const total = clusterCapacity(cluster);
  const load = contention(pods, cluster);
  const capacityOf = new Map<Int32Array, Float64Array>();
  const reach = (p: Pod): Float64Array => {
    const f = feasible?.(p);
    if (!f || f.length === cluster.nodes.length) return total;
    let c = capacityOf.get(f);
    if (!c) {
      c = new Float64Array(total.length);
      for (const n of f) for (let i = 0; i < c.length; i++) c[i]! += cluster.nodes[n]!.capacity[i]!;
      capacityOf.set(f, c);
    }
    return c;
  };
  const primary = new Map<Pod, number>();
  const secondary = new Map<Pod, number>();
  for (const p of pods) {
    const cap = reach(p);
    let size = 0;
    for (let i = 0; i < load.length; i++) {
      const c = cap[i]! > 0 ? cap[i]! : total[i]!;
      if (c > 0) size += load[i]! * (p.req[i]! / c);
    }
    primary.set(p, size);
    secondary.set(p, dominantShare(p.req, total));
  }
  return [...pods].sort(
    (a, b) =>
      byAdmission(a, b) ||
      (b.gpuMillis > 0 ? 1 : 0) - (a.gpuMillis > 0 ? 1 : 0) ||
      primary.get(b)! - primary.get(a)! ||
      secondary.get(b)! - secondary.get(a)! ||
      byName(a, b),
  );
}
