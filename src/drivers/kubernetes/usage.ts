/**
 * Real use of managed pods (issue #15) from the resource metrics API (metrics.k8s.io/v1beta1,
 * served by metrics-server): one list of the namespace's managed PodMetrics per observation, the
 * containers' usage summed per pod. A cluster without the API group (discovery answers 404) has no
 * usage and no warning; an API that is registered but failing (metrics-server down: 503) leaves
 * usage unset with a warning. Never retried: a missing figure must not slow observation down.
 */
import type { ResourceList } from '../../model/quantity.js';
import type { ObservedInstance } from '../../model/state.js';
import type { InstanceUsage } from '../../model/usage.js';
import { LABEL } from './pod-spec.js';
import type { PodView } from './pod-spec.js';
import { quantity } from './resources.js';
import { KubeApiError } from './rest.js';
import type { KubeRest } from './rest.js';

export const METRICS_API = '/apis/metrics.k8s.io/v1beta1';

/** PodMetrics as metrics-server serves it. */
export interface PodMetrics {
  metadata?: { name?: string; namespace?: string };
  /** RFC 3339: the end of the window the usage was averaged over. */
  timestamp?: string;
  window?: string;
  containers?: { name?: string; usage?: Record<string, unknown> }[];
}

export type PodUsageReading = { byPod: Map<string, InstanceUsage> } | { absent: true } | { error: string };

/** A pod's usage: its containers' cpu and memory summed, in canonical units; undefined when none could be read. */
export function podUsage(m: PodMetrics): InstanceUsage | undefined {
  const at = m.timestamp && Number.isFinite(Date.parse(m.timestamp)) ? new Date(Date.parse(m.timestamp)).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined;
  if (!at || !m.containers?.length) return undefined;
  let cpu: number | undefined;
  let mem: number | undefined;
  for (const c of m.containers) {
    const q = quantity(c.usage?.cpu);
    if (q !== undefined && q >= 0) cpu = (cpu ?? 0) + q;
    const b = quantity(c.usage?.memory);
    if (b !== undefined && b >= 0) mem = (mem ?? 0) + b;
  }
  const use: ResourceList = {};
  // "12345n" is 12345 nanocores: summed in cores first so rounding happens once.
  if (cpu !== undefined) use.cpuMillis = Math.round(cpu * 1000);
  if (mem !== undefined) use.memoryBytes = Math.round(mem);
  return Object.keys(use).length ? { at, use } : undefined;
}

/** Whether the cluster serves PodMetrics (discovery of metrics.k8s.io/v1beta1). */
async function served(rest: KubeRest, signal?: AbortSignal): Promise<boolean> {
  try {
    const d = await rest.request<{ resources?: { name?: string }[] }>('GET', METRICS_API, { intent: { verb: 'get', resource: 'metrics.k8s.io discovery' }, retry: false, signal });
    return (d.resources ?? []).some((r) => r.name === 'pods');
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 404) return false;
    throw e;
  }
}

/** The managed pods' usage in the namespace, by pod name. Never throws. */
export async function readPodUsage(rest: KubeRest, namespace: string, signal?: AbortSignal): Promise<PodUsageReading> {
  try {
    if (!(await served(rest, signal))) return { absent: true };
    const list = await rest.request<{ items?: PodMetrics[] }>('GET', `${METRICS_API}/namespaces/${encodeURIComponent(namespace)}/pods`, {
      query: { labelSelector: LABEL.instance },
      intent: { verb: 'list', resource: 'pods.metrics.k8s.io', namespace },
      retry: false,
      signal,
    });
    const byPod = new Map<string, InstanceUsage>();
    for (const item of list.items ?? []) {
      const u = podUsage(item);
      if (u && item.metadata?.name) byPod.set(item.metadata.name, u);
    }
    return { byPod };
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 404) return { absent: true };
    return { error: e instanceof KubeApiError && e.status ? `${e.status} ${e.message}` : (e as Error).message };
  }
}

/** Give each instance the usage of its pod on its node (a pod without metrics yet stays unmeasured). */
export function attachUsage(instances: ObservedInstance[], podsByInstance: ReadonlyMap<string, PodView[]>, byPod: ReadonlyMap<string, InstanceUsage>): void {
  for (const inst of instances) {
    const pod = podsByInstance.get(inst.name)?.find((p) => p.nodeName === inst.node);
    const u = pod ? byPod.get(pod.name) : undefined;
    if (u) inst.usage = u;
  }
}
