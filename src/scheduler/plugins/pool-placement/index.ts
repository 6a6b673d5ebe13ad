import type { FilterPlugin, PluginModule } from '../../framework/plugin.js';
import { poolPlacementStatus } from './pool-placement.js';

export const name = 'pool-placement';

const filter = {
  name,
  kind: 'static',
  filter: (_ctx, pod, node) => poolPlacementStatus(pod.agent.placement, node),
} satisfies FilterPlugin;

export const plugin: PluginModule = { name, filters: [filter], scores: [] };
