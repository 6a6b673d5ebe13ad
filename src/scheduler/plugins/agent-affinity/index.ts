import type { FilterPlugin, PluginModule, ScorePlugin } from '../../framework/plugin.js';
import { agentAffinityStatus } from './filtering.js';
import { agentAffinityScore, hasPreferredTerms } from './scoring.js';

export const name = 'agent-affinity';

const filter = {
  name,
  kind: 'dynamic',
  filter: (ctx, pod, node) => agentAffinityStatus(ctx.cluster, pod, node.index),
} satisfies FilterPlugin;

const score = {
  name,
  kind: 'dynamic',
  weightKey: 'affinity',
  nodeLocal: false,
  normalize: 'minMax',
  applies: hasPreferredTerms,
  score: (ctx, pod, node) => agentAffinityScore(ctx.cluster, pod, node.index),
} satisfies ScorePlugin;

export const plugin: PluginModule = { name, filters: [filter], scores: [score] };
