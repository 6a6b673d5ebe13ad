/** How renderers group a plan's actions: into apply phases (text) and by pool (markdown details). */
import type { Plan, PlanAction, PoolSummary } from './types.js';

/** A run of consecutive actions of one kind, in apply order. */
export interface Phase {
  label: string;
  actions: PlanAction[];
}

/** The phase an action belongs to: "Scale up pools", "Place", "Move", "Evict", "Remove", "Scale agents", "Scale down pools". */
export function phaseLabel(a: PlanAction): string {
  switch (a.type) {
    case 'scalePool': return a.to >= a.from ? 'Scale up pools' : 'Scale down pools';
    case 'place': return 'Place';
    case 'move': return 'Move';
    case 'evict': return 'Evict';
    case 'remove': return 'Remove';
    case 'scaleAgent': return 'Scale agents';
  }
}

/** Consecutive actions with the same phase label, keeping the plan's (apply) order. */
export function phases(actions: readonly PlanAction[]): Phase[] {
  const out: Phase[] = [];
  for (const a of actions) {
    const label = phaseLabel(a);
    const last = out[out.length - 1];
    if (last && last.label === label) last.actions.push(a);
    else out.push({ label, actions: [a] });
  }
  return out;
}

/** The actions of one pool (or of agents, or of nodes of no known pool), with the pool's summary. */
export interface PoolGroup {
  kind: 'pool' | 'agents' | 'unknown';
  name: string;
  pool: PoolSummary | undefined;
  actions: PlanAction[];
}

/**
 * The pool of every node the plan names. The plan JSON says it for placements and scaled pools;
 * for other nodes the pool is the longest pool name the node is named after (`<pool>-<n>`).
 */
export function nodePools(plan: Plan): (node: string) => string | undefined {
  const known = new Map<string, string>();
  for (const a of plan.actions) {
    if (a.type === 'place') known.set(a.node, a.pool);
    if (a.type === 'scalePool') for (const n of [...(a.addNodes ?? []), ...(a.removeNodes ?? [])]) known.set(n, a.pool);
  }
  const names = new Set<string>((plan.pools ?? []).map((p) => p.name));
  for (const p of known.values()) names.add(p);
  const byLength = [...names].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  return (node) => known.get(node) ?? byLength.find((p) => node.startsWith(`${p}-`));
}

/** The pool an action belongs to; a move counts for the pool it moves to. */
export function actionPool(a: PlanAction, poolOf: (node: string) => string | undefined): string | undefined {
  switch (a.type) {
    case 'scalePool':
    case 'place': return a.pool;
    case 'move': return poolOf(a.toNode) ?? poolOf(a.fromNode);
    case 'evict':
    case 'remove': return poolOf(a.node);
    case 'scaleAgent': return undefined;
  }
}

/** Groups in a stable order: the plan's pools, then pools only actions name, then unknown nodes, then agent scaling. */
export function groupByPool(plan: Plan): PoolGroup[] {
  const poolOf = nodePools(plan);
  const groups = new Map<string, PoolGroup>();
  for (const p of plan.pools ?? []) if (!groups.has(p.name)) groups.set(p.name, { kind: 'pool', name: p.name, pool: p, actions: [] });
  const unknown: PoolGroup = { kind: 'unknown', name: 'Nodes of no known pool', pool: undefined, actions: [] };
  const agents: PoolGroup = { kind: 'agents', name: 'Agent replicas', pool: undefined, actions: [] };
  for (const a of plan.actions) {
    if (a.type === 'scaleAgent') {
      agents.actions.push(a);
      continue;
    }
    const name = actionPool(a, poolOf);
    if (name === undefined) {
      unknown.actions.push(a);
      continue;
    }
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { kind: 'pool', name, pool: undefined, actions: [] }));
    g.actions.push(a);
  }
  return [...groups.values(), ...[unknown, agents].filter((g) => g.actions.length > 0)];
}
