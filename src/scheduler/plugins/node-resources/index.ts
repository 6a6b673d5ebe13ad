import type { FilterPlugin, PluginModule, ScorePlugin } from '../../framework/plugin.js';
import { fitStatus } from './fit.js';
import { balanceScore, mostAllocatedScore } from './scoring.js';

export const name = 'node-resources';

const filter = {
  name,
  kind: 'dynamic',
  filter: (ctx, pod, node) => fitStatus(pod, node, ctx.cluster.res.keys),
} satisfies FilterPlugin;

const binpack = {
  name: 'binpack',
  kind: 'dynamic',
  weightKey: 'binpack',
  nodeLocal: true,
  applies: () => true,
  score: (_ctx, pod, node) => mostAllocatedScore(pod, node),
} satisfies ScorePlugin;

const balance = {
  name: 'balance',
  kind: 'dynamic',
  weightKey: 'balance',
  nodeLocal: true,
  applies: () => true,
  score: (_ctx, pod, node) => balanceScore(pod, node),
} satisfies ScorePlugin;

export const plugin: PluginModule = { name, filters: [filter], scores: [binpack, balance] };
