import type { FilterPlugin, PluginModule, ScorePlugin } from '../../framework/plugin.js';
import { requiredNodeAffinityStatus } from './filtering.js';
import { preferredNodeAffinityScore } from './scoring.js';

export const name = 'node-affinity';

const filter = {
  name,
  kind: 'static',
  filter: (_ctx, pod, node) => requiredNodeAffinityStatus(pod.agent.placement.nodeRequired, node.view),
} satisfies FilterPlugin;

const score = {
  name,
  kind: 'static',
  weightKey: 'affinity',
  nodeLocal: true,
  applies: (pod) => pod.agent.placement.nodePreferred.length > 0,
  score: (_ctx, pod, node) => preferredNodeAffinityScore(pod.agent.placement.nodePreferred, node.view),
} satisfies ScorePlugin;

export const plugin: PluginModule = { name, filters: [filter], scores: [score] };
