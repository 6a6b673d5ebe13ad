/**
 * The simulated fleet: nodes and instances in memory, changed by a plan's actions the way a driver
 * would carry them out — except that a new node becomes ready only `nodeStartup` seconds after it
 * was asked for, and what the plan put on it waits (as a real apply leaves it pending). Scaling is
 * recorded in the scaling history as apply records it, so cooldowns and stabilization see it. Pure.
 */
import type { AgentDoc, PolicySet, ScalingPolicyDoc } from '../model/documents.js';
import type { Plan, PlanAction } from '../model/plan.js';
import type { ObservedInstance, ObservedNode, ObservedState, ScalingEvent } from '../model/state.js';
import { templateDigest } from '../model/digest.js';
import { newNodes } from '../planner/nodes.js';
import { NODE_PROVISION_SECONDS } from '../autoscaler/types.js';

export interface ApplyCounts {
  scaleActions: number;
  moves: number;
  evictions: number;
  /** Per agent: placements that wait for a node still booting (or whose prerequisite did not happen). */
  waiting: Map<string, number>;
}

const iso = (t: number) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** How long a scaling event can matter: the longest cooldown of any policy, or the provisioning time of a scale-up. */
export function historyHorizon(policies: readonly ScalingPolicyDoc[]): number {
  let h = NODE_PROVISION_SECONDS;
  for (const p of policies) h = Math.max(h, p.spec.behavior.scaleUp.cooldown, p.spec.behavior.scaleDown.cooldown);
  return h;
}

export class SimFleet {
  private readonly nodes = new Map<string, ObservedNode>();
  /** Node name → unix second it becomes ready. */
  private readonly readyAt = new Map<string, number>();
  private readonly instances = new Map<string, ObservedInstance>();
  private history: ScalingEvent[];
  private readonly agents: Map<string, AgentDoc>;
  private readonly templates = new Map<string, string>();
  private readonly horizon: number;

  constructor(
    private readonly policy: PolicySet,
    start: ObservedState,
    private readonly nodeStartup: number,
  ) {
    for (const n of start.nodes) this.nodes.set(n.name, { ...n });
    // A duplicate (one instance seen on two nodes) keeps its first copy, as the scheduler does.
    for (const i of start.instances) if (!this.instances.has(i.name)) this.instances.set(i.name, { ...i });
    this.history = start.scalingHistory.map((e) => ({ ...e, target: { ...e.target } }));
    this.agents = new Map(policy.agents.map((a) => [a.metadata.name, a]));
    this.horizon = historyHorizon(policy.scalingPolicies);
  }

  /** Nodes whose startup is over become ready at `t`; scaling history that can no longer matter is dropped. */
  advance(t: number): void {
    for (const [name, at] of this.readyAt) {
      if (at > t) continue;
      const n = this.nodes.get(name);
      if (n) n.ready = true;
      this.readyAt.delete(name);
    }
    this.pruneHistory(t);
  }

  /**
   * Keep the events inside the horizon, plus each target's latest event and latest scale-up (the
   * autoscaler reads an agent's last decided count from it): the history stays bounded, so a step
   * costs the same late in a long run as early on.
   */
  private pruneHistory(t: number): void {
    const keep = new Set<ScalingEvent>();
    const last = new Map<string, ScalingEvent>();
    const lastUp = new Map<string, ScalingEvent>();
    for (const e of this.history) {
      const k = `${e.target.kind}/${e.target.name}`;
      const at = Date.parse(e.at) / 1000;
      if (at >= t - this.horizon) keep.add(e);
      if (!last.has(k) || Date.parse(last.get(k)!.at) <= at * 1000) last.set(k, e);
      if (e.to > e.from && (!lastUp.has(k) || Date.parse(lastUp.get(k)!.at) <= at * 1000)) lastUp.set(k, e);
    }
    for (const e of [...last.values(), ...lastUp.values()]) keep.add(e);
    if (keep.size < this.history.length) this.history = this.history.filter((e) => keep.has(e));
  }

  /** What a driver would observe now: sorted by name, as observeFleet returns it. */
  observed(): ObservedState {
    return {
      nodes: [...this.nodes.values()].sort(byName).map((n) => ({ ...n })),
      instances: [...this.instances.values()].sort(byName),
      scalingHistory: [...this.history],
    };
  }

  nodeList(): readonly ObservedNode[] {
    return [...this.nodes.values()];
  }

  instanceList(): readonly ObservedInstance[] {
    return [...this.instances.values()];
  }

  private template(agent: AgentDoc): string {
    let d = this.templates.get(agent.metadata.name);
    if (d === undefined) this.templates.set(agent.metadata.name, (d = templateDigest(agent)));
    return d;
  }

  /** Carry out the plan's actions in order at unix time `t`; an action whose prerequisite did not happen waits, as apply leaves it pending. */
  apply(plan: Plan, t: number): ApplyCounts {
    const counts: ApplyCounts = { scaleActions: 0, moves: 0, evictions: 0, waiting: new Map() };
    const undone = new Set<string>();
    const at = iso(t);
    for (const a of plan.actions) {
      const ok = !(a.dependsOn ?? []).some((d) => undone.has(d)) && this.one(a, t, at, counts);
      if (ok) continue;
      undone.add(a.id);
      if (a.type === 'place') counts.waiting.set(a.agent, (counts.waiting.get(a.agent) ?? 0) + 1);
    }
    return counts;
  }

  private ready(node: string): boolean {
    return this.nodes.get(node)?.ready === true;
  }

  /** One action; false when it cannot happen yet (its node is booting or gone). */
  private one(a: PlanAction, t: number, at: string, counts: ApplyCounts): boolean {
    switch (a.type) {
      case 'place': {
        if (!this.ready(a.node)) return false;
        const agent = this.agents.get(a.agent);
        const placed: ObservedInstance = { name: a.instance, agent: a.agent, node: a.node, requests: { ...a.requests }, startedAt: at };
        if (agent) placed.template = this.template(agent);
        if (a.gpuDevices) placed.gpuDevices = [...a.gpuDevices];
        this.instances.set(a.instance, placed);
        return true;
      }
      case 'move': {
        const i = this.instances.get(a.instance);
        if (!i || !this.ready(a.toNode)) return false;
        const agent = this.agents.get(a.agent);
        const moved: ObservedInstance = { ...i, node: a.toNode, startedAt: at };
        if (agent) {
          if (moved.template !== undefined && moved.template !== this.template(agent)) moved.requests = { ...agent.spec.resources.requests };
          moved.template = this.template(agent);
        }
        delete moved.gpuDevices;
        if (a.gpuDevices) moved.gpuDevices = [...a.gpuDevices];
        this.instances.set(a.instance, moved);
        counts.moves++;
        return true;
      }
      case 'evict':
      case 'remove': {
        const i = this.instances.get(a.instance);
        if (i && i.node === a.node) this.instances.delete(a.instance);
        if (a.type === 'evict') counts.evictions++;
        return true;
      }
      case 'scalePool': {
        const pool = this.policy.pools.find((p) => p.metadata.name === a.pool);
        if (!pool) return false;
        // A node still running instances cannot go (the driver refuses): the scale-down waits.
        const busy = new Set([...this.instances.values()].map((i) => i.node));
        if (a.removeNodes.some((n) => busy.has(n))) return false;
        const existing = [...this.nodes.values()].filter((n) => n.pool === a.pool);
        const shapes = newNodes(pool, existing, a.addNodes.length);
        a.addNodes.forEach((name, k) => {
          if (this.nodes.has(name)) return;
          this.nodes.set(name, { ...shapes[k]!, name, ready: this.nodeStartup <= 0 });
          if (this.nodeStartup > 0) this.readyAt.set(name, t + this.nodeStartup);
        });
        for (const name of a.removeNodes) {
          this.nodes.delete(name);
          this.readyAt.delete(name);
        }
        this.history.push({ target: { kind: 'Pool', name: a.pool }, at, from: a.from, to: a.to });
        counts.scaleActions++;
        return true;
      }
      case 'scaleAgent':
        this.history.push({ target: { kind: 'Agent', name: a.agent }, at, from: a.from, to: a.to });
        counts.scaleActions++;
        return true;
    }
  }
}
