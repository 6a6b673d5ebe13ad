import type { CycleContext, PluginModule, ScorePlugin } from '../../framework/plugin.js';
import { powerScore } from './power.js';

export const name = 'power';

function maxPower(ctx: CycleContext): number {
  let m = ctx.runCache.get(name) as number | undefined;
  if (m === undefined) {
    m = 0;
    for (const n of ctx.cluster.nodes) m = Math.max(m, n.node.powerWatts);
    ctx.runCache.set(name, m);
  }
  return m;
}

const score = {
  name,
  kind: 'static',
  weightKey: 'power',
  nodeLocal: true,
  applies: () => true,
  score: (ctx, pod, node) => powerScore(pod, node, maxPower(ctx)),
} satisfies ScorePlugin;

export const plugin: PluginModule = { name, filters: [], scores: [score] };
