/**
 * meta.k8s.io/v1 Table responses, the server-side printing `kubectl get` asks for
 * (Accept: application/json;as=Table;v=v1;g=meta.k8s.io). Columns follow the apiserver's
 * printers (pkg/printers/internalversion) for nodes and pods, and the CRDs' additionalPrinterColumns
 * of Cluster API for MachineDeployments and Machines.
 */
import type { ResourceType } from './resources.js';
import type { KubeObject } from './store.js';
import { isNodeReady } from './objects.js';

interface Column { name: string; type: string; format: string; description: string; priority: number }
type Cell = string | number | boolean;

const col = (name: string, type = 'string', priority = 0, format = '', description = ''): Column => ({ name, type, format, description, priority });
const NAME = col('Name', 'string', 0, 'name', 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names');
const AGE = col('Age', 'string', 0, '', 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata');

/** kubectl's duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    return days === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

interface Printer { columns: Column[]; cells: (o: KubeObject, age: string) => Cell[] }

const nodePrinter: Printer = {
  columns: [NAME, col('Status', 'string', 0, '', 'The status of the node'), col('Roles', 'string', 0, '', 'The roles of the node'), AGE,
    col('Version', 'string', 0, '', 'Kubelet Version reported by the node.'), col('Internal-IP', 'string', 1, '', 'List of internal IPs for the node.'),
    col('External-IP', 'string', 1, '', 'List of external IPs for the node.'), col('OS-Image', 'string', 1, '', 'OS image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).'),
    col('Kernel-Version', 'string', 1, '', 'Kernel Version reported by the node from \'uname -r\' (e.g. 3.16.0-0.bpo.4-amd64).'),
    col('Container-Runtime', 'string', 1, '', 'Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2).')],
  cells: (n, age) => {
    const conds = (n.status?.conditions ?? []) as { type: string; status: string }[];
    const hasReady = conds.some((c) => c.type === 'Ready');
    const status = [hasReady ? (isNodeReady(n) ? 'Ready' : 'NotReady') : 'Unknown'];
    if (n.spec?.unschedulable) status.push('SchedulingDisabled');
    const roles = Object.keys(n.metadata.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length)).filter(Boolean).sort();
    const addr = (t: string) => ((n.status?.addresses ?? []) as { type: string; address: string }[]).find((a) => a.type === t)?.address ?? '<none>';
    const info = n.status?.nodeInfo ?? {};
    return [n.metadata.name, status.join(','), roles.length ? roles.join(',') : '<none>', age, info.kubeletVersion ?? '', addr('InternalIP'), addr('ExternalIP'), info.osImage ?? '<unknown>', info.kernelVersion ?? '<unknown>', info.containerRuntimeVersion ?? '<unknown>'];
  },
};

const podPrinter: Printer = {
  columns: [NAME, col('Ready', 'string', 0, '', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 0, '', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 0, '', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'), AGE,
    col('IP', 'string', 1, '', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.'),
    col('Node', 'string', 1, '', 'NodeName is a request to schedule this pod onto a specific node.'),
    col('Nominated Node', 'string', 1, '', 'nominatedNodeName is set only when this pod preempts other pods on the node.'),
    col('Readiness Gates', 'string', 1, '', 'If specified, all readiness gates will be evaluated for pod readiness.')],
  cells: (p, age) => {
    const containers = (p.spec?.containers ?? []) as unknown[];
    const statuses = (p.status?.containerStatuses ?? []) as { ready?: boolean; restartCount?: number }[];
    const ready = statuses.filter((s) => s.ready).length;
    const restarts = statuses.reduce((a, s) => a + (s.restartCount ?? 0), 0);
    let reason: string = p.status?.reason ?? p.status?.phase ?? 'Unknown';
    if (p.metadata.deletionTimestamp) reason = 'Terminating';
    return [p.metadata.name, `${ready}/${containers.length}`, reason, String(restarts), age, p.status?.podIP ?? '<none>', p.spec?.nodeName ?? '<none>', p.status?.nominatedNodeName ?? '<none>', '<none>'];
  },
};

const get = (o: KubeObject, path: string): Cell => {
  let cur: unknown = o;
  for (const p of path.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
  return cur === undefined || cur === null ? '' : (cur as Cell);
};

/** cluster-api v1beta1 MachineDeployment printer columns (config/crd/bases). */
const mdPrinter: Printer = {
  columns: [NAME, col('Cluster', 'string', 0, '', 'Cluster'), col('Replicas', 'integer', 0, '', 'Total number of non-terminated machines targeted by this MachineDeployment'),
    col('Ready', 'integer', 0, '', 'Total number of ready machines targeted by this MachineDeployment'),
    col('Updated', 'integer', 0, '', 'Total number of non-terminated machines targeted by this deployment that have the desired template spec'),
    col('Unavailable', 'integer', 0, '', 'Total number of unavailable machines targeted by this MachineDeployment'),
    col('Phase', 'string', 0, '', 'MachineDeployment status such as ScalingUp/ScalingDown/Running/Failed/Unknown'), AGE,
    col('Version', 'string', 0, '', 'Kubernetes version associated with this MachineDeployment')],
  cells: (o, age) => [o.metadata.name, get(o, 'spec.clusterName'), get(o, 'status.replicas'), get(o, 'status.readyReplicas'), get(o, 'status.updatedReplicas'), get(o, 'status.unavailableReplicas'), get(o, 'status.phase'), age, get(o, 'spec.template.spec.version')],
};

const machinePrinter: Printer = {
  columns: [NAME, col('Cluster', 'string', 0, '', 'Cluster'), col('NodeName', 'string', 0, '', 'Node name associated with this machine'),
    col('ProviderID', 'string', 0, '', 'Provider ID'), col('Phase', 'string', 0, '', 'Machine status such as Terminating/Pending/Running/Failed etc'), AGE,
    col('Version', 'string', 0, '', 'Kubernetes version associated with this Machine')],
  cells: (o, age) => [o.metadata.name, get(o, 'spec.clusterName'), get(o, 'status.nodeRef.name'), get(o, 'spec.providerID'), get(o, 'status.phase'), age, get(o, 'spec.version')],
};

const pdbPrinter: Printer = {
  columns: [NAME, col('Min Available', 'string', 0, '', 'The minimum number of pods that must be available.'), col('Max Unavailable', 'string', 0, '', 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 0, '', 'Calculated number of pods that may be disrupted at this time.'), AGE],
  cells: (o, age) => [o.metadata.name, o.spec?.minAvailable !== undefined ? String(o.spec.minAvailable) : 'N/A', o.spec?.maxUnavailable !== undefined ? String(o.spec.maxUnavailable) : 'N/A', o.status?.disruptionsAllowed ?? 0, age],
};

const nsPrinter: Printer = {
  columns: [NAME, col('Status', 'string', 0, '', 'The status of the namespace'), AGE],
  cells: (o, age) => [o.metadata.name, o.status?.phase ?? 'Active', age],
};

const defaultPrinter: Printer = { columns: [NAME, col('Created At', 'date', 0, '', AGE.description)], cells: (o) => [o.metadata.name, o.metadata.creationTimestamp] };

function printerFor(t: ResourceType): Printer {
  if (t.group === '' && t.plural === 'nodes') return nodePrinter;
  if (t.group === '' && t.plural === 'pods') return podPrinter;
  if (t.plural === 'machinedeployments') return mdPrinter;
  if (t.plural === 'machines') return machinePrinter;
  if (t.plural === 'poddisruptionbudgets') return pdbPrinter;
  if (t.plural === 'namespaces') return nsPrinter;
  return defaultPrinter;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function toTable(t: ResourceType, items: KubeObject[], listMeta: Record<string, unknown>, include: IncludeObject, now: number) {
  const p = printerFor(t);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: p.columns,
    rows: items.map((o) => {
      const age = humanDuration(now - Date.parse(o.metadata.creationTimestamp));
      const row: Record<string, unknown> = { cells: p.cells(o, age) };
      if (include === 'Object') row.object = o;
      else if (include === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
      return row;
    }),
  };
}

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && accept.split(',').some((part) => /;\s*as=Table/.test(part) && /g=meta\.k8s\.io/.test(part) && /v=v1(\b|;|$)/.test(part));
}
