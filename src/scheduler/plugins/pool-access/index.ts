import type { FilterPlugin, PluginModule } from '../../framework/plugin.js';
import { poolAccessStatus } from './pool-access.js';

export const name = 'pool-access';

const filter = {
  name,
  kind: 'static',
  filter: (_ctx, pod, node) => poolAccessStatus(pod.agent.doc, node.pool),
} satisfies FilterPlugin;

export const plugin: PluginModule = { name, filters: [filter], scores: [] };
