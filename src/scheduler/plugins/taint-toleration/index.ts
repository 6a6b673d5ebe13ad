import type { FilterPlugin, PluginModule, ScorePlugin } from '../../framework/plugin.js';
import { taintScore, taintStatus } from './taint-toleration.js';

export const name = 'taint-toleration';

const filter = {
  name,
  kind: 'static',
  filter: (_ctx, pod, node) => taintStatus(node.node.taints, pod.agent.placement.tolerations),
} satisfies FilterPlugin;

const score = {
  name,
  kind: 'static',
  weightKey: 'taint',
  nodeLocal: true,
  applies: () => true,
  score: (_ctx, pod, node) => taintScore(node.node.taints, pod.agent.placement.tolerations),
} satisfies ScorePlugin;

export const plugin: PluginModule = { name, filters: [filter], scores: [score] };
