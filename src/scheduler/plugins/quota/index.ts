import type { FilterPlugin, PluginModule } from '../../framework/plugin.js';
import { quotaStatus } from './quota.js';

export const name = 'quota';

const filter = {
  name,
  kind: 'dynamic',
  filter: quotaStatus,
} satisfies FilterPlugin;

export const plugin: PluginModule = { name, filters: [filter], scores: [] };
