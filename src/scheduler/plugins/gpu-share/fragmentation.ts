/**
 * Fragmentation-aware GPU scoring after "Beware of Fragmentation" (Weng et al., USENIX ATC 2023,
 * FGD): a node's fragmentation is the GPU capacity that the expected workload (request shapes and
 * their frequency) could not use there; prefer the placement that increases it least.
 *
 * Generalised beyond FGD's GPU-only view (issue #13): a GPU instance also needs CPU and memory,
 * so free GPU on a node whose CPU or memory runs out first is just as unusable as a sliver on a
 * device. Per workload class the usable GPU is the least of what the devices allow and what the
 * node's free CPU and memory allow (instances that still fit × their GPU request).
 */
import { chooseDevices, perDeviceMillis } from '../../framework/gpu-devices.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { GpuWorkload } from '../../framework/plugin.js';
import type { Pod } from '../../framework/workload.js';

const CPU = 0;
const MEM = 1;

/** Expected unusable free GPU millis on the node under the workload distribution. */
export function nodeFragmentation(node: NodeInfo, workload: GpuWorkload): number {
  const used = node.gpuUsed;
  let totalFree = 0;
  let fullFree = 0;
  for (let d = 0; d < used.length; d++) {
    const f = 1000 - used[d]!;
    totalFree += f;
    if (f === 1000) fullFree++;
  }
  if (totalFree <= 0) return 0;
  // GPU-only fragment per distinct request size: free millis this size cannot use. A share g
  // cannot use the devices with less than g free; with the frees sorted and the sizes ascending,
  // that sum grows along one sweep (it restarts if a size is smaller than the one before).
  const sizes = workload.sizes;
  const bySize = scratch.length >= sizes.length ? scratch : (scratch = new Float64Array(sizes.length));
  const frees = sortedFrees(used);
  let below = 0;
  let sum = 0;
  let previous = 0;
  for (let k = 0; k < sizes.length; k++) {
    const g = sizes[k]!;
    if (g < 1000) {
      if (g < previous) below = sum = 0;
      previous = g;
      while (below < used.length && frees[below]! < g) sum += frees[below++]!;
      bySize[k] = sum;
    } else {
      bySize[k] = fullFree >= g / 1000 ? totalFree - fullFree * 1000 : totalFree;
    }
  }
  const freeCpu = node.overcommitted[CPU]! - node.allocated[CPU]!;
  const freeMem = node.overcommitted[MEM]! - node.allocated[MEM]!;
  let frag = 0;
  const classes = workload.classes;
  for (let i = 0; i < classes.length; i++) {
    const t = classes[i]!;
    if (t.cpuMillis > freeCpu || t.memoryBytes > freeMem) {
      frag += t.weight * totalFree;
      continue;
    }
    const k = workload.sizeOf[i]!;
    if (k < 0) continue;
    // CPU and memory strand GPUs too: the class can run at most `fit` more instances here, so
    // it uses at most fit × its GPU request of the free GPU, however the devices look. This
    // makes the score gradual: taking CPU from a node with free GPU costs before the cliff.
    const byCpu = t.cpuMillis > 0 ? Math.floor(freeCpu / t.cpuMillis) : Infinity;
    const byMem = t.memoryBytes > 0 ? Math.floor(freeMem / t.memoryBytes) : Infinity;
    const usable = Math.min(totalFree - bySize[k]!, Math.min(byCpu, byMem) * t.gpuMillis);
    frag += t.weight * (totalFree - usable);
  }
  return frag;
}

let scratch = new Float64Array(16);
let freeScratch = new Int32Array(16);

/** Free millis per device, ascending (insertion sort: a node has a handful of devices). */
function sortedFrees(used: Int32Array): Int32Array {
  const out = freeScratch.length >= used.length ? freeScratch : (freeScratch = new Int32Array(used.length));
  for (let d = 0; d < used.length; d++) {
    const f = 1000 - used[d]!;
    let i = d;
    while (i > 0 && out[i - 1]! > f) {
      out[i] = out[i - 1]!;
      i--;
    }
    out[i] = f;
  }
  return out;
}

/**
 * 0–100: 50 when the placement leaves fragmentation unchanged, higher when it reduces it,
 * lower when it increases it. The change is in GPU millis against one yardstick for the whole
 * cluster (the largest node's GPU capacity, `workload.scale`), not each node's own: stranding
 * half a GPU costs the same on a 2-GPU node as on an 8-GPU one, so instances go where they
 * strand the least GPU in absolute terms. Nodes without GPUs score 100 (an instance there
 * fragments no GPU).
 */
export function fragmentationScore(pod: Pod, node: NodeInfo, workload: GpuWorkload, before: number): number {
  const devices = node.gpuUsed.length;
  if (devices === 0) return 100;
  const chosen = pod.gpuMillis > 0 ? chooseDevices(node.gpuUsed, pod.gpuMillis) : [];
  if (chosen === null) return 0;
  const per = perDeviceMillis(pod.gpuMillis);
  const rc = pod.req[CPU]!;
  const rm = pod.req[MEM]!;
  for (const d of chosen) node.gpuUsed[d]! += per;
  node.allocated[CPU]! += rc;
  node.allocated[MEM]! += rm;
  const after = nodeFragmentation(node, workload);
  for (const d of chosen) node.gpuUsed[d]! -= per;
  node.allocated[CPU]! -= rc;
  node.allocated[MEM]! -= rm;
  const delta = after - before;
  const scale = Math.max(devices * 1000, workload.scale ?? 0);
  return Math.max(0, Math.min(100, 50 * (1 - delta / scale)));
}
