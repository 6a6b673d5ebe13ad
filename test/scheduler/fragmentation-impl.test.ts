/**
 * nodeFragmentation's implementation (one sweep over sorted device frees) against the plain
 * definition it replaced: the same value, bit for bit, on random nodes and workloads.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeInfo } from '../../src/scheduler/framework/node-info.js';
import type { GpuWorkload } from '../../src/scheduler/framework/plugin.js';
import { nodeFragmentation } from '../../src/scheduler/plugins/gpu-share/fragmentation.js';

/**
 * The definition: per size, free millis on devices with less free than the size (a plain loop per
 * size); per class, what CPU and memory leave usable of the rest; weighted.
 */
function reference(node: Pick<NodeInfo, 'gpuUsed' | 'allocated' | 'overcommitted'>, workload: GpuWorkload): number {
  const used = node.gpuUsed;
  let totalFree = 0;
  let fullFree = 0;
  for (let d = 0; d < used.length; d++) {
    const f = 1000 - used[d]!;
    totalFree += f;
    if (f === 1000) fullFree++;
  }
  if (totalFree <= 0) return 0;
  const bySize = workload.sizes.map((g) => {
    if (g >= 1000) return fullFree >= g / 1000 ? totalFree - fullFree * 1000 : totalFree;
    let f = 0;
    for (let d = 0; d < used.length; d++) if (1000 - used[d]! < g) f += 1000 - used[d]!;
    return f;
  });
  const freeCpu = node.overcommitted[0]! - node.allocated[0]!;
  const freeMem = node.overcommitted[1]! - node.allocated[1]!;
  let frag = 0;
  workload.classes.forEach((t, i) => {
    if (t.cpuMillis > freeCpu || t.memoryBytes > freeMem) frag += t.weight * totalFree;
    else if (workload.sizeOf[i]! >= 0) {
      const byCpu = t.cpuMillis > 0 ? Math.floor(freeCpu / t.cpuMillis) : Infinity;
      const byMem = t.memoryBytes > 0 ? Math.floor(freeMem / t.memoryBytes) : Infinity;
      const usable = Math.min(totalFree - bySize[workload.sizeOf[i]!]!, Math.min(byCpu, byMem) * t.gpuMillis);
      frag += t.weight * (totalFree - usable);
    }
  });
  return frag;
}

// Multiples of 50 too, so that a device's free millis often equals a size (the boundary case).
const gpuSize = fc.oneof(fc.integer({ min: 1, max: 999 }), fc.integer({ min: 1, max: 19 }).map((k) => k * 50), fc.constantFrom(1000, 2000, 4000, 8000));
const workload = fc
  .record({
    classes: fc.array(fc.record({ gpuMillis: fc.oneof(fc.constant(0), gpuSize), cpuMillis: fc.integer({ min: 0, max: 64_000 }), memoryBytes: fc.integer({ min: 0, max: 2 ** 38 }), weight: fc.double({ min: 0, max: 1, noNaN: true }) }), { maxLength: 40 }),
    shuffle: fc.boolean(),
  })
  .map(({ classes, shuffle }): GpuWorkload => {
    const sizes = [...new Set(classes.map((c) => c.gpuMillis).filter((g) => g > 0))].sort((a, b) => a - b);
    // The scheduler's workloads list sizes ascending; the implementation must not depend on it.
    if (shuffle) sizes.reverse();
    return { classes, sizes, sizeOf: Int32Array.from(classes.map((c) => sizes.indexOf(c.gpuMillis))) };
  });
const node = fc.record({
  used: fc.array(fc.oneof(fc.constant(0), fc.constant(1000), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 20 }).map((k) => k * 50)), { maxLength: 8 }),
  cpu: fc.integer({ min: 0, max: 128_000 }),
  mem: fc.integer({ min: 0, max: 2 ** 40 }),
  cpuUsed: fc.integer({ min: 0, max: 128_000 }),
  memUsed: fc.integer({ min: 0, max: 2 ** 40 }),
});

describe('nodeFragmentation implementation', () => {
  it('equals the definition bit for bit', () => {
    fc.assert(
      fc.property(node, workload, (n, wl) => {
        const info = { gpuUsed: Int32Array.from(n.used), overcommitted: Float64Array.of(n.cpu, n.mem), allocated: Float64Array.of(n.cpuUsed, n.memUsed) };
        expect(Object.is(nodeFragmentation(info as unknown as NodeInfo, wl), reference(info, wl))).toBe(true);
      }),
      { numRuns: 2000, seed: 42 },
    );
  });
});
