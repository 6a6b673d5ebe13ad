/**
 * The autoscaler inside planning: agent replicas first (they change what must be placed), then
 * pool node counts from the placement simulations, then the node changes themselves. Pools
 * without a ScalingPolicy are only brought within their size bounds. Pure.
 */
import { anomalyBudgetWarning, anomalyState, autoscale, sortAnomalies } from '../autoscaler/index.js';
import type { AutoscaleOutput, ForecastFn, MetricData } from '../autoscaler/index.js';
import type { UtilizationData } from '../autoscaler/types.js';
import type { PolicySet, PoolDoc, ScalingPolicyDoc } from '../model/documents.js';
import type { ObservedNode, ObservedState } from '../model/state.js';
import { schedule } from '../scheduler/index.js';
import { newNodes, nodesToRemove } from './nodes.js';
import { poolFacts } from './pool-facts.js';

export interface NodeChange {
  pool: string;
  from: number;
  to: number;
  add: ObservedNode[];
  remove: ObservedNode[];
  reason: string;
}

export interface AgentChange {
  agent: string;
  from: number;
  to: number;
  reason: string;
}

export interface AutoscalePlan {
  /** The policy with every autoscaled Agent's replicas set to the decided count (what the scheduler reads). */
  policy: PolicySet;
  nodeChanges: NodeChange[];
  agentChanges: AgentChange[];
  /** Nodes after the node changes. */
  nodes: ObservedNode[];
  forecasts: AutoscaleOutput['forecasts'];
  warnings: AutoscaleOutput['warnings'];
  /** Metrics outside their forecast's interval, by policy, metric and time. */
  anomalies: AutoscaleOutput['anomalies'];
  /** Every decision, also those that change nothing (for tests and `qm explain`-like tooling). */
  decisions: { pools: AutoscaleOutput['pools']; agents: AutoscaleOutput['agents'] };
}

function instancesPerNode(observed: ObservedState): Map<string, number> {
  const perNode = new Map<string, number>();
  for (const i of observed.instances) perNode.set(i.node, (perNode.get(i.node) ?? 0) + 1);
  return perNode;
}

/** Bring a pool without a ScalingPolicy within its size bounds. */
function clampToBounds(pool: PoolDoc, nodes: readonly ObservedNode[], perNode: ReadonlyMap<string, number>): NodeChange | undefined {
  const { min, max } = pool.spec.size;
  const current = nodes.length;
  const name = pool.metadata.name;
  if (current < min) return { pool: name, from: current, to: min, add: newNodes(pool, nodes, min - current), remove: [], reason: `${current} node${current === 1 ? '' : 's'} is below size.min ${min}` };
  if (current > max) return { pool: name, from: current, to: max, add: [], remove: nodesToRemove(nodes, current - max, perNode), reason: `${current} nodes is above size.max ${max}` };
  return undefined;
}

const withKind = (policy: PolicySet, kind: 'Pool' | 'Agent'): PolicySet => ({ ...policy, scalingPolicies: policy.scalingPolicies.filter((p) => p.spec.target.kind === kind) });

/** Decide agent replicas and pool node counts. */
export function planScaling(input: { policy: PolicySet; observed: ObservedState; now: string; seed?: number; metrics: MetricData; forecast: ForecastFn; utilization?: UtilizationData | undefined; anomalies?: boolean }): AutoscalePlan {
  const { observed } = input;
  const base = { observed, metrics: input.metrics, now: input.now, forecast: input.forecast, anomalies: anomalyState(undefined, input.anomalies !== false) };
  // 1. Agents: their replica counts feed the placement engine.
  const agents = autoscale({ ...base, policy: withKind(input.policy, 'Agent'), ...(input.utilization ? { utilization: input.utilization } : {}) });
  const replicas = new Map(agents.agents.map((d) => [d.agent, d.to]));
  const policy: PolicySet = replicas.size === 0 ? input.policy : { ...input.policy, agents: input.policy.agents.map((a) => (replicas.has(a.metadata.name) ? { ...a, spec: { ...a.spec, replicas: replicas.get(a.metadata.name)! } } : a)) };
  const agentChanges = agents.agents.filter((d) => d.to !== d.from).map((d) => ({ agent: d.agent, from: d.from, to: d.to, reason: d.reason }));

  // 2. Pools without a policy: size bounds only.
  const perNode = instancesPerNode(observed);
  const scaledPools = new Map<string, ScalingPolicyDoc>();
  for (const d of policy.scalingPolicies) if (d.spec.target.kind === 'Pool' && !scaledPools.has(d.spec.target.name)) scaledPools.set(d.spec.target.name, d);
  const changes: NodeChange[] = [];
  for (const pool of policy.pools) {
    if (pool.spec.nodes) continue;
    if (scaledPools.has(pool.metadata.name)) continue;
    const c = clampToBounds(pool, observed.nodes.filter((n) => n.pool === pool.metadata.name), perNode);
    if (c) changes.push(c);
  }
  const drop = (list: readonly NodeChange[]) => new Set(list.flatMap((c) => c.remove.map((n) => n.name)));
  const removedBase = drop(changes);
  const baseNodes = [...observed.nodes.filter((n) => !removedBase.has(n.name)), ...changes.flatMap((c) => c.add)];

  // 3. Pools with a policy: simulate placement, then decide.
  const scaled = policy.pools.filter((p) => !p.spec.nodes && scaledPools.has(p.metadata.name)).map((pool) => ({ pool, doc: scaledPools.get(pool.metadata.name)! }));
  let facts = new Map();
  if (scaled.length) {
    const first = schedule({ policy, nodes: baseNodes, instances: observed.instances, now: input.now, ...(input.seed !== undefined ? { seed: input.seed } : {}) });
    facts = poolFacts({ policy, nodes: baseNodes, instances: observed.instances, now: input.now, ...(input.seed !== undefined ? { seed: input.seed } : {}), first, history: observed.scalingHistory }, scaled);
  }
  const pools = autoscale({ ...base, policy: withKind(policy, 'Pool'), poolFacts: facts });
  for (const d of pools.pools) {
    if (d.to === d.from) continue;
    const pool = policy.pools.find((p) => p.metadata.name === d.pool)!;
    const mine = baseNodes.filter((n) => n.pool === d.pool);
    if (d.to > d.from) {
      changes.push({ pool: d.pool, from: d.from, to: d.to, add: newNodes(pool, mine, d.to - d.from), remove: [], reason: d.reason });
    } else {
      const preferred = (facts.get(d.pool)?.removable ?? []).map((r: { node: string }) => mine.find((n) => n.name === r.node)!).slice(0, d.from - d.to);
      const rest = nodesToRemove(mine.filter((n) => !preferred.includes(n)), d.from - d.to - preferred.length, perNode);
      changes.push({ pool: d.pool, from: d.from, to: d.to, add: [], remove: [...preferred, ...rest], reason: d.reason });
    }
  }
  changes.sort((a, b) => (a.pool < b.pool ? -1 : a.pool > b.pool ? 1 : 0));
  const removed = drop(changes);
  const nodes = [...observed.nodes.filter((n) => !removed.has(n.name)), ...changes.flatMap((c) => c.add)];
  return {
    policy,
    nodeChanges: changes,
    agentChanges,
    nodes,
    forecasts: [...agents.forecasts, ...pools.forecasts].sort((a, b) => (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : 0)),
    warnings: [...agents.warnings, ...pools.warnings, ...[anomalyBudgetWarning(base.anomalies)].filter((w) => w !== undefined)],
    anomalies: sortAnomalies([...agents.anomalies, ...pools.anomalies]),
    decisions: { pools: pools.pools, agents: agents.agents },
  };
}
