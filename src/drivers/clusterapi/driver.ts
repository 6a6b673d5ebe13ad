/**
 * The clusterapi provisioner (SPEC §8): a pool's node count is the replicas of its Cluster API
 * MachineDeployment (`cluster.x-k8s.io/v1beta1`), changed through the `scale` subresource. A
 * scale-down first marks the Machines behind the nodes the plan chose with
 * `cluster.x-k8s.io/delete-machine`, so Cluster API removes those and not others. It only changes
 * the count: it observes no nodes (the pool's kubernetes driver does) and returns once the API
 * accepted the new size; the engine waits for new nodes to register and binds the plan's node
 * names to them by zone.
 */
import type { DriverDoc } from '../../model/documents.js';
import type { PlanAction, ScalePoolAction } from '../../model/plan.js';
import type { ApplyContext, Driver, DriverContext, Health, Observation } from '../contract.js';
import { describeAction, DriverError } from '../contract.js';
import type { SimStore } from '../sim/store.js';
import { driverError } from '../kubernetes/errors.js';
import { resolveConfig } from '../kubernetes/kubeconfig.js';
import { KubeApiError, KubeRest } from '../kubernetes/rest.js';
import type { RetryOptions } from '../retry.js';
import { clusterapiOptions } from './options.js';
import type { ClusterApiOptions } from './options.js';

type HistoryStore = Pick<SimStore, 'scalingHistory' | 'appendScaling'>;

export const API = '/apis/cluster.x-k8s.io/v1beta1';
export const DELETE_MACHINE = 'cluster.x-k8s.io/delete-machine';
export const DEPLOYMENT_NAME_LABEL = 'cluster.x-k8s.io/deployment-name';

interface Connected {
  rest: KubeRest;
  namespace: string;
  server: string;
}

interface MachineView {
  name: string;
  node?: string;
  annotated: boolean;
}

export class ClusterApiDriver implements Driver {
  readonly type = 'clusterapi' as const;
  readonly capabilities = { scaleNodes: true, placeOnNode: false };
  private conn: Promise<Connected> | undefined;

  constructor(
    readonly name: string,
    private readonly store: HistoryStore,
    readonly opts: ClusterApiOptions,
    private readonly deps: { env?: Readonly<Record<string, string | undefined>>; retry?: Partial<RetryOptions> } = {},
  ) {}

  private connect(): Promise<Connected> {
    this.conn ??= (async () => {
      const r = await resolveConfig(this.opts, this.deps.env ?? process.env);
      return { rest: new KubeRest(r.kc, r.server, 4, this.deps.retry), namespace: this.opts.namespace ?? r.namespace, server: r.server };
    })();
    return this.conn;
  }

  private async host(): Promise<string> {
    return this.conn ? this.conn.then((c) => c.server, () => 'the management cluster') : 'the management cluster';
  }

  /** The MachineDeployment of a pool. */
  deploymentOf(pool: string): string {
    return this.opts.machineDeployment.replaceAll('{pool}', pool);
  }

  async health(): Promise<Health> {
    try {
      const c = await this.connect();
      await c.rest.request('GET', '/version', { intent: { verb: 'get', resource: 'version' } });
      return { ok: true, message: `management cluster ${c.server} answers, namespace ${c.namespace}` };
    } catch (e) {
      return { ok: false, message: driverError(this.name, await this.host(), 'health', e).message };
    }
  }

  /** A provisioner observes nothing of its own: the pool's placing driver reports the nodes. */
  async observe(ctx: DriverContext): Promise<Observation> {
    void ctx;
    const problems = this.opts.problems.map((p) => `driver ${this.name}: ${p}`);
    return { nodes: [], instances: [], scalingHistory: await this.store.scalingHistory(), warnings: problems };
  }

  async apply(action: PlanAction, ctx: ApplyContext): Promise<void> {
    if (action.type === 'scaleAgent') {
      await this.store.appendScaling({ target: { kind: 'Agent', name: action.agent }, at: ctx.now, from: action.from, to: action.to, planId: ctx.planId, reason: action.reason });
      return;
    }
    if (action.type !== 'scalePool') throw new DriverError(this.name, await this.host(), describeAction(action), 'the clusterapi provisioner only changes node counts; it does not place instances', "name a kubernetes Driver as the pool's driver and this one as its provisioner");
    try {
      await this.scale(action, ctx);
    } catch (e) {
      throw driverError(this.name, await this.host(), describeAction(action), e);
    }
  }

  private async scale(a: ScalePoolAction, ctx: ApplyContext): Promise<void> {
    const c = await this.connect();
    const md = this.deploymentOf(a.pool);
    const mdPath = `${API}/namespaces/${encodeURIComponent(c.namespace)}/machinedeployments/${encodeURIComponent(md)}`;
    if (a.removeNodes.length) await this.markForDeletion(c, md, a, ctx);
    const scalePath = `${mdPath}/scale`;
    let current: { spec?: { replicas?: number } };
    try {
      current = await c.rest.request('GET', scalePath, { intent: { verb: 'get', resource: 'machinedeployments/scale', namespace: c.namespace }, signal: ctx.signal });
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404) throw new DriverError(this.name, c.server, describeAction(a), `the MachineDeployment ${md} does not exist in namespace ${c.namespace}`, `create it, or set spec.clusterapi.machineDeployment (a name template with {pool}) and namespace in the Driver document`);
      throw e;
    }
    if (current.spec?.replicas !== a.to) {
      await c.rest.request('PATCH', scalePath, { body: { spec: { replicas: a.to } }, contentType: 'application/merge-patch+json', intent: { verb: 'patch', resource: 'machinedeployments/scale', namespace: c.namespace }, signal: ctx.signal });
    }
    await this.store.appendScaling({ target: { kind: 'Pool', name: a.pool }, at: ctx.now, from: a.from, to: a.to, planId: ctx.planId, reason: a.reason });
  }

  /** Mark the Machines behind the nodes to remove (Machine.status.nodeRef.name ↔ node name). */
  private async markForDeletion(c: Connected, md: string, a: ScalePoolAction, ctx: ApplyContext): Promise<void> {
    const machinesPath = `${API}/namespaces/${encodeURIComponent(c.namespace)}/machines`;
    const machines = await c.rest.listAll(machinesPath, { labelSelector: `${DEPLOYMENT_NAME_LABEL}=${md}` }, { verb: 'list', resource: 'machines', namespace: c.namespace }, (m) => {
      const o = m as { metadata?: { name?: string; annotations?: Record<string, string> }; status?: { nodeRef?: { name?: string } } };
      const v: MachineView = { name: o.metadata?.name ?? '', annotated: Object.hasOwn(o.metadata?.annotations ?? {}, DELETE_MACHINE) };
      if (o.status?.nodeRef?.name) v.node = o.status.nodeRef.name;
      return v;
    }, 500, ctx.signal);
    const byNode = new Map(machines.filter((m) => m.node).map((m) => [m.node!, m]));
    const stillThere = new Set((ctx.poolNodes ?? []).map((n) => n.name));
    const unmapped: string[] = [];
    for (const node of a.removeNodes) {
      const m = byNode.get(node);
      if (!m) {
        // A node that is gone already needs no machine marked; one that is there but has none cannot be chosen.
        if (!ctx.poolNodes || stillThere.has(node)) unmapped.push(node);
        continue;
      }
      if (m.annotated) continue;
      await c.rest.request('PATCH', `${machinesPath}/${encodeURIComponent(m.name)}`, {
        body: { metadata: { annotations: { [DELETE_MACHINE]: 'quartermaster' } } },
        contentType: 'application/merge-patch+json',
        intent: { verb: 'patch', resource: 'machines', namespace: c.namespace },
        signal: ctx.signal,
      });
    }
    if (unmapped.length) throw new DriverError(this.name, c.server, describeAction(a), `no Machine of MachineDeployment ${md} in namespace ${c.namespace} has node ${unmapped.join(', ')} (status.nodeRef); the replicas were not lowered, so Cluster API cannot remove another node instead`, 'check that the pool\'s nodes belong to that MachineDeployment (kubectl get machines -o wide)');
  }

  async close(): Promise<void> {
    if (this.conn) await this.conn.then((c) => c.rest.close(), () => undefined);
    this.conn = undefined;
  }
}

export function createClusterApiDriver(name: string, store: HistoryStore, doc?: DriverDoc): ClusterApiDriver {
  return new ClusterApiDriver(name, store, clusterapiOptions(doc));
}
