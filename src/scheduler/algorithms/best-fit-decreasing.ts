/**
 * best-fit-decreasing: within each priority, the largest instances first — their shares of the
 * cluster summed with weights for how contended each resource is — each to the node it fills
 * best; then swap improvement and consolidation. "balance" is switched off because it scores the
 * opposite of best fit; binpack and fragmentation carry the packing.
 */
import type { PlacementAlgorithm } from './algorithm.js';
import { byAdmission, byName, clusterCapacity, decreasingOrder } from './ordering.js';
import { dominantShare } from '../framework/resources.js';
import type { Pod } from '../framework/workload.js';

export const bestFitDecreasing: PlacementAlgorithm = {
  name: 'best-fit-decreasing',
  order: (pods, env) => decreasingOrder(pods, env.cluster, env.feasible),
  consolidate: true,
  improve: true,
  weights: (w, _pod, gpuDemand) =>
    // With GPU demand, fragmentation (measured over GPU, CPU and memory) carries the packing.
    // binpack (kube's MostAllocated over every requested resource) would fill a GPU node's CPU
    // and memory before its GPUs — with GPU instances and with CPU-only ones alike — and strand
    // them; balance keeps each node's resources used in step instead. Without GPU demand
    // nothing can be stranded that way, and binpack packs as before.
    gpuDemand ? { ...w, binpack: 0, balance: Math.max(1, w.balance ?? 1) } : { ...w, balance: 0, binpack: Math.max(1, w.binpack ?? 1) },
  select: (ev, pod) => ev.best(pod),
};

/** Sizes by one view of a request, largest first, within admission order. */
function orderBy(size: (p: Pod, total: Float64Array) => number): PlacementAlgorithm['order'] {
  return (pods, env) => {
    const total = clusterCapacity(env.cluster);
    const s = new Map(pods.map((p) => [p, size(p, total)]));
    return [...pods].sort((a, b) => byAdmission(a, b) || s.get(b)! - s.get(a)! || byName(a, b));
  };
}

const share = (p: Pod, total: Float64Array, i: number) => (total[i]! > 0 ? p.req[i]! / total[i]! : 0);

/**
 * Other "decreasing" orders tried on small problems (see schedule()): by dominant share, and by
 * each resource's share alone. No single order packs best on every problem (Panigrahy et al. 2011);
 * trying a few and keeping the tightest result closes most of the gap to the optimum.
 */
export const BFD_ORDER_VARIANTS: readonly PlacementAlgorithm[] = [
  { ...bestFitDecreasing, order: orderBy((p, t) => dominantShare(p.req, t)) },
  { ...bestFitDecreasing, order: orderBy((p, t) => { let s = 0; for (let i = 0; i < t.length; i++) s += share(p, t, i); return s; }) },
  ...[0, 1, 2].map((r) => ({ ...bestFitDecreasing, order: orderBy((p, t) => share(p, t, r) + 1e-6 * dominantShare(p.req, t)) })),
];
