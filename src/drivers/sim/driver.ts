/**
 * The built-in simulated driver: a cluster kept in the state store. A pool it has not seen starts
 * with size.initial nodes (or its static nodes); actions change the stored cluster transactionally.
 */
import type { AgentDoc, PolicySet, PoolDoc } from '../../model/documents.js';
import type { PlanAction } from '../../model/plan.js';
import type { ObservedInstance, ObservedNode } from '../../model/state.js';
import { templateDigest } from '../../model/digest.js';
import { initialNodes, newNodes } from '../../planner/nodes.js';
import type { ApplyContext, Driver, DriverContext, Health, Observation } from '../contract.js';
import { actionHost, DriverError, describeAction } from '../contract.js';
import type { SimOp, SimStore } from './store.js';
import { parseSimUsage, withSimUsage } from './usage.js';
import type { SimUsage } from './usage.js';

export interface SimOptions {
  /** Actions that fail on purpose, for tests and demos: "place:chat-3", "scalePool:gpu" (env QM_SIM_FAIL, comma-separated). */
  failActions?: string[];
  /** Behave as if the infrastructure were unreachable (env QM_SIM_UNAVAILABLE). */
  unavailable?: boolean;
  /** Milliseconds each action takes, to watch progress or interrupt an apply (env QM_SIM_DELAY_MS). */
  delayMs?: number;
  /** Simulated real use per agent, in percent of requests (env QM_SIM_USAGE); see usage.ts. */
  usage?: SimUsage;
}

export class SimDriver implements Driver {
  readonly type = 'sim' as const;
  readonly capabilities = { scaleNodes: true, placeOnNode: true };

  constructor(
    readonly name: string,
    private readonly store: SimStore,
    private readonly opts: SimOptions = {},
  ) {}

  /** A simulated outage, for tests and demos of what happens when a driver is down (env QM_SIM_UNAVAILABLE). */
  private get down(): boolean {
    return Boolean(this.opts.unavailable ?? process.env.QM_SIM_UNAVAILABLE);
  }

  async health(): Promise<Health> {
    return this.down ? { ok: false, message: 'simulated outage (QM_SIM_UNAVAILABLE)' } : { ok: true, message: 'simulated cluster in the state store' };
  }

  /**
   * The stored cluster, read once per driver instance and kept in step with this driver's own
   * writes: an apply holds the state store's lock, so nobody else writes meanwhile, and re-reading
   * 10,000 instances for every action would make apply quadratic.
   */
  private cache: { nodes: Map<string, ObservedNode>; instances: Map<string, ObservedInstance>; pools: Set<string> } | undefined;

  private async cluster(): Promise<NonNullable<SimDriver['cache']>> {
    if (!this.cache) {
      const c = await this.store.simGet(this.name);
      this.cache = { nodes: new Map(c.nodes.map((n) => [n.name, n])), instances: new Map(c.instances.map((i) => [i.name, i])), pools: new Set(c.pools) };
    }
    return this.cache;
  }

  private async write(ops: SimOp[]): Promise<void> {
    await this.store.simApply(this.name, ops);
    const c = await this.cluster();
    for (const op of ops) {
      if (op.op === 'putNode') c.nodes.set(op.node.name, op.node);
      else if (op.op === 'deleteNode') c.nodes.delete(op.name);
      else if (op.op === 'putInstance') c.instances.set(op.instance.name, op.instance);
      else if (op.op === 'deleteInstance') c.instances.delete(op.name);
      else c.pools.add(op.pool);
    }
  }

  async observe(ctx: DriverContext): Promise<Observation> {
    if (this.down) throw new DriverError(this.name, 'the simulated cluster', 'observe', 'simulated outage (QM_SIM_UNAVAILABLE)');
    this.cache = undefined;
    const cluster = await this.cluster();
    const served = new Set(ctx.pools.map((p) => p.metadata.name));
    const known = cluster.pools;
    const nodes: ObservedNode[] = [...cluster.nodes.values()].filter((n) => served.has(n.pool));
    for (const pool of ctx.pools) if (!known.has(pool.metadata.name)) nodes.push(...initialNodes(pool));
    const nodeNames = new Set(nodes.map((n) => n.name));
    let instances = [...cluster.instances.values()].filter((i) => nodeNames.has(i.node));
    if (ctx.usage) {
      const settings = this.opts.usage ?? parseSimUsage(process.env.QM_SIM_USAGE);
      instances = instances.map((i) => withSimUsage(i, settings, ctx.now));
    }
    const history = await this.store.scalingHistory();
    return { nodes, instances, scalingHistory: history, warnings: [] };
  }

  /** Materialise pools the store has not seen yet, so the next observation agrees with the last plan. */
  private materialise(pools: readonly PoolDoc[], known: Set<string>): SimOp[] {
    const ops: SimOp[] = [];
    for (const pool of pools) {
      if (known.has(pool.metadata.name)) continue;
      ops.push({ op: 'addPool', pool: pool.metadata.name });
      for (const node of initialNodes(pool)) ops.push({ op: 'putNode', node });
    }
    return ops;
  }

  async apply(action: PlanAction, ctx: ApplyContext): Promise<void> {
    const key = `${action.type}:${'instance' in action ? action.instance : 'pool' in action ? action.pool : action.agent}`;
    const failList = this.opts.failActions ?? (process.env.QM_SIM_FAIL ?? '').split(',').filter(Boolean);
    if (failList.includes(key)) throw new DriverError(this.name, actionHost(action), describeAction(action), 'injected failure (QM_SIM_FAIL)');
    const delay = this.opts.delayMs ?? Number(process.env.QM_SIM_DELAY_MS ?? 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const cluster = await this.cluster();
    const ops = this.materialise(ctx.pools, cluster.pools);
    const fresh = ops.filter((o): o is Extract<SimOp, { op: 'putNode' }> => o.op === 'putNode').map((o) => o.node);
    const nodes = fresh.length ? new Map([...cluster.nodes, ...fresh.map((n) => [n.name, n] as const)]) : cluster.nodes;
    const instance = 'instance' in action ? cluster.instances.get(action.instance) : undefined;
    const fail = (detail: string): never => {
      throw new DriverError(this.name, actionHost(action), describeAction(action), detail);
    };
    switch (action.type) {
      case 'place': {
        if (!nodes.has(action.node)) fail(`node ${action.node} does not exist`);
        if (instance && instance.node !== action.node) fail(`${action.instance} already runs on ${instance.node}`);
        const agent = agentOf(ctx.policy, action.agent);
        // Placed again on the node it runs on (a recreate after its agent's template changed): it starts anew.
        const fresh = !instance || (agent !== undefined && instance.template !== undefined && instance.template !== templateDigest(agent));
        const placed: ObservedInstance = { name: action.instance, agent: action.agent, node: action.node, requests: { ...action.requests }, startedAt: fresh ? ctx.now : (instance.startedAt ?? ctx.now) };
        if (agent) placed.template = templateDigest(agent);
        ops.push({ op: 'putInstance', instance: action.gpuDevices ? { ...placed, gpuDevices: [...action.gpuDevices] } : placed });
        break;
      }
      case 'move': {
        if (!nodes.has(action.toNode)) fail(`node ${action.toNode} does not exist`);
        if (!instance) fail(`${action.instance} is not running`);
        const moved = { ...instance!, node: action.toNode, startedAt: ctx.now };
        const movedAgent = agentOf(ctx.policy, action.agent);
        if (movedAgent) {
          // Moved because its agent's template changed: it takes the agent's current requests.
          if (moved.template !== undefined && moved.template !== templateDigest(movedAgent)) moved.requests = { ...movedAgent.spec.resources.requests };
          moved.template = templateDigest(movedAgent);
        }
        delete moved.gpuDevices;
        ops.push({ op: 'putInstance', instance: action.gpuDevices ? { ...moved, gpuDevices: [...action.gpuDevices] } : moved });
        break;
      }
      case 'evict':
      case 'remove':
        if (instance) ops.push({ op: 'deleteInstance', name: action.instance });
        break;
      case 'scalePool': {
        const pool = ctx.policy.pools.find((p) => p.metadata.name === action.pool) ?? fail(`pool ${action.pool} is not in the policy`);
        const existing = [...nodes.values()].filter((n) => n.pool === action.pool);
        const existingNames = new Set(existing.map((n) => n.name));
        const planned = newNodes(pool, existing, action.addNodes.length);
        // The plan named the nodes; keep its names, take zones and shape from the pool.
        action.addNodes.forEach((name, i) => {
          if (!existingNames.has(name)) ops.push({ op: 'putNode', node: { ...planned[i]!, name } });
        });
        for (const name of action.removeNodes) {
          if ([...cluster.instances.values()].some((i) => i.node === name)) fail(`node ${name} still runs instances`);
          if (nodes.has(name)) ops.push({ op: 'deleteNode', name });
        }
        await this.store.appendScaling({ target: { kind: 'Pool', name: action.pool }, at: ctx.now, from: action.from, to: action.to, planId: ctx.planId, reason: action.reason });
        break;
      }
      case 'scaleAgent':
        await this.store.appendScaling({ target: { kind: 'Agent', name: action.agent }, at: ctx.now, from: action.from, to: action.to, planId: ctx.planId, reason: action.reason });
        break;
    }
    if (ops.length) await this.write(ops);
  }

  async close(): Promise<void> {}
}


const agentsByName = new WeakMap<PolicySet, Map<string, AgentDoc>>();

/** An agent of the policy by name, without a scan per action. */
function agentOf(policy: PolicySet, name: string): AgentDoc | undefined {
  let m = agentsByName.get(policy);
  if (!m) agentsByName.set(policy, (m = new Map(policy.agents.map((a) => [a.metadata.name, a]))));
  return m.get(name);
}
