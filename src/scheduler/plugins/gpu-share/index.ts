import type { CycleContext, FilterPlugin, PluginModule, ScorePlugin } from '../../framework/plugin.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { gpuDeviceStatus } from './filtering.js';
import { fragmentationScore, nodeFragmentation } from './fragmentation.js';

export const name = 'gpu-share';

const filter = {
  name,
  kind: 'dynamic',
  filter: (_ctx, pod, node) => gpuDeviceStatus(pod, node),
} satisfies FilterPlugin;

interface FragCache {
  version: Int32Array;
  value: Float64Array;
}

/** A node's current fragmentation, recomputed only when the node changed. */
function before(ctx: CycleContext, node: NodeInfo): number {
  let c = ctx.runCache.get(name) as FragCache | undefined;
  if (!c) {
    const n = ctx.cluster.nodes.length;
    c = { version: new Int32Array(n).fill(-1), value: new Float64Array(n) };
    ctx.runCache.set(name, c);
  }
  if (c.version[node.index] !== node.version) {
    c.value[node.index] = nodeFragmentation(node, ctx.gpuWorkload);
    c.version[node.index] = node.version;
  }
  return c.value[node.index]!;
}

const fragmentation = {
  name: 'fragmentation',
  kind: 'dynamic',
  weightKey: 'fragmentation',
  nodeLocal: true,
  // CPU-only instances too: the CPU and memory they take can strand a node's free GPUs. On a
  // node without GPUs they score 100, so they prefer such nodes when they have the choice.
  // Without GPU demand in the workload there is nothing to strand.
  applies: (pod, ctx) => pod.agent.gpuMillis > 0 || ctx.gpuWorkload.classes.length > 0,
  score: (ctx, pod, node) => fragmentationScore(pod, node, ctx.gpuWorkload, before(ctx, node)),
} satisfies ScorePlugin;

export const plugin: PluginModule = { name, filters: [filter], scores: [fragmentation] };
