/**
 * Every plugin, registered explicitly in one map. Filter order is the order below: the first
 * failing filter names a node's reason, as in kube-scheduler.
 */
import type { FilterPlugin, PluginModule, ScorePlugin } from './framework/plugin.js';
import { plugin as agentAffinity } from './plugins/agent-affinity/index.js';
import { plugin as cost } from './plugins/cost/index.js';
import { plugin as gpuShare } from './plugins/gpu-share/index.js';
import { plugin as nodeAffinity } from './plugins/node-affinity/index.js';
import { plugin as nodeResources } from './plugins/node-resources/index.js';
import { plugin as nodeSelector } from './plugins/node-selector/index.js';
import { plugin as poolAccess } from './plugins/pool-access/index.js';
import { plugin as poolPlacement } from './plugins/pool-placement/index.js';
import { plugin as poolState } from './plugins/pool-state/index.js';
import { plugin as power } from './plugins/power/index.js';
import { plugin as quota } from './plugins/quota/index.js';
import { plugin as taintToleration } from './plugins/taint-toleration/index.js';
import { plugin as topologySpread } from './plugins/topology-spread/index.js';

export class DuplicatePluginError extends Error {
  readonly code = 'DuplicatePlugin';
  constructor(name: string) {
    super(`scheduler plugin '${name}' is registered twice`);
  }
}

/** Builds the name → module map; a duplicate name throws. */
export function buildRegistry(modules: PluginModule[]): Map<string, PluginModule> {
  const map = new Map<string, PluginModule>();
  for (const m of modules) {
    if (map.has(m.name)) throw new DuplicatePluginError(m.name);
    map.set(m.name, m);
  }
  return map;
}

export const PLUGINS: ReadonlyMap<string, PluginModule> = buildRegistry([
  poolState,
  poolAccess,
  poolPlacement,
  nodeSelector,
  nodeAffinity,
  taintToleration,
  quota,
  nodeResources,
  gpuShare,
  agentAffinity,
  topologySpread,
  cost,
  power,
]);

export const FILTERS: readonly FilterPlugin[] = [...PLUGINS.values()].flatMap((m) => m.filters);
export const SCORES: readonly ScorePlugin[] = [...PLUGINS.values()].flatMap((m) => m.scores);

/** Node-constraint filters: they define the domains topology spread counts over. */
export const NODE_CONSTRAINT_FILTERS: ReadonlySet<string> = new Set(['pool-placement', 'node-selector', 'node-affinity']);

/** Weights for score keys a SchedulingProfile does not name. */
export const DEFAULT_EXTRA_WEIGHTS: Readonly<Record<string, number>> = { taint: 1, fragmentation: 10 };

/** The weight of a score plugin under a profile's scoreWeights. */
export function weightOf(weights: Record<string, number>, key: string): number {
  return weights[key] ?? DEFAULT_EXTRA_WEIGHTS[key] ?? 0;
}
