/**
 * Observation of a cluster (SPEC §8): one paginated list of the served pools' nodes (by the pool
 * label) and one of all non-terminated pods, cluster-wide — never a call per node. Managed pods
 * in the driver's namespace are the instances; every other pod on a pool node takes its requests
 * off that node's capacity, as kube-scheduler would count them.
 */
import type { PoolDoc, Taint } from '../../model/documents.js';
import type { ResourceList } from '../../model/quantity.js';
import type { ObservedInstance, ObservedNode } from '../../model/state.js';
import { instanceFromPod, isLive, isManaged, LABEL, viewPod } from './pod-spec.js';
import type { PodView } from './pod-spec.js';
import { fromKube, GPU_REPLICAS_LABEL, podRequests } from './resources.js';
import type { PodSpecLike } from './resources.js';
import type { KubeRest } from './rest.js';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const REGION_LABEL = 'topology.kubernetes.io/region';

/** The parts of a Node the driver reads. */
export interface NodeView {
  name: string;
  pool: string;
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
  allocatable: ResourceList;
  ready: boolean;
  unschedulable: boolean;
  providerId?: string;
}

export function viewNode(raw: unknown, poolLabel: string): NodeView {
  const o = raw as { metadata?: { name?: string; labels?: Record<string, string> }; spec?: { unschedulable?: boolean; taints?: NodeView['taints']; providerID?: string }; status?: { allocatable?: Record<string, unknown>; conditions?: { type?: string; status?: string }[] } };
  const labels = o.metadata?.labels ?? {};
  const replicas = Number(labels[GPU_REPLICAS_LABEL] ?? 1) || 1;
  const v: NodeView = {
    name: o.metadata?.name ?? '',
    pool: labels[poolLabel] ?? '',
    labels,
    taints: o.spec?.taints ?? [],
    allocatable: fromKube(o.status?.allocatable, replicas, true),
    ready: (o.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    unschedulable: Boolean(o.spec?.unschedulable),
  };
  if (o.spec?.providerID) v.providerId = o.spec.providerID;
  return v;
}

/** NoExecute keeps pods off as NoSchedule does (and evicts them): the planner treats it as NoSchedule. */
function taintsOf(v: NodeView): Taint[] {
  return v.taints
    .filter((t) => t.effect === 'NoSchedule' || t.effect === 'PreferNoSchedule' || t.effect === 'NoExecute')
    .map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect === 'PreferNoSchedule' ? 'PreferNoSchedule' : 'NoSchedule' }));
}

export interface ClusterReading {
  nodes: NodeView[];
  pods: PodView[];
}

/** The two lists of one observation, read concurrently. */
export async function readCluster(rest: KubeRest, poolLabel: string, pools: readonly string[], namespace: string, signal?: AbortSignal): Promise<ClusterReading> {
  const selector = `${poolLabel} in (${[...pools].sort().join(',')})`;
  const [nodes, pods] = await Promise.all([
    rest.listAll('/api/v1/nodes', { labelSelector: selector }, { verb: 'list', resource: 'nodes' }, (n) => viewNode(n, poolLabel), 500, signal),
    rest.listAll(
      '/api/v1/pods',
      { fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' },
      { verb: 'list', resource: 'pods' },
      (p) => {
        const spec = (p as { spec?: { nodeName?: string } }).spec;
        // A pod on no node holds nothing; a managed one carries its planned requests in annotations.
        if (!spec?.nodeName) return undefined;
        return viewPod(p, (s) => podRequests(s as PodSpecLike));
      },
      500,
      signal,
    ),
  ]);
  return { nodes, pods };
}

export interface Assembled {
  nodes: ObservedNode[];
  instances: ObservedInstance[];
  warnings: string[];
  /** Live managed pods by instance (apply finds an instance's pods here first). */
  podsByInstance: Map<string, PodView[]>;
}

/** Nodes, instances and warnings from a reading. Deterministic for the same reading. */
export function assemble(reading: ClusterReading, pools: readonly PoolDoc[], namespace: string): Assembled {
  const poolsByName = new Map(pools.map((p) => [p.metadata.name, p]));
  const warnings: string[] = [];
  const used = new Map<string, ResourceList>();
  const found: { inst: ObservedInstance; created: string; uid: string }[] = [];
  const podsByInstance = new Map<string, PodView[]>();
  const nodeNames = new Set(reading.nodes.map((n) => n.name));
  const strays: string[] = [];
  for (const p of reading.pods) {
    if (!p.nodeName) continue;
    if (isManaged(p, namespace)) {
      if (!isLive(p)) continue;
      const pool = p.labels[LABEL.pool];
      // Another Driver document may serve other pools from the same namespace: its pods are not ours to report.
      if (pool && !poolsByName.has(pool) && !nodeNames.has(p.nodeName)) continue;
      const inst = instanceFromPod(p);
      if (!inst) continue;
      podsByInstance.set(inst.name, [...(podsByInstance.get(inst.name) ?? []), p]);
      if (!nodeNames.has(p.nodeName)) strays.push(`${p.name} (node ${p.nodeName})`);
      found.push({ inst, created: p.created ?? '', uid: p.uid ?? p.name });
      continue;
    }
    if (!nodeNames.has(p.nodeName) || !p.requests) continue;
    const u = used.get(p.nodeName) ?? {};
    for (const [k, v] of Object.entries(p.requests)) u[k] = (u[k] ?? 0) + v;
    used.set(p.nodeName, u);
  }
  if (strays.length) warnings.push(`${strays.length} managed pod${strays.length === 1 ? ' runs' : 's run'} on nodes outside the served pools (${strays.slice(0, 5).join(', ')}${strays.length > 5 ? ', …' : ''}); their instances are placed again and the old pods removed once the new ones run`);
  const nodes: ObservedNode[] = [];
  for (const v of reading.nodes) {
    const pool = poolsByName.get(v.pool);
    if (!pool) continue;
    const capacity: ResourceList = { ...v.allocatable };
    // Kubernetes has no bandwidth resource: the pool's declared network stays as planned capacity.
    if (pool.spec.node.capacity.networkMbps) capacity.networkMbps = pool.spec.node.capacity.networkMbps;
    for (const [k, val] of Object.entries(used.get(v.name) ?? {})) if (capacity[k] !== undefined) capacity[k] = Math.max(0, capacity[k]! - val);
    const node: ObservedNode = {
      name: v.name,
      pool: v.pool,
      region: v.labels[REGION_LABEL] ?? pool.spec.region,
      zone: v.labels[ZONE_LABEL] ?? v.labels['failure-domain.beta.kubernetes.io/zone'] ?? pool.spec.zones[0]!,
      labels: v.labels,
      taints: taintsOf(v),
      ready: v.ready && !v.unschedulable,
      capacity,
      costPerHour: pool.spec.node.costPerHour,
      powerWatts: pool.spec.node.powerWatts,
    };
    if (v.providerId) node.providerId = v.providerId;
    nodes.push(node);
  }
  // An instance seen twice (a move interrupted between create and delete): the newest pod first, so the planner keeps it.
  found.sort((a, b) => (a.inst.name < b.inst.name ? -1 : a.inst.name > b.inst.name ? 1 : a.created < b.created ? 1 : a.created > b.created ? -1 : a.uid < b.uid ? -1 : 1));
  nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { nodes, instances: found.map((f) => f.inst), warnings, podsByInstance };
}
