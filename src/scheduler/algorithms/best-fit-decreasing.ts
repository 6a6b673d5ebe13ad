/**
 * best-fit-decreasing: within each priority, the largest instances first — their shares of the
 * cluster summed with weights for how contended each resource is — each to the node it fills
 * best; then swap improvement and consolidation. "balance" is switched off because it scores the
 * opposite of best fit; binpack and fragmentation carry the packing.
 */
import type { PlacementAlgorithm } from './algorithm.js';
import { decreasingOrder } from './ordering.js';

export const bestFitDecreasing: PlacementAlgorithm = {
  name: 'best-fit-decreasing',
  order: (pods, env) => decreasingOrder(pods, env.cluster),
  consolidate: true,
  improve: true,
  weights: (w) => ({ ...w, balance: 0, binpack: Math.max(1, w.binpack ?? 1) }),
  select: (ev, pod) => ev.best(pod),
};
