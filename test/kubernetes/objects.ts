/**
 * Builders and readers of the objects the simulated control plane writes: Nodes shaped like a
 * kubelet registers them, pod defaulting as admission does it, pod requests and readiness.
 */
import type { KubeObject } from './store.js';
import { toMilli } from './quantity.js';

export interface NodeSpec {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** status.allocatable; capacity is the same unless given. Default cpu 4, memory 16Gi, pods 110. */
  allocatable?: Record<string, string>;
  capacity?: Record<string, string>;
  zone?: string;
  region?: string;
  ready?: boolean;
  unschedulable?: boolean;
  taints?: { key: string; value?: string; effect: string }[];
  providerID?: string;
  kubeletVersion?: string;
  /** `node-role.kubernetes.io/<role>` labels, shown in ROLES. */
  roles?: string[];
}

const DEFAULT_ALLOCATABLE = { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' };

export function nodeReadyCondition(ready: boolean, at: string) {
  return ready
    ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: at, lastTransitionTime: at }
    : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized', lastHeartbeatTime: at, lastTransitionTime: at };
}

let ipSeq = 0;

export function makeNode(s: NodeSpec, at: string): KubeObject {
  const labels: Record<string, string> = {
    'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': s.name,
    'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux',
    ...(s.zone ? { 'topology.kubernetes.io/zone': s.zone } : {}),
    ...(s.region ? { 'topology.kubernetes.io/region': s.region } : {}),
    ...Object.fromEntries((s.roles ?? []).map((r) => [`node-role.kubernetes.io/${r}`, ''])),
    ...s.labels,
  };
  const allocatable = { ...DEFAULT_ALLOCATABLE, ...s.allocatable };
  const n = ++ipSeq;
  const spec: Record<string, unknown> = {};
  if (s.providerID) spec.providerID = s.providerID;
  if (s.unschedulable) spec.unschedulable = true;
  if (s.taints?.length) spec.taints = s.taints;
  const cond = (type: string, reason: string, message: string) => ({ type, status: 'False', reason, message, lastHeartbeatTime: at, lastTransitionTime: at });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: s.name, labels, annotations: { 'node.alpha.kubernetes.io/ttl': '0', ...s.annotations } } as unknown as KubeObject['metadata'],
    spec,
    status: {
      capacity: { ...allocatable, ...s.capacity },
      allocatable,
      conditions: [
        cond('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        nodeReadyCondition(s.ready ?? true, at),
      ],
      addresses: [{ type: 'InternalIP', address: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` }, { type: 'Hostname', address: s.name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: '', systemUUID: '', bootID: '', kernelVersion: '6.1.0-28-amd64', osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.24', kubeletVersion: s.kubeletVersion ?? 'v1.32.0', kubeProxyVersion: 'v1.32.0',
        operatingSystem: 'linux', architecture: 'amd64',
      },
    },
  };
}

export function isNodeReady(node: KubeObject | undefined): boolean {
  const conds = (node?.status?.conditions ?? []) as { type: string; status: string }[];
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

type Container = { name?: string; image?: string; resources?: { requests?: Record<string, string>; limits?: Record<string, string> } };

/** What admission adds to a new pod: requests default to limits, restart policy, QoS class, phase Pending. */
export function defaultPod(pod: KubeObject): KubeObject {
  const spec = { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', serviceAccountName: 'default', ...pod.spec };
  spec.containers = ((spec.containers ?? []) as Container[]).map((c) => {
    const limits = c.resources?.limits;
    if (!limits) return { terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent', ...c };
    const requests = { ...limits, ...c.resources?.requests };
    return { terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent', ...c, resources: { ...c.resources, requests } };
  });
  return { ...pod, spec, status: { phase: 'Pending', qosClass: qosClass(spec.containers as Container[]) } };
}

function qosClass(containers: Container[]): string {
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) if (!lim[r] || (req[r] !== undefined && toMilli(req[r]) !== toMilli(lim[r]))) guaranteed = false;
  }
  return guaranteed ? 'Guaranteed' : any ? 'Burstable' : 'BestEffort';
}

/** Sum of the containers' requests in milli-units, by resource name (init containers are ignored). */
export function podRequests(pod: KubeObject): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of (pod.spec?.containers ?? []) as Container[]) {
    for (const [r, q] of Object.entries(c.resources?.requests ?? {})) out.set(r, (out.get(r) ?? 0) + (toMilli(q) ?? 0));
  }
  return out;
}

export const isTerminated = (pod: KubeObject) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

export function isPodReady(pod: KubeObject): boolean {
  if (pod.metadata.deletionTimestamp || pod.status?.phase !== 'Running') return false;
  return ((pod.status?.conditions ?? []) as { type: string; status: string }[]).some((c) => c.type === 'Ready' && c.status === 'True');
}
