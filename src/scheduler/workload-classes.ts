/** The expected workload for fragmentation scoring: request shapes weighted by how many instances ask for them. */
import type { GpuWorkload, GpuWorkloadClass } from './framework/plugin.js';
import type { NodeInfo } from './framework/node-info.js';
import type { Pod } from './framework/workload.js';

const MAX_CLASSES = 64;

/**
 * `pods` is the mix to measure fragmentation against: the scheduler passes the pending batch
 * when it asks for GPUs (a batch planner knows exactly what is still to come), else every
 * instance (the running mix stands for what may come next). `nodes` sets the score's yardstick.
 */
export function gpuWorkload(pods: Pod[], nodes: readonly NodeInfo[] = []): GpuWorkload {
  let scale = 0;
  for (const n of nodes) scale = Math.max(scale, n.gpuUsed.length * 1000);
  const byShape = new Map<string, GpuWorkloadClass>();
  const add = (gpu: number, cpu: number, mem: number, n: number) => {
    const key = `${gpu}/${cpu}/${mem}`;
    const c = byShape.get(key);
    if (c) c.weight += n;
    else byShape.set(key, { gpuMillis: gpu, cpuMillis: cpu, memoryBytes: mem, weight: n });
  };
  // Instances with their agent's requests count per agent; only those with their own requests one by one.
  const perAgent = new Map<Pod['agent'], number>();
  for (const p of pods) {
    if (p.req === p.agent.req) perAgent.set(p.agent, (perAgent.get(p.agent) ?? 0) + 1);
    else add(p.gpuMillis, p.req[0]!, p.req[1]!, 1);
  }
  for (const [a, n] of perAgent) add(a.gpuMillis, a.req[0]!, a.req[1]!, n);
  if (![...byShape.values()].some((c) => c.gpuMillis > 0)) return { classes: [], sizes: [], sizeOf: new Int32Array(0), scale };
  const classes = [...byShape.values()].sort(
    (a, b) => b.weight - a.weight || a.gpuMillis - b.gpuMillis || a.cpuMillis - b.cpuMillis || a.memoryBytes - b.memoryBytes,
  );
  // Rare shapes fold into the kept class with the nearest GPU request, so the cost stays bounded.
  const kept = classes.slice(0, MAX_CLASSES);
  for (const c of classes.slice(MAX_CLASSES)) {
    let near = kept[0]!;
    for (const k of kept) if (Math.abs(k.gpuMillis - c.gpuMillis) < Math.abs(near.gpuMillis - c.gpuMillis)) near = k;
    near.weight += c.weight;
  }
  const total = pods.length;
  const out = kept.map((c) => ({ ...c, weight: c.weight / total }));
  const sizes = [...new Set(out.map((c) => c.gpuMillis).filter((g) => g > 0))].sort((a, b) => a - b);
  return { classes: out, sizes, sizeOf: Int32Array.from(out.map((c) => sizes.indexOf(c.gpuMillis))), scale };
}
