/**
 * The docker driver: every node is a Docker engine (unix socket, tcp with TLS, or ssh), every agent
 * instance a container on it with the plan's CPU, memory and GPUs. Place = create + start; move =
 * start on the new node, wait until running, then remove the old (make-before-break); remove and
 * evict = stop with a grace period, then remove. Only containers labelled quartermaster.dev/instance
 * are ever observed or touched. Engine calls are bounded per engine by a small semaphore. A pool
 * scaled by a provisioner that lists its machines (aws) has those machines as its engines, one node
 * each (provisionedBy): the list is read on every observation and reused by apply, which reads it
 * again only for a node it does not know yet.
 */
import { templateDigest } from '../../model/digest.js';
import type { AgentDoc, DriverDoc } from '../../model/documents.js';
import type { MoveAction, PlaceAction, PlanAction } from '../../model/plan.js';
import type { ResourceList } from '../../model/quantity.js';
import type { ApplyContext, Driver, DriverContext, Health, Machine, MachineSource, Observation } from '../contract.js';
import { describeAction, DriverError } from '../contract.js';
import type { SimStore } from '../sim/store.js';
import { containerConfig, instanceFromLabels, LABEL } from './container-spec.js';
import type { InstanceSpec } from './container-spec.js';
import { ensureRunning, restoreName, stopAndRemove, waitRunning } from './containers.js';
import { EngineClient, EngineError } from './engine-client.js';
import { parseEndpoint } from './endpoint.js';
import { assemble, readEngine } from './observe.js';
import { defaultAddress, dockerOptions } from './options.js';
import type { DockerOptions } from './options.js';
import { nodeTargets } from './nodes.js';
import type { NodeTarget } from './nodes.js';
import { Semaphore } from './semaphore.js';
import { STATS_CONCURRENCY } from './stats.js';
import { Throughput } from './throughput.js';

type HistoryStore = Pick<SimStore, 'scalingHistory' | 'appendScaling'>;
type Engine = { client: EngineClient; sem: Semaphore } | { error: string };

export class DockerDriver implements Driver {
  readonly type = 'docker' as const;
  readonly capabilities = { scaleNodes: false, placeOnNode: true };
  /** Containers started per engine, for the closing summary and the benchmark. */
  readonly throughput = new Throughput();
  private readonly engines = new Map<string, Engine>();
  /** Pools whose engines a provisioner lists, and their machines as last read. */
  private readonly provisioned = new Map<string, { provisioner: string; source: MachineSource }>();
  private readonly machineCache = new Map<string, readonly Machine[]>();
  /** Reads in flight, shared: parallel actions that all need a fresh list make one call. */
  private readonly reading = new Map<string, Promise<readonly Machine[]>>();

  constructor(
    readonly name: string,
    private readonly store: HistoryStore,
    private readonly opts: DockerOptions,
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
    /** Where the closing throughput line goes; tests and the benchmark pass their own. */
    private readonly log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  ) {}

  /** The client and semaphore of an engine, created on first use. */
  private engine(address: string): Engine {
    let e = this.engines.get(address);
    if (!e) {
      const p = parseEndpoint(address, this.opts.tls);
      // Stats calls (real use) run more at once than other calls, except over ssh (a process per connection).
      const sockets = p.ok && p.endpoint.kind !== 'ssh' ? Math.max(this.opts.concurrency, STATS_CONCURRENCY) : this.opts.concurrency;
      e = p.ok ? { client: new EngineClient(p.endpoint, { maxSockets: sockets + 2 }), sem: new Semaphore(this.opts.concurrency) } : { error: p.message };
      this.engines.set(address, e);
    }
    return e;
  }

  provisionedBy(pool: string, provisioner: string, source: MachineSource): void {
    this.provisioned.set(pool, { provisioner, source });
  }

  /**
   * Every node of the served pools by name. Provisioned pools' machines are read afresh when
   * `fresh`, else reused from the last read (apply, between observations).
   */
  private async targets(ctx: DriverContext, fresh: boolean, signal?: AbortSignal): Promise<Map<string, NodeTarget>> {
    const machines = new Map<string, readonly Machine[]>();
    await Promise.all(ctx.pools.filter((p) => !p.spec.nodes && this.provisioned.has(p.metadata.name)).map(async (p) => {
      const name = p.metadata.name;
      let m = fresh ? undefined : this.machineCache.get(name);
      if (!m) {
        let r = this.reading.get(name);
        if (!r) {
          r = this.provisioned.get(name)!.source(p, signal).then((x) => (this.machineCache.set(name, x), x)).finally(() => this.reading.delete(name));
          this.reading.set(name, r);
        }
        m = await r;
      }
      machines.set(name, m);
    }));
    return new Map(nodeTargets(ctx.pools, this.opts.endpoints, defaultAddress(this.env), machines).map((t) => [t.node.name, t]));
  }

  /** The targets apply needs: the last read, read again when `node` is not among them (it registered since). */
  private async targetsFor(ctx: ApplyContext, ...nodes: string[]): Promise<Map<string, NodeTarget>> {
    const t = await this.targets(ctx, false, ctx.signal);
    if (nodes.every((n) => t.has(n)) || !ctx.pools.some((p) => this.provisioned.has(p.metadata.name))) return t;
    return this.targets(ctx, true, ctx.signal);
  }

  async health(ctx: DriverContext): Promise<Health> {
    let targets: Map<string, NodeTarget>;
    try {
      targets = await this.targets(ctx, true);
    } catch (e) {
      return { ok: false, message: `cannot list the engines of the provisioned pools: ${(e as Error).message}` };
    }
    const addresses = [...new Set([...targets.values()].map((t) => t.address))].sort();
    const readings = await Promise.all(addresses.map(async (a) => {
      const e = this.engine(a);
      if ('error' in e) return `${a}: ${e.error}`;
      return e.client.info().then(() => undefined, (err: Error) => `${a}: ${err.message}`);
    }));
    const bad = readings.filter((r): r is string => r !== undefined);
    if (bad.length) return { ok: false, message: `${bad.length} of ${addresses.length} docker engines unreachable: ${bad.join('; ')}` };
    return { ok: true, message: `${addresses.length} docker engine${addresses.length === 1 ? '' : 's'} reachable` };
  }

  async observe(ctx: DriverContext): Promise<Observation> {
    const targets = [...(await this.targets(ctx, true)).values()];
    const addresses = [...new Set(targets.map((t) => t.address))].sort();
    const readings = await Promise.all(addresses.map((a) => {
      const e = this.engine(a);
      return readEngine(a, 'error' in e ? e : e.client, { usage: Boolean(ctx.usage), concurrency: 'error' in e || e.client.endpoint.kind !== 'ssh' ? STATS_CONCURRENCY : this.opts.concurrency });
    }));
    const { nodes, instances, warnings } = assemble(targets, readings);
    const problems = this.opts.problems.map((p) => `driver ${this.name}: ${p}`);
    return { nodes, instances, scalingHistory: await this.store.scalingHistory(), warnings: [...problems, ...warnings] };
  }

  async apply(action: PlanAction, ctx: ApplyContext): Promise<void> {
    if (action.type === 'place' || action.type === 'move') this.throughput.begin();
    switch (action.type) {
      case 'place': return this.place(action, ctx);
      case 'move': return this.move(action, ctx);
      case 'evict':
      case 'remove': {
        const t = (await this.targetsFor(ctx, action.node)).get(action.node);
        if (!t) return; // a node that is not ours holds nothing of ours: nothing to remove
        await this.onEngine(action, t, (c) => stopAndRemove(c, action.instance, action.node, this.opts.stopGracePeriod));
        return;
      }
      case 'scalePool':
        throw new DriverError(this.name, `pool ${action.pool}`, describeAction(action), 'the docker driver cannot add or remove nodes', 'list the engines in Pool.spec.nodes (a static pool), or give the pool a provisioner that can scale');
      case 'scaleAgent':
        await this.store.appendScaling({ target: { kind: 'Agent', name: action.agent }, at: ctx.now, from: action.from, to: action.to, planId: ctx.planId, reason: action.reason });
        return;
    }
  }

  private async place(a: PlaceAction, ctx: ApplyContext): Promise<void> {
    const t = this.target(a, a.node, ctx, await this.targetsFor(ctx, a.node));
    const spec = this.spec(a.instance, a.agent, t, ctx, a.requests, a.gpuDevices);
    const config = this.config(a, spec, t, ctx);
    await this.onEngine(a, t, async (c) => {
      const r = await ensureRunning(c, a.instance, a.node, config);
      if (r.started) this.throughput.record(t.address);
    });
  }

  private async move(a: MoveAction, ctx: ApplyContext): Promise<void> {
    const targets = await this.targetsFor(ctx, a.toNode, a.fromNode);
    const to = this.target(a, a.toNode, ctx, targets);
    const from = targets.get(a.fromNode);
    // The requests travel with the instance (its old labels); the Agent's are the fallback.
    let requests: ResourceList | undefined;
    if (from) {
      const e = this.engine(from.address);
      if (!('error' in e)) {
        const old = await e.client.list([`${LABEL.instance}=${a.instance}`]).catch(() => []);
        const mine = old.find((x) => x.Labels[LABEL.node] === a.fromNode);
        const was = mine ? instanceFromLabels(mine.Labels, a.fromNode) : undefined;
        // An instance moved because its agent's template changed takes the agent's current requests.
        const doc = this.agentDoc(a.agent, ctx);
        if (was && !(was.template && doc && was.template !== templateDigest(doc))) requests = was.requests;
      }
    }
    const agent = this.agentDoc(a.agent, ctx);
    const spec = this.spec(a.instance, a.agent, to, ctx, requests && Object.keys(requests).length ? requests : (agent?.spec.resources.requests ?? {}), a.gpuDevices);
    const config = this.config(a, spec, to, ctx);
    // Make before break: the old container goes only once the new one runs.
    const ensured = await this.onEngine(a, to, async (c) => {
      const r = await ensureRunning(c, a.instance, a.toNode, config);
      if (r.started) this.throughput.record(to.address);
      try {
        await waitRunning(c, r.id, this.opts.startTimeout);
      } catch (e) {
        // A new copy that never came up must not outlive the failure: the old one stays the only one.
        await stopAndRemove(c, a.instance, a.toNode, 0).catch(() => undefined);
        throw e;
      }
      return r;
    });
    if (from) await this.onEngine(a, from, (c) => stopAndRemove(c, a.instance, a.fromNode, this.opts.stopGracePeriod));
    await this.onEngine(a, to, (c) => restoreName(c, ensured, a.instance));
  }

  private target(a: PlanAction, node: string, ctx: ApplyContext, targets: Map<string, NodeTarget>): NodeTarget {
    const t = targets.get(node);
    if (!t) throw new DriverError(this.name, node, describeAction(a), `node ${node} is not a node of the pools this driver serves (${ctx.pools.map((p) => p.metadata.name).join(', ') || 'none'})`, 'plan again: the policy changed since the plan was made');
    return t;
  }

  private agentDoc(agent: string, ctx: ApplyContext): AgentDoc | undefined {
    return ctx.policy.agents.find((x) => x.metadata.name === agent);
  }

  private spec(instance: string, agent: string, t: NodeTarget, ctx: ApplyContext, requests: ResourceList, gpuDevices?: number[]): InstanceSpec {
    const s: InstanceSpec = { instance, agent, pool: t.node.pool, node: t.node.name, planId: ctx.planId, requests, startedAt: ctx.now };
    if (gpuDevices?.length) s.gpuDevices = gpuDevices;
    const doc = this.agentDoc(agent, ctx);
    if (doc) s.template = templateDigest(doc);
    if (t.node.capacity.cpuMillis) s.nodeCpuMillis = t.node.capacity.cpuMillis;
    return s;
  }

  private config(a: PlanAction, spec: InstanceSpec, t: NodeTarget, ctx: ApplyContext): Record<string, unknown> {
    const built = containerConfig(spec, this.agentDoc(spec.agent, ctx), this.opts, this.env);
    if (!built.ok) throw new DriverError(this.name, `${t.address} (node ${t.node.name})`, describeAction(a), built.message);
    return built.config;
  }

  /** Run `fn` against a node's engine within its concurrency bound; engine failures become DriverErrors naming host and action. */
  private async onEngine<T>(a: PlanAction, t: NodeTarget, fn: (c: EngineClient) => Promise<T>): Promise<T> {
    const e = this.engine(t.address);
    const where = this.provisioned.has(t.node.pool) ? `the address template of the pool's provisioner ${this.provisioned.get(t.node.pool)!.provisioner} (spec.aws.address)` : 'Pool.spec.nodes or spec.docker.endpoints';
    if ('error' in e) throw new DriverError(this.name, `node ${t.node.name}`, describeAction(a), e.error, `correct the address in ${where}`);
    try {
      return await e.sem.run(() => fn(e.client));
    } catch (err) {
      if (err instanceof DriverError) throw err;
      const unreachable = err instanceof EngineError && err.unreachable;
      const detail = unreachable ? `cannot reach the docker engine: ${(err as Error).message}` : (err as Error).message;
      const hint = unreachable ? `check the engine (docker -H ${t.address} info); once it is back, qm plan and qm apply again converge` : undefined;
      throw new DriverError(this.name, `${t.address} (node ${t.node.name})`, describeAction(a), detail, hint);
    }
  }

  async close(): Promise<void> {
    const summary = this.throughput.summary();
    if (summary) this.log(`driver ${this.name}: ${summary}`);
    for (const e of this.engines.values()) if (!('error' in e)) e.client.close();
    this.engines.clear();
  }
}

/** The registry's factory: a Driver document's `spec.docker`, or the defaults for the built-in `docker` type. */
export function createDockerDriver(name: string, store: HistoryStore, doc?: DriverDoc): DockerDriver {
  return new DockerDriver(name, store, dockerOptions(doc));
}
