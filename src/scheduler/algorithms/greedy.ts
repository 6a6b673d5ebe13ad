/** greedy: one instance at a time in priority order, each to its best-scoring node. */
import type { PlacementAlgorithm } from './algorithm.js';
import { priorityOrder } from './ordering.js';

export const greedy: PlacementAlgorithm = {
  name: 'greedy',
  order: (pods) => priorityOrder(pods),
  select: (ev, pod) => ev.best(pod),
};
