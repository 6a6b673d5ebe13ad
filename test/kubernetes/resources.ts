/**
 * The resource types the test server serves, with what discovery reports for them
 * (APIResource: name, kind, namespaced, verbs, shortNames, subresources) and the field
 * selectors the real apiserver supports for each.
 */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  /** subresource name → discovery entry (kind and verbs; group/version when the body is another type). */
  subresources: Record<string, { kind: string; verbs: string[]; group?: string; version?: string }>;
  fieldSelectors: string[];
  /** Custom resources: lists carry kind/apiVersion on every item; generation bumps on spec changes. */
  custom: boolean;
  /** A status subresource exists: writes to the main resource keep status, /status writes keep the rest. */
  hasStatus: boolean;
  /** Served only when the server's option is on (metrics.k8s.io). */
  optional?: 'metrics';
}

const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const META_FIELDS = ['metadata.name', 'metadata.namespace'];

export const RESOURCE_TYPES: ResourceType[] = [
  {
    group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', listKind: 'NamespaceList',
    namespaced: false, shortNames: ['ns'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: { status: { kind: 'Namespace', verbs: ['get', 'patch', 'update'] }, finalize: { kind: 'Namespace', verbs: ['update'] } },
    fieldSelectors: ['metadata.name', 'status.phase'], custom: false, hasStatus: true,
  },
  {
    group: '', version: 'v1', plural: 'nodes', singular: 'node', kind: 'Node', listKind: 'NodeList',
    namespaced: false, shortNames: ['no'], verbs: CRUD,
    subresources: { status: { kind: 'Node', verbs: ['get', 'patch', 'update'] }, proxy: { kind: 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] } },
    fieldSelectors: ['metadata.name', 'spec.unschedulable'], custom: false, hasStatus: true,
  },
  {
    group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', listKind: 'PodList',
    namespaced: true, shortNames: ['po'], categories: ['all'], verbs: CRUD,
    subresources: {
      binding: { kind: 'Binding', verbs: ['create'] },
      eviction: { kind: 'Eviction', verbs: ['create'], group: 'policy', version: 'v1' },
      status: { kind: 'Pod', verbs: ['get', 'patch', 'update'] },
      log: { kind: 'Pod', verbs: ['get'] },
    },
    fieldSelectors: [...META_FIELDS, 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
    custom: false, hasStatus: true,
  },
  {
    group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', singular: 'poddisruptionbudget', kind: 'PodDisruptionBudget',
    listKind: 'PodDisruptionBudgetList', namespaced: true, shortNames: ['pdb'], verbs: CRUD,
    subresources: { status: { kind: 'PodDisruptionBudget', verbs: ['get', 'patch', 'update'] } },
    fieldSelectors: META_FIELDS, custom: false, hasStatus: true,
  },
  {
    group: 'cluster.x-k8s.io', version: 'v1beta1', plural: 'machinedeployments', singular: 'machinedeployment', kind: 'MachineDeployment',
    listKind: 'MachineDeploymentList', namespaced: true, shortNames: ['md'], categories: ['cluster-api'], verbs: CRUD,
    subresources: {
      scale: { kind: 'Scale', verbs: ['get', 'patch', 'update'], group: 'autoscaling', version: 'v1' },
      status: { kind: 'MachineDeployment', verbs: ['get', 'patch', 'update'] },
    },
    fieldSelectors: META_FIELDS, custom: true, hasStatus: true,
  },
  {
    group: 'cluster.x-k8s.io', version: 'v1beta1', plural: 'machines', singular: 'machine', kind: 'Machine', listKind: 'MachineList',
    namespaced: true, shortNames: ['ma'], categories: ['cluster-api'], verbs: CRUD,
    subresources: { status: { kind: 'Machine', verbs: ['get', 'patch', 'update'] } },
    fieldSelectors: META_FIELDS, custom: true, hasStatus: true,
  },
  {
    group: 'metrics.k8s.io', version: 'v1beta1', plural: 'nodes', singular: '', kind: 'NodeMetrics', listKind: 'NodeMetricsList',
    namespaced: false, verbs: ['get', 'list'], subresources: {}, fieldSelectors: ['metadata.name'], custom: false, hasStatus: false, optional: 'metrics',
  },
  {
    group: 'metrics.k8s.io', version: 'v1beta1', plural: 'pods', singular: '', kind: 'PodMetrics', listKind: 'PodMetricsList',
    namespaced: true, verbs: ['get', 'list'], subresources: {}, fieldSelectors: META_FIELDS, custom: false, hasStatus: false, optional: 'metrics',
  },
];

export const apiVersionOf = (t: { group: string; version: string }) => (t.group ? `${t.group}/${t.version}` : t.version);

export function findType(group: string, version: string, plural: string, metrics: boolean): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural && (!t.optional || metrics));
}

/** Groups besides the core one, in the order /apis lists them; autoscaling only carries the Scale kind. */
export const GROUPS: { name: string; version: string; optional?: 'metrics' }[] = [
  { name: 'autoscaling', version: 'v1' },
  { name: 'policy', version: 'v1' },
  { name: 'cluster.x-k8s.io', version: 'v1beta1' },
  { name: 'metrics.k8s.io', version: 'v1beta1', optional: 'metrics' },
];
