/**
 * The cluster behind the API: the store plus what tests do to it directly (add nodes, pods and
 * budgets, flip readiness, set metrics) and the simulated controllers that react to writes.
 */
import type { Route } from './api.js';
import { T } from './api.js';
import type { ClusterApiOptions, KubeServerOptions, KubeletOptions } from './server.js';
import type { ResourceType } from './resources.js';
import type { KubeObject, Store } from './store.js';
import type { NodeSpec } from './objects.js';
import { defaultPod, makeNode, nodeReadyCondition } from './objects.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { Kubelet } from './kubelet.js';
import type { MachineDeploymentConfig } from './capi.js';
import { ClusterApiController } from './capi.js';

/** Timers of the simulated controllers, so tests can wait for them and `close()` clears them. */
export class Timers {
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();
  private waiters: (() => void)[] = [];

  after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.pending.delete(t);
      try {
        fn();
      } finally {
        if (this.pending.size === 0) for (const w of this.waiters.splice(0)) w();
      }
    }, ms);
    this.pending.add(t);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves once no controller timer is pending. */
  idle(): Promise<void> {
    if (this.pending.size === 0) return new Promise((r) => setImmediate(r));
    return new Promise((r) => this.waiters.push(r));
  }

  clear(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
    for (const w of this.waiters.splice(0)) w();
  }
}

export interface PodInput {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  nodeName?: string;
  requests?: Record<string, string>;
  limits?: Record<string, string>;
  image?: string;
  /** Set the phase directly (Running marks it Ready); default Pending, then up to the kubelet. */
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
}

export class ClusterState {
  readonly timers = new Timers();
  readonly kubelet: Kubelet;
  readonly clusterApi: ClusterApiController;
  private readonly nodeMetrics = new Map<string, Record<string, string>>();
  private readonly podMetrics = new Map<string, { name: string; usage: Record<string, string> }[]>();
  private readonly watchers = new Set<(type: ResourceType, change: string, obj: KubeObject) => void>();

  constructor(readonly store: Store, readonly now: () => Date, options: KubeServerOptions) {
    store.addIndex(T.pods, 'node', (p) => p.spec?.nodeName || undefined);
    store.addIndex(T.machines, 'deployment', (m) => (m.metadata.namespace && m.metadata.labels?.['cluster.x-k8s.io/deployment-name'] ? `${m.metadata.namespace}/${m.metadata.labels['cluster.x-k8s.io/deployment-name']}` : undefined));
    const kopts: KubeletOptions | false = options.kubelet === undefined || options.kubelet === true ? {} : options.kubelet;
    this.kubelet = new Kubelet(store, now, this.timers, kopts);
    const copts: ClusterApiOptions | false = options.clusterApi === undefined || options.clusterApi === true ? {} : options.clusterApi;
    this.clusterApi = new ClusterApiController(store, now, this.timers, copts);
    store.onChange((type, change, obj) => {
      for (const w of this.watchers) w(type, change, obj);
    });
  }

  stamp(): string {
    return this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /** Called after each API request: the controllers run what the write queued, in order. */
  protected afterWrite(_route: Route): void {
    this.kubelet.drain();
  }

  protected stopControllers(): void {
    this.timers.clear();
    this.watchers.clear();
  }

  /** Resolves when the simulated controllers have nothing pending (no timers, no queued pods). */
  async settle(): Promise<void> {
    // Controllers react to writes in a microtask (capi.ts mark()): let them schedule their timers first.
    await new Promise((r) => setImmediate(r));
    this.kubelet.drain();
    while (this.timers.size > 0) {
      await this.timers.idle();
      this.kubelet.drain();
    }
  }

  // --- objects --------------------------------------------------------------------------------

  addNamespace(name: string, labels: Record<string, string> = {}): KubeObject {
    const existing = this.store.get(T.namespaces, undefined, name);
    if (existing) return existing;
    return this.store.create(T.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } as unknown as KubeObject['metadata'], spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  }

  /** Registers a node, as a kubelet does (Ready unless `ready: false`). */
  addNode(spec: NodeSpec): KubeObject {
    const node = this.store.create(T.nodes, makeNode(spec, this.stamp()));
    this.kubelet.drain();
    return node;
  }

  addNodes(specs: NodeSpec[]): void {
    for (const s of specs) this.store.create(T.nodes, makeNode(s, this.stamp()));
    this.kubelet.drain();
  }

  node(name: string): KubeObject | undefined {
    return this.store.get(T.nodes, undefined, name);
  }

  /**
   * A node that registers later, as a cloud instance does: it appears after `afterMs` (NotReady when
   * `readyAfterMs` is given) and turns Ready `readyAfterMs` later. `settle()` waits for both.
   */
  registerNodeLater(spec: NodeSpec, o: { afterMs?: number; readyAfterMs?: number } = {}): void {
    this.timers.after(o.afterMs ?? 0, () => {
      const slow = (o.readyAfterMs ?? 0) > 0;
      this.addNode({ ...spec, ready: slow ? false : spec.ready });
      if (slow) this.timers.after(o.readyAfterMs!, () => this.node(spec.name) && this.setNodeReady(spec.name, true));
    });
  }

  nodes(): KubeObject[] {
    return this.store.all(T.nodes);
  }

  /** Changes a node in place (a new object with a new resourceVersion). */
  updateNode(name: string, fn: (n: KubeObject) => KubeObject): KubeObject {
    const cur = this.node(name);
    if (!cur) throw new Error(`no node ${name}`);
    const next = this.store.replace(T.nodes, cur, fn(structuredClone(cur)));
    this.kubelet.drain();
    return next;
  }

  setNodeReady(name: string, ready: boolean): KubeObject {
    return this.updateNode(name, (n) => {
      const conds = (n.status.conditions ?? []).filter((c: { type: string }) => c.type !== 'Ready');
      return { ...n, status: { ...n.status, conditions: [...conds, nodeReadyCondition(ready, this.stamp())] } };
    });
  }

  deleteNode(name: string): void {
    const n = this.node(name);
    if (n) this.store.delete(T.nodes, n);
    this.kubelet.drain();
  }

  addPod(p: PodInput): KubeObject {
    const namespace = p.namespace ?? 'default';
    this.addNamespace(namespace);
    const resources: Record<string, unknown> = {};
    if (p.requests) resources.requests = p.requests;
    if (p.limits) resources.limits = p.limits;
    let pod = defaultPod({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: p.name, namespace, labels: p.labels, annotations: p.annotations } as unknown as KubeObject['metadata'],
      spec: { containers: [{ name: 'main', image: p.image ?? 'busybox:1.36', resources }], ...(p.nodeName ? { nodeName: p.nodeName } : {}) },
    });
    if (p.phase && p.phase !== 'Pending') pod = { ...pod, status: this.kubelet.statusFor(pod, p.phase) };
    const stored = this.store.create(T.pods, pod);
    if (p.phase && p.phase !== 'Pending') this.kubelet.markAdmitted(stored);
    this.kubelet.drain();
    return stored;
  }

  pod(namespace: string, name: string): KubeObject | undefined {
    return this.store.get(T.pods, namespace, name);
  }

  pods(namespace?: string): KubeObject[] {
    return this.store.all(T.pods, namespace);
  }

  podsOnNode(node: string): KubeObject[] {
    return this.store.indexed(T.pods, 'node', node);
  }

  /** A policy/v1 PodDisruptionBudget with minAvailable or maxUnavailable (a number or "50%"). */
  addPdb(p: { name: string; namespace?: string; matchLabels: Record<string, string>; minAvailable?: number | string; maxUnavailable?: number | string }): KubeObject {
    const namespace = p.namespace ?? 'default';
    this.addNamespace(namespace);
    const spec: Record<string, unknown> = { selector: { matchLabels: p.matchLabels } };
    if (p.minAvailable !== undefined) spec.minAvailable = p.minAvailable;
    if (p.maxUnavailable !== undefined) spec.maxUnavailable = p.maxUnavailable;
    return this.store.create(T.pdbs, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: p.name, namespace } as unknown as KubeObject['metadata'], spec, status: {} });
  }

  machineDeployment(namespace: string, name: string): KubeObject | undefined {
    return this.store.get(T.machineDeployments, namespace, name);
  }

  machines(namespace?: string): KubeObject[] {
    return this.store.all(T.machines, namespace);
  }

  /**
   * A MachineDeployment with `replicas` (its Machines and Nodes appear through the controller) and
   * the node shape the controller registers for it.
   */
  addMachineDeployment(p: { name: string; namespace?: string; clusterName?: string; replicas: number; version?: string } & MachineDeploymentConfig): KubeObject {
    const namespace = p.namespace ?? 'default';
    this.addNamespace(namespace);
    const { name, clusterName = 'cluster', replicas, version = 'v1.32.0', ...config } = p;
    this.clusterApi.configure(namespace, name, config);
    const labels = { 'cluster.x-k8s.io/cluster-name': clusterName, 'cluster.x-k8s.io/deployment-name': name };
    return this.store.create(T.machineDeployments, {
      apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineDeployment',
      metadata: { name, namespace, labels: { 'cluster.x-k8s.io/cluster-name': clusterName } } as unknown as KubeObject['metadata'],
      spec: {
        clusterName, replicas, selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { clusterName, version, bootstrap: { dataSecretName: '' }, infrastructureRef: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'DockerMachineTemplate', name: `${name}-template` } } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0, deletePolicy: 'Oldest' } },
      },
      status: {},
    });
  }

  // --- metrics.k8s.io ----------------------------------------------------------------------------

  setNodeMetrics(node: string, usage: { cpu: string; memory: string }): void {
    this.nodeMetrics.set(node, usage);
  }

  setPodMetrics(namespace: string, pod: string, containers: { name: string; usage: { cpu: string; memory: string } }[]): void {
    this.podMetrics.set(`${namespace}/${pod}`, containers);
  }

  protected metricsFor(type: ResourceType, namespace: string | undefined): KubeObject[] {
    const at = this.stamp();
    const meta = (name: string, ns?: string, labels?: Record<string, string>) => ({ name, ...(ns ? { namespace: ns } : {}), creationTimestamp: at, labels: labels ?? {} }) as unknown as KubeObject['metadata'];
    if (type.kind === 'NodeMetrics') {
      return [...this.nodeMetrics].filter(([n]) => this.node(n)).sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([n, usage]) => ({ kind: 'NodeMetrics', apiVersion: 'metrics.k8s.io/v1beta1', metadata: meta(n, undefined, this.node(n)?.metadata.labels), timestamp: at, window: '10.062s', usage }));
    }
    return [...this.podMetrics].sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([key, containers]) => {
      const [ns, name] = key.split('/') as [string, string];
      const pod = this.pod(ns, name);
      if (!pod || (namespace && ns !== namespace)) return [];
      return [{ kind: 'PodMetrics', apiVersion: 'metrics.k8s.io/v1beta1', metadata: meta(name, ns, pod.metadata.labels), timestamp: at, window: '10.062s', containers }];
    });
  }

  // --- deletion and watch --------------------------------------------------------------------------

  protected deletePodObject(pod: KubeObject): KubeObject {
    return this.kubelet.deletePod(pod);
  }

  /** A watch stream: ADDED for what exists (unless resourceVersion is given), then every change. */
  protected subscribe(route: Route, query: URLSearchParams, write: (line: string) => void): () => void {
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(query.get('fieldSelector'), route.type.fieldSelectors);
    const ns = route.type.namespaced ? route.namespace : undefined;
    const match = (o: KubeObject) => (!ns || o.metadata.namespace === ns) && matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o);
    const rv = query.get('resourceVersion');
    if (!rv || rv === '0') for (const o of this.store.all(route.type, ns)) if (match(o)) write(`${JSON.stringify({ type: 'ADDED', object: o })}\n`);
    const fn = (type: ResourceType, change: string, obj: KubeObject) => {
      if (type === route.type && match(obj)) write(`${JSON.stringify({ type: change, object: obj })}\n`);
    };
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }
}
