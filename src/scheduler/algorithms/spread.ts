/** spread: priority order, each instance to the least allocated, most balanced node (worst fit). */
import type { PlacementAlgorithm } from './algorithm.js';
import { priorityOrder } from './ordering.js';

export const spread: PlacementAlgorithm = {
  name: 'spread',
  order: (pods) => priorityOrder(pods),
  weights: (w) => ({ ...w, binpack: 0, fragmentation: 0, balance: Math.max(1, w.balance ?? 1) }),
  select: (ev, pod) => ev.best(pod),
};
