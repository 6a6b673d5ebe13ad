import type { CycleContext, PluginModule, ScorePlugin } from '../../framework/plugin.js';
import { usageCostScore } from './cost.js';

export const name = 'cost';

function maxCost(ctx: CycleContext): number {
  let m = ctx.runCache.get(name) as number | undefined;
  if (m === undefined) {
    m = 0;
    for (const n of ctx.cluster.nodes) m = Math.max(m, n.node.costPerHour);
    ctx.runCache.set(name, m);
  }
  return m;
}

const score = {
  name,
  kind: 'static',
  weightKey: 'cost',
  nodeLocal: true,
  applies: () => true,
  score: (ctx, pod, node) => usageCostScore(pod, node, node.node.costPerHour, maxCost(ctx)),
} satisfies ScorePlugin;

export const plugin: PluginModule = { name, filters: [], scores: [score] };
