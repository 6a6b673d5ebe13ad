import type { FilterPlugin, PluginModule } from '../../framework/plugin.js';
import { poolStateStatus } from './pool-state.js';

export const name = 'pool-state';

const filter = {
  name,
  kind: 'static',
  filter: (_ctx, _pod, node) => poolStateStatus(node),
} satisfies FilterPlugin;

export const plugin: PluginModule = { name, filters: [filter], scores: [] };
