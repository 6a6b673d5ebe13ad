/**
 * A simulated Cluster API controller (MachineDeployment → Machines → Nodes). Scaling up creates
 * Machines spread over the configured zones; after `registerDelayMs` each gets a providerID and a
 * Node registers (pool, zone and region labels, allocatable), Ready after `readyDelayMs`. Scaling
 * down deletes Machines annotated `cluster.x-k8s.io/delete-machine` first, then the oldest, with
 * their Nodes. MachineSets are left out: Machines are owned by their MachineDeployment directly.
 */
import { randomSuffix, T } from './api.js';
import type { Timers } from './cluster.js';
import type { ClusterApiOptions } from './server.js';
import type { KubeObject, Store } from './store.js';
import { isNodeReady, makeNode, nodeReadyCondition } from './objects.js';
import { selectorToString } from './selectors.js';

export interface MachineDeploymentConfig {
  /** Zones new machines are spread over (fewest machines first); none: no zone label. */
  zones?: string[];
  region?: string;
  /** Label key of the pool (default quartermaster.dev/pool) and its value (default: the MachineDeployment's name). */
  poolLabel?: string;
  pool?: string;
  labels?: Record<string, string>;
  allocatable?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  /** providerID = `<prefix><zone>/<machine name>` (default prefix `test:///`). */
  providerIDPrefix?: string;
  registerDelayMs?: number;
  readyDelayMs?: number;
}

export const DELETE_ANNOTATION = 'cluster.x-k8s.io/delete-machine';

export class ClusterApiController {
  private readonly configs = new Map<string, MachineDeploymentConfig>();
  private readonly dirty = new Set<string>();
  private scheduled = false;
  private readonly created = new Map<string, number>();

  constructor(private readonly store: Store, private readonly now: () => Date, private readonly timers: Timers, private readonly options: ClusterApiOptions | false) {
    if (!options) return;
    store.onChange((type, change, obj) => {
      if (type === T.machineDeployments) {
        if (change === 'DELETED') this.deleteMachines(obj);
        else this.mark(`${obj.metadata.namespace}/${obj.metadata.name}`);
      } else if (type === T.machines) {
        if (change === 'ADDED') this.created.set(obj.metadata.uid, this.created.size + 1);
        if (change === 'DELETED') this.created.delete(obj.metadata.uid);
        const md = obj.metadata.labels?.['cluster.x-k8s.io/deployment-name'];
        if (change === 'DELETED') {
          const node = obj.status?.nodeRef?.name;
          const n = node ? store.get(T.nodes, undefined, node) : undefined;
          if (n) store.delete(T.nodes, n);
        }
        if (md) this.mark(`${obj.metadata.namespace}/${md}`);
      } else if (type === T.nodes && change === 'MODIFIED') {
        for (const m of store.all(T.machines)) {
          const md = m.metadata.labels?.['cluster.x-k8s.io/deployment-name'];
          if (m.status?.nodeRef?.name === obj.metadata.name && md) this.mark(`${m.metadata.namespace}/${md}`);
        }
      }
    });
  }

  configure(namespace: string, name: string, config: MachineDeploymentConfig): void {
    this.configs.set(`${namespace}/${name}`, { ...this.configs.get(`${namespace}/${name}`), ...config });
  }

  private config(key: string): MachineDeploymentConfig {
    const c = this.configs.get(key) ?? {};
    const o = this.options || {};
    return { registerDelayMs: o.registerDelayMs ?? 0, readyDelayMs: o.readyDelayMs ?? 0, ...c };
  }

  private mark(key: string): void {
    this.dirty.add(key);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      const keys = [...this.dirty];
      this.dirty.clear();
      for (const k of keys) this.reconcile(k);
    });
  }

  private machinesOf(key: string): KubeObject[] {
    // Oldest first: creation order (timestamps have one-second resolution).
    const age = (m: KubeObject) => this.created.get(m.metadata.uid) ?? 0;
    return this.store.indexed(T.machines, 'deployment', key).filter((m) => !m.metadata.deletionTimestamp).sort((a, b) => age(a) - age(b));
  }

  private reconcile(key: string): void {
    const [namespace, name] = key.split('/') as [string, string];
    const md = this.store.get(T.machineDeployments, namespace, name);
    if (!md) return;
    const desired = md.spec?.replicas ?? 1;
    const machines = this.machinesOf(key);
    if (machines.length < desired) for (let i = machines.length; i < desired; i++) this.createMachine(md, key);
    else if (machines.length > desired) {
      const marked = machines.filter((m) => m.metadata.annotations?.[DELETE_ANNOTATION] !== undefined);
      const rest = machines.filter((m) => m.metadata.annotations?.[DELETE_ANNOTATION] === undefined);
      for (const m of [...marked, ...rest].slice(0, machines.length - desired)) this.store.delete(T.machines, m);
    }
    this.updateStatus(md, key);
  }

  private createMachine(md: KubeObject, key: string): void {
    const cfg = this.config(key);
    const zones = cfg.zones ?? [];
    let zone: string | undefined;
    if (zones.length) {
      const counts = new Map(zones.map((z) => [z, 0]));
      for (const m of this.machinesOf(key)) if (counts.has(m.spec?.failureDomain)) counts.set(m.spec.failureDomain, counts.get(m.spec.failureDomain)! + 1);
      zone = [...counts].sort((a, b) => a[1] - b[1])[0]![0];
    }
    const name = `${md.metadata.name}-${randomSuffix(5)}`;
    const tmpl = md.spec?.template ?? {};
    const machine = this.store.create(T.machines, {
      apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'Machine',
      metadata: {
        name, namespace: md.metadata.namespace, labels: { ...tmpl.metadata?.labels, 'cluster.x-k8s.io/deployment-name': md.metadata.name, 'cluster.x-k8s.io/cluster-name': md.spec?.clusterName ?? '' },
        annotations: {}, ownerReferences: [{ apiVersion: 'cluster.x-k8s.io/v1beta1', kind: 'MachineDeployment', name: md.metadata.name, uid: md.metadata.uid, controller: true, blockOwnerDeletion: true }],
      } as unknown as KubeObject['metadata'],
      spec: { clusterName: md.spec?.clusterName ?? '', version: tmpl.spec?.version, bootstrap: tmpl.spec?.bootstrap ?? { dataSecretName: '' }, infrastructureRef: tmpl.spec?.infrastructureRef, ...(zone ? { failureDomain: zone } : {}) },
      status: { phase: 'Provisioning', bootstrapReady: true, infrastructureReady: false, observedGeneration: 1 },
    });
    this.timers.after(cfg.registerDelayMs ?? 0, () => this.register(machine, key));
  }

  /** The instance is up: providerID on the Machine, its Node registers (Ready now or after readyDelayMs). */
  private register(machine: KubeObject, key: string): void {
    const cur = this.store.get(T.machines, machine.metadata.namespace, machine.metadata.name);
    if (!cur || cur.metadata.uid !== machine.metadata.uid) return;
    const cfg = this.config(key);
    const mdName = key.split('/')[1]!;
    const zone = cur.spec?.failureDomain as string | undefined;
    const providerID = `${cfg.providerIDPrefix ?? 'test:///'}${zone ?? 'default'}/${cur.metadata.name}`;
    const at = this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const delay = cfg.readyDelayMs ?? 0;
    const node = this.store.create(T.nodes, makeNode({
      name: cur.metadata.name, zone, region: cfg.region, providerID, allocatable: cfg.allocatable, taints: cfg.taints,
      labels: { [cfg.poolLabel ?? 'quartermaster.dev/pool']: cfg.pool ?? mdName, ...cfg.labels }, ready: delay <= 0,
      annotations: { 'cluster.x-k8s.io/cluster-name': cur.spec?.clusterName ?? '', 'cluster.x-k8s.io/machine': cur.metadata.name, 'cluster.x-k8s.io/owner-kind': 'MachineSet', 'cluster.x-k8s.io/owner-name': mdName },
    }, at));
    this.store.replace(T.machines, cur, {
      ...cur, spec: { ...cur.spec, providerID },
      status: { ...cur.status, phase: 'Running', infrastructureReady: true, nodeRef: { apiVersion: 'v1', kind: 'Node', name: node.metadata.name, uid: node.metadata.uid }, addresses: node.status.addresses },
    });
    if (delay > 0) {
      this.timers.after(delay, () => {
        const n = this.store.get(T.nodes, undefined, node.metadata.name);
        if (!n || n.metadata.uid !== node.metadata.uid) return;
        const conds = (n.status.conditions ?? []).filter((c: { type: string }) => c.type !== 'Ready');
        this.store.replace(T.nodes, n, { ...n, status: { ...n.status, conditions: [...conds, nodeReadyCondition(true, this.now().toISOString().replace(/\.\d{3}Z$/, 'Z'))] } });
      });
    }
  }

  private deleteMachines(md: KubeObject): void {
    for (const m of this.store.indexed(T.machines, 'deployment', `${md.metadata.namespace}/${md.metadata.name}`)) this.store.delete(T.machines, m);
  }

  private updateStatus(md: KubeObject, key: string): void {
    const machines = this.machinesOf(key);
    const desired = md.spec?.replicas ?? 1;
    const ready = machines.filter((m) => isNodeReady(m.status?.nodeRef ? this.store.get(T.nodes, undefined, m.status.nodeRef.name) : undefined)).length;
    const phase = machines.length < desired ? 'ScalingUp' : machines.length > desired ? 'ScalingDown' : ready === desired ? 'Running' : 'ScalingUp';
    const status = {
      ...md.status, selector: selectorToString(md.spec?.selector), replicas: machines.length, updatedReplicas: machines.length, readyReplicas: ready,
      availableReplicas: ready, unavailableReplicas: Math.max(0, desired - ready), phase, observedGeneration: md.metadata.generation ?? 1,
    };
    if (JSON.stringify(status) === JSON.stringify(md.status)) return;
    this.store.replace(T.machineDeployments, md, { ...md, status });
  }
}
