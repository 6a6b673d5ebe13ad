/**
 * Kubernetes quantities and resource names ↔ Quartermaster's canonical resources (SPEC §8):
 * `cpu` ↔ cpuMillis, `memory` ↔ memoryBytes, `ephemeral-storage` ↔ storageBytes, `nvidia.com/gpu`
 * ↔ whole devices (gpuMillis = devices × 1000). GPU shares (below one device) are slots of
 * `nvidia.com/gpu.shared`, the resource NVIDIA's device plugin advertises when time-slicing (or MPS)
 * is configured with `renameByDefault: true`; GPU Feature Discovery labels the node with
 * `nvidia.com/gpu.replicas` (slots per device), which turns slots back into devices. Pure.
 */
import type { ResourceList } from '../../model/quantity.js';

export const GPU = 'nvidia.com/gpu';
export const GPU_SHARED = 'nvidia.com/gpu.shared';
export const GPU_REPLICAS_LABEL = 'nvidia.com/gpu.replicas';

const SUFFIX: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;

/** A Kubernetes quantity ("3800m", "15720320Ki", "1e3", 4) as a number; undefined when garbled. */
export function quantity(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const m = QUANTITY.exec(raw.trim());
  return m ? Number(m[1]) * SUFFIX[m[2] ?? '']! : undefined;
}

/**
 * Resources as Kubernetes names them → canonical. `replicas` (slots per device) turns shared GPU
 * slots into whole devices for a node's capacity, and into 1/replicas of a device each for an
 * unmanaged pod's requests.
 */
export function fromKube(list: Record<string, unknown> | undefined, replicas = 1, capacity = false): ResourceList {
  const out: ResourceList = {};
  if (!list) return out;
  for (const [name, raw] of Object.entries(list)) {
    const q = quantity(raw);
    if (q === undefined || q <= 0) continue;
    switch (name) {
      case 'cpu': out.cpuMillis = Math.round(q * 1000); break;
      case 'memory': out.memoryBytes = Math.floor(q); break;
      case 'ephemeral-storage': out.storageBytes = Math.floor(q); break;
      case GPU: out.gpuMillis = (out.gpuMillis ?? 0) + Math.round(q) * 1000; break;
      case GPU_SHARED: {
        const r = Math.max(1, replicas);
        out.gpuMillis = (out.gpuMillis ?? 0) + (capacity ? Math.floor(Math.round(q) / r) * 1000 : Math.round((Math.round(q) * 1000) / r));
        break;
      }
      default:
        // Extended resources (example.com/fpga) are counts; hugepages and `pods` are not planned.
        if (name.includes('/')) out[name] = Math.round(q);
    }
  }
  return out;
}

function cpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/**
 * Canonical requests or limits → a container's `resources` entry. Whole GPUs become `nvidia.com/gpu`
 * (extended resources are limits only, requests follow); a share below one device becomes one
 * slot of `nvidia.com/gpu.shared`, so the device plugin puts it on a time-sliced GPU.
 */
export function toKube(list: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(list)) {
    if (!v) continue;
    switch (k) {
      case 'cpuMillis': out.cpu = cpu(v); break;
      case 'memoryBytes': out.memory = String(v); break;
      case 'storageBytes': out['ephemeral-storage'] = String(v); break;
      case 'gpuMillis':
        if (v >= 1000) out[GPU] = String(Math.floor(v / 1000));
        else out[GPU_SHARED] = '1';
        break;
      case 'networkMbps': break; // Kubernetes has no bandwidth resource: planned only
      default: if (k.includes('/')) out[k] = String(v);
    }
  }
  return out;
}

/** True for resource names that Kubernetes only accepts with requests equal to limits. */
export function isExtended(name: string): boolean {
  return name.includes('/');
}

/** Add b to a. */
export function addInto(a: ResourceList, b: ResourceList): void {
  for (const [k, v] of Object.entries(b)) a[k] = (a[k] ?? 0) + v;
}

/**
 * What an (unmanaged) pod holds on its node, as kube-scheduler counts it: the larger of the sum
 * of its containers and its largest init container, plus its overhead.
 */
export function podRequests(spec: PodSpecLike | undefined, replicas = 1): ResourceList {
  const sum: ResourceList = {};
  for (const c of spec?.containers ?? []) addInto(sum, fromKube(c.resources?.requests ?? c.resources?.limits, replicas));
  for (const c of spec?.initContainers ?? []) {
    const r = fromKube(c.resources?.requests ?? c.resources?.limits, replicas);
    for (const [k, v] of Object.entries(r)) if (v > (sum[k] ?? 0)) sum[k] = v;
  }
  addInto(sum, fromKube(spec?.overhead, replicas));
  return sum;
}

export interface PodSpecLike {
  containers?: { resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } }[];
  initContainers?: { resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } }[];
  overhead?: Record<string, unknown>;
}
