import type { CycleContext, FilterPlugin, PluginModule, ScorePlugin } from '../../framework/plugin.js';
import type { Pod } from '../../framework/workload.js';
import { spreadStates, type SpreadState } from './domains.js';
import { spreadStatus } from './filtering.js';
import { spreadScore } from './scoring.js';

export const name = 'topology-spread';

/** Nodes passing the agent's node constraints (pools, tiers, selector, required node affinity). */
function eligible(pod: Pod): Uint8Array {
  const e = pod.agent.statics?.nodeConstraints;
  if (!e) throw new Error(`internal: statics of agent ${pod.agent.name} not computed before spread`);
  return e;
}

const filter = {
  name,
  kind: 'dynamic',
  preFilter: (ctx: CycleContext, pod: Pod) => {
    ctx.cycle.set(name, spreadStates(ctx.cluster, pod, eligible(pod), 'DoNotSchedule'));
  },
  filter: (ctx, _pod, node) => spreadStatus(ctx.cluster, (ctx.cycle.get(name) as SpreadState[] | undefined) ?? [], node.index),
} satisfies FilterPlugin;

const score = {
  name,
  kind: 'dynamic',
  weightKey: 'spread',
  nodeLocal: false,
  applies: (pod) => pod.agent.placement.spread.some((r) => r.constraint.whenUnsatisfiable === 'ScheduleAnyway'),
  preScore: (ctx: CycleContext, pod: Pod) => {
    ctx.cycle.set(`${name}:score`, spreadStates(ctx.cluster, pod, eligible(pod), 'ScheduleAnyway'));
  },
  score: (ctx, _pod, node) => spreadScore(ctx.cluster, (ctx.cycle.get(`${name}:score`) as SpreadState[] | undefined) ?? [], node.index),
} satisfies ScorePlugin;

export const plugin: PluginModule = { name, filters: [filter], scores: [score] };
