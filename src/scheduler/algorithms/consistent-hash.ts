/**
 * consistent-hash: rendezvous (highest-random-weight) hashing. Each instance goes to the feasible
 * node with the highest hash(instance, node, seed); adding or removing a node moves only the
 * instances whose top node changed.
 */
import { hash32 } from '../random.js';
import type { PlacementAlgorithm } from './algorithm.js';
import { priorityOrder } from './ordering.js';

export const consistentHash: PlacementAlgorithm = {
  name: 'consistent-hash',
  order: (pods) => priorityOrder(pods),
  select: (ev, pod, env) => {
    const st = ev.statics(pod);
    let best = -1;
    let bestHash = -1;
    for (const node of st.feasible) {
      const h = hash32(`${pod.name}\u0000${ev.nodes[node]!.name}`, env.seed);
      if (h <= bestHash) continue;
      if (ev.dynamicStatus(pod, node).code !== 'Success') continue;
      best = node;
      bestHash = h;
    }
    return best;
  },
};
