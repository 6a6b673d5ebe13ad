import type { FilterPlugin, PluginModule } from '../../framework/plugin.js';
import { nodeSelectorStatus } from './node-selector.js';

export const name = 'node-selector';

const filter = {
  name,
  kind: 'static',
  filter: (_ctx, pod, node) => nodeSelectorStatus(pod.agent.placement.nodeSelector, node.node.labels),
} satisfies FilterPlugin;

export const plugin: PluginModule = { name, filters: [filter], scores: [] };
