/**
 * The kubernetes driver: the nodes of a pool are the cluster's Nodes labelled `<poolLabel>=<pool>`,
 * every agent instance a Pod in the driver's namespace, bound to the node the plan chose
 * (`spec.nodeName`: Quartermaster is the scheduler for these pods). Place = create (or adopt the
 * pod a crashed run left); move = create on the new node, wait until Running and Ready, then
 * delete the old pod (make-before-break); evict = the Eviction API, so PodDisruptionBudgets hold;
 * remove = delete. API calls are bounded by `concurrency` and retried on 429/5xx (rest.ts).
 */
import { templateDigest } from '../../model/digest.js';
import type { AgentDoc, DriverDoc } from '../../model/documents.js';
import type { EvictAction, MoveAction, PlaceAction, PlanAction, RemoveAction } from '../../model/plan.js';
import type { ResourceList } from '../../model/quantity.js';
import type { ObservedNode } from '../../model/state.js';
import type { ApplyContext, Driver, DriverContext, Health, Observation } from '../contract.js';
import { describeAction, DriverError } from '../contract.js';
import type { SimStore } from '../sim/store.js';
import { Throughput } from '../docker/throughput.js';
import { driverError } from './errors.js';
import { resolveConfig } from './kubeconfig.js';
import { assemble, readCluster, viewNode } from './observe.js';
import { attachUsage, readPodUsage } from './usage.js';
import { kubernetesOptions } from './options.js';
import type { KubernetesOptions } from './options.js';
import { instanceFromPod, podFor } from './pod-spec.js';
import type { PodIdentity, PodView } from './pod-spec.js';
import { createOrAdopt, deletePod, evictPod, PodError, podsOf, waitGone, waitReady } from './pods.js';
import { KubeApiError, KubeRest } from './rest.js';
import type { RetryOptions } from '../retry.js';

type HistoryStore = Pick<SimStore, 'scalingHistory' | 'appendScaling'>;

interface Connected {
  rest: KubeRest;
  namespace: string;
  server: string;
}

export interface KubernetesDriverDeps {
  env?: Readonly<Record<string, string | undefined>>;
  /** Where the closing throughput line goes. */
  log?: (line: string) => void;
  /** Retry tuning (tests make backoff short). */
  retry?: Partial<RetryOptions>;
}

export class KubernetesDriver implements Driver {
  readonly type = 'kubernetes' as const;
  readonly capabilities = { scaleNodes: false, placeOnNode: true };
  /** Pods created over an apply, for the closing summary and the benchmark. */
  readonly throughput = new Throughput();
  private conn: Promise<Connected> | undefined;
  /** The last observation's nodes and instance pods: apply checks targets and finds pods here first. */
  private seen: { nodes: Map<string, ObservedNode>; pods: Map<string, PodView[]> } | undefined;
  private readonly env: Readonly<Record<string, string | undefined>>;
  /** Instances this driver changed since its last observation. */
  private readonly touched = new Set<string>();

  constructor(
    readonly name: string,
    private readonly store: HistoryStore,
    readonly opts: KubernetesOptions,
    private readonly deps: KubernetesDriverDeps = {},
  ) {
    this.env = deps.env ?? process.env;
  }

  /** The API server connection, made on first use. */
  connect(): Promise<Connected> {
    this.conn ??= (async () => {
      const r = await resolveConfig(this.opts, this.env);
      return { rest: new KubeRest(r.kc, r.server, this.opts.concurrency, this.deps.retry), namespace: this.opts.namespace ?? r.namespace, server: r.server };
    })();
    return this.conn;
  }

  /** The host for messages: the API server, once known. */
  private async host(): Promise<string> {
    return this.conn ? this.conn.then((c) => c.server, () => 'the API server') : 'the API server';
  }

  async health(): Promise<Health> {
    try {
      const c = await this.connect();
      const v = await c.rest.request<{ gitVersion?: string }>('GET', '/version', { intent: { verb: 'get', resource: 'version' } });
      return { ok: true, message: `API server ${c.server} answers (Kubernetes ${v.gitVersion ?? 'unknown version'}), namespace ${c.namespace}` };
    } catch (e) {
      const err = driverError(this.name, await this.host(), 'health', e);
      return { ok: false, message: err.message };
    }
  }

  async observe(ctx: DriverContext): Promise<Observation> {
    let c: Connected;
    try {
      c = await this.connect();
      // Real use is read alongside (one more list), only when asked for.
      const usage = ctx.usage ? readPodUsage(c.rest, c.namespace) : undefined;
      const reading = await readCluster(c.rest, this.opts.poolLabel, ctx.pools.map((p) => p.metadata.name), c.namespace);
      const a = assemble(reading, ctx.pools, c.namespace);
      const measured = await usage;
      if (measured && 'byPod' in measured) attachUsage(a.instances, a.podsByInstance, measured.byPod);
      this.seen = { nodes: new Map(a.nodes.map((n) => [n.name, n])), pods: a.podsByInstance };
      this.touched.clear();
      const empty = ctx.pools.filter((p) => !a.nodes.some((n) => n.pool === p.metadata.name)).map((p) => p.metadata.name);
      const warnings = [...this.opts.problems.map((p) => `driver ${this.name}: ${p}`), ...a.warnings.map((w) => `driver ${this.name}: ${w}`)];
      if (measured && 'error' in measured) warnings.push(`driver ${this.name}: the resource metrics API (metrics.k8s.io) of ${c.server} did not answer (${measured.error}); real use is not measured this time (kubectl top pods -n ${c.namespace})`);
      if (empty.length) warnings.push(`driver ${this.name}: no node of ${c.server} is labelled ${this.opts.poolLabel}=<pool> for pool${empty.length === 1 ? '' : 's'} ${empty.join(', ')}; label the nodes (kubectl label node NAME ${this.opts.poolLabel}=${empty[0]})`);
      return { nodes: a.nodes, instances: a.instances, scalingHistory: await this.store.scalingHistory(), warnings };
    } catch (e) {
      throw driverError(this.name, await this.host(), 'observe', e);
    }
  }

  async apply(action: PlanAction, ctx: ApplyContext): Promise<void> {
    if (action.type === 'place' || action.type === 'move') this.throughput.begin();
    try {
      switch (action.type) {
        case 'place': return await this.place(action, ctx);
        case 'move': return await this.move(action, ctx);
        case 'evict': return await this.evict(action, ctx);
        case 'remove': return await this.remove(action, ctx);
        case 'scalePool':
          throw new DriverError(this.name, `pool ${action.pool}`, describeAction(action), 'the kubernetes driver does not add or remove nodes', "give the pool a provisioner (Pool.spec.provisioner naming a clusterapi or aws Driver), or let the cluster's own autoscaler size it");
        case 'scaleAgent':
          await this.store.appendScaling({ target: { kind: 'Agent', name: action.agent }, at: ctx.now, from: action.from, to: action.to, planId: ctx.planId, reason: action.reason });
          return;
      }
    } catch (e) {
      if (e instanceof PodError) throw new DriverError(this.name, await this.host(), describeAction(action), e.message, e.hint);
      throw driverError(this.name, await this.host(), describeAction(action), e);
    }
  }

  /** A node the action targets: from the last observation, else read once; not a node of a served pool → DriverError. */
  private async target(a: PlanAction, node: string, ctx: ApplyContext, c: Connected): Promise<ObservedNode | { name: string; pool: string; capacity: ResourceList }> {
    const known = this.seen?.nodes.get(node);
    if (known) return known;
    const served = new Set(ctx.pools.map((p) => p.metadata.name));
    let v;
    try {
      v = viewNode(await c.rest.request('GET', `/api/v1/nodes/${encodeURIComponent(node)}`, { intent: { verb: 'get', resource: 'nodes' }, signal: ctx.signal }), this.opts.poolLabel);
    } catch (e) {
      if (!(e instanceof KubeApiError && e.status === 404)) throw e;
    }
    if (!v || !served.has(v.pool)) {
      throw new DriverError(this.name, c.server, describeAction(a), `node ${node} ${v ? `is labelled ${this.opts.poolLabel}=${v.pool || '(none)'}, not a pool this driver serves (${[...served].join(', ') || 'none'})` : 'does not exist in the cluster'}`, 'plan again: the cluster or the policy changed since the plan was made');
    }
    return { name: v.name, pool: v.pool, capacity: v.allocatable };
  }

  private agentDoc(agent: string, ctx: ApplyContext): AgentDoc | undefined {
    return ctx.policy.agents.find((x) => x.metadata.name === agent);
  }

  private identity(instance: string, agent: string, pool: string, node: string, ctx: ApplyContext, requests: ResourceList, gpuDevices?: number[]): PodIdentity {
    const s: PodIdentity = { instance, agent, pool, node, planId: ctx.planId, requests, startedAt: ctx.now };
    if (gpuDevices?.length) s.gpuDevices = gpuDevices;
    const doc = this.agentDoc(agent, ctx);
    if (doc) s.template = templateDigest(doc);
    return s;
  }

  private build(a: PlanAction, s: PodIdentity, ns: string, ctx: ApplyContext, host: string) {
    const built = podFor(s, ns, this.agentDoc(s.agent, ctx), this.opts, this.env);
    if (!built.ok) throw new DriverError(this.name, host, describeAction(a), built.message);
    return built.pod;
  }

  /** The instance's live pods: the observation's when it has them, else one list by label. */
  private async podsOf(instance: string, c: Connected, signal?: AbortSignal, fresh = false): Promise<PodView[]> {
    // The observation listed every managed pod: an instance it did not see has none (unless this run touched it since).
    if (!fresh && this.seen && !this.touched.has(instance)) return this.seen.pods.get(instance) ?? [];
    return podsOf(c.rest, c.namespace, instance, signal);
  }

  private async place(a: PlaceAction, ctx: ApplyContext): Promise<void> {
    const c = await this.connect();
    const node = await this.target(a, a.node, ctx, c);
    const pod = this.build(a, this.identity(a.instance, a.agent, node.pool, a.node, ctx, a.requests, a.gpuDevices), c.namespace, ctx, c.server);
    const before = await this.podsOf(a.instance, c, ctx.signal);
    const elsewhere = before.filter((p) => p.nodeName !== a.node && this.seen?.nodes.has(p.nodeName ?? ''));
    if (elsewhere.length) throw new DriverError(this.name, c.server, describeAction(a), `instance ${a.instance} already runs on node ${elsewhere[0]!.nodeName} (pod ${elsewhere[0]!.name})`, 'plan again: the cluster changed since the plan was made');
    if (await createOrAdopt(c.rest, pod, this.opts.startTimeout * 1000, ctx.signal)) this.throughput.record(c.server);
    // Copies on nodes outside the served pools (a node deleted or relabelled) go once the new pod exists.
    for (const p of before) if (p.nodeName !== a.node) await deletePod(c.rest, c.namespace, p.name, ctx.signal);
    this.forget(a.instance);
  }

  private async move(a: MoveAction, ctx: ApplyContext): Promise<void> {
    const c = await this.connect();
    const node = await this.target(a, a.toNode, ctx, c);
    const before = await this.podsOf(a.instance, c, ctx.signal, true);
    const old = before.filter((p) => p.nodeName === a.fromNode);
    // The requests travel with the instance; one moved because its agent's template changed takes the agent's current ones.
    const agent = this.agentDoc(a.agent, ctx);
    const was = old[0] ? instanceFromPod(old[0]) : undefined;
    const current = agent ? templateDigest(agent) : undefined;
    const requests = was && Object.keys(was.requests).length && !(was.template && current && was.template !== current) ? was.requests : (agent?.spec.resources.requests ?? {});
    const pod = this.build(a, this.identity(a.instance, a.agent, node.pool, a.toNode, ctx, requests, a.gpuDevices), c.namespace, ctx, c.server);
    const created = await createOrAdopt(c.rest, pod, this.opts.startTimeout * 1000, ctx.signal);
    if (created) this.throughput.record(c.server);
    try {
      await waitReady(c.rest, c.namespace, pod.metadata.name, this.opts.startTimeout * 1000, ctx.signal);
    } catch (e) {
      // A new copy that never came up must not outlive the failure: the old pod stays the only one.
      if (created) await deletePod(c.rest, c.namespace, pod.metadata.name).catch(() => undefined);
      throw e;
    }
    for (const p of old) await deletePod(c.rest, c.namespace, p.name, ctx.signal);
    this.forget(a.instance);
    for (const p of old) await waitGone(c.rest, c.namespace, p.name, this.opts.startTimeout * 1000, ctx.signal);
  }

  private async evict(a: EvictAction, ctx: ApplyContext): Promise<void> {
    const c = await this.connect();
    const pods = (await this.podsOf(a.instance, c, ctx.signal, true)).filter((x) => x.nodeName === a.node);
    for (const p of pods) await evictPod(c.rest, p, ctx.signal);
    this.forget(a.instance);
    // Done only once the pods are gone: what the plan puts in their room depends on this action.
    for (const p of pods) await waitGone(c.rest, c.namespace, p.name, this.opts.startTimeout * 1000, ctx.signal);
  }

  private async remove(a: RemoveAction, ctx: ApplyContext): Promise<void> {
    const c = await this.connect();
    const pods = (await this.podsOf(a.instance, c, ctx.signal, true)).filter((x) => x.nodeName === a.node);
    for (const p of pods) await deletePod(c.rest, c.namespace, p.name, ctx.signal);
    this.forget(a.instance);
    for (const p of pods) await waitGone(c.rest, c.namespace, p.name, this.opts.startTimeout * 1000, ctx.signal);
  }

  /** After an action the observation's pods of that instance are out of date. */
  private forget(instance: string): void {
    this.touched.add(instance);
  }

  async close(): Promise<void> {
    const summary = this.throughput.summary();
    if (summary) (this.deps.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(`driver ${this.name}: ${summary.replace(/containers?/, (m) => (m === 'container' ? 'pod' : 'pods'))}`);
    if (this.conn) await this.conn.then((c) => c.rest.close(), () => undefined);
    this.conn = undefined;
  }
}

/** The registry's factory: a Driver document's `spec.kubernetes`, or the defaults for the built-in `kubernetes` type. */
export function createKubernetesDriver(name: string, store: HistoryStore, doc?: DriverDoc): KubernetesDriver {
  return new KubernetesDriver(name, store, kubernetesOptions(doc));
}
