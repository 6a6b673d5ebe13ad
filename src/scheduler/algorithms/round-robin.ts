/** round-robin: priority order; each instance to the next feasible node after the last one used. */
import type { PlacementAlgorithm } from './algorithm.js';
import { priorityOrder } from './ordering.js';

export const roundRobin: PlacementAlgorithm = {
  name: 'round-robin',
  order: (pods) => priorityOrder(pods),
  select: (ev, pod, env) => {
    const n = ev.nodes.length;
    if (n === 0) return -1;
    const start = ((env.state.get('cursor') as number | undefined) ?? -1) + 1;
    const st = ev.statics(pod);
    for (let k = 0; k < n; k++) {
      const node = (start + k) % n;
      if (st.position[node]! < 0) continue;
      if (ev.dynamicStatus(pod, node).code !== 'Success') continue;
      env.state.set('cursor', node);
      return node;
    }
    return -1;
  },
};
