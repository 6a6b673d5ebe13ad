/**
 * What a pull request changes compared with its base branch: the difference between the plan main
 * would make and the plan the merged policy would make, against the same observed state. Pure.
 */
import type { Plan, PlanAction, PlanBlocked } from '../model/plan.js';

export interface PoolCountChange {
  pool: string;
  /** Planned node count on the base branch (undefined: the pool does not exist there). */
  base: number | undefined;
  /** Planned node count with the pull request (undefined: the pool is removed). */
  head: number | undefined;
  /** Cost per hour of the difference, when the pool's node cost is known. */
  costPerHourDelta: number | undefined;
}

export interface BlockedGroup {
  /** "quota ml-team", "InsufficientResource(gpu)", "NoPoolCanFit", … (see blockedCause) */
  cause: string;
  instances: string[];
}

export interface PlanDiff {
  /** Actions only in the pull request's plan (keyed by what they act on and where). */
  added: PlanAction[];
  /** Actions the base branch's plan has that the pull request's plan no longer has. */
  dropped: PlanAction[];
  /**
   * Placements both plans make, of the same instance on different nodes (a knock-on effect of
   * the change, not a change itself): listed apart so "adds 3 placements" means 3 new instances.
   */
  replaced: { instance: string; baseNode: string; headNode: string }[];
  pools: PoolCountChange[];
  /** Instances blocked with the pull request but not on the base branch, grouped by cause. */
  newlyBlocked: BlockedGroup[];
  /** Instances blocked on the base branch that the pull request unblocks. */
  unblocked: string[];
  /** Pools the difference touches: what a pull request locks. */
  touchedPools: string[];
  /** Net change of the hourly cost of planned nodes, when known. */
  costPerHourDelta: number;
}

/** Options: node cost per pool (from the policies), to price node-count changes. */
export interface DiffOptions {
  costPerHour?: Readonly<Record<string, number>>;
}

/** A stable identity for an action: same key and same key fields means "the same action". */
export function actionKey(a: PlanAction): string {
  switch (a.type) {
    case 'place': return `place/${a.instance}@${a.node}`;
    case 'move': return `move/${a.instance}@${a.fromNode}>${a.toNode}`;
    case 'evict': return `evict/${a.instance}@${a.node}`;
    case 'remove': return `remove/${a.instance}@${a.node}`;
    case 'scalePool': return `scalePool/${a.pool}:${a.from}>${a.to}`;
    case 'scaleAgent': return `scaleAgent/${a.agent}:${a.from}>${a.to}`;
  }
}

/** The pool an action touches, given the pools of nodes (scale-up nodes included). */
function actionPool(a: PlanAction, poolOf: (node: string) => string | undefined): string | undefined {
  switch (a.type) {
    case 'place':
    case 'scalePool': return a.pool;
    case 'move': return poolOf(a.toNode);
    case 'evict':
    case 'remove': return poolOf(a.node);
    case 'scaleAgent': return undefined;
  }
}

function nodePools(...plans: Plan[]): (node: string) => string | undefined {
  const m = new Map<string, string>();
  for (const p of plans) {
    for (const a of p.actions) {
      if (a.type === 'place') m.set(a.node, a.pool);
      if (a.type === 'scalePool') for (const n of [...a.addNodes, ...a.removeNodes]) m.set(n, a.pool);
    }
  }
  // Nodes named <pool>-<i> (the sim driver's convention) when nothing else says.
  const pools = new Set(plans.flatMap((p) => p.pools.map((x) => x.name)));
  return (node) => m.get(node) ?? [...pools].find((pool) => node.startsWith(`${pool}-`) && /^\d+$/.test(node.slice(pool.length + 1)));
}

/**
 * Codes that say a node is ruled out by the agent's placement rules (it may not use the node at
 * all), not why the instance does not fit the nodes it may use.
 */
const RULED_OUT = new Set(['NodeAffinityMismatch', 'NodeSelectorMismatch', 'PoolAccessDenied', 'UntoleratedTaint']);

/**
 * The per-node counts of a kube-scheduler style summary, most frequent first as written:
 * "0/12 nodes fit: 8 InsufficientResource(gpu), 4 UntoleratedTaint(dedicated=ml)" →
 * [{count: 8, key: "InsufficientResource(gpu)", code: "InsufficientResource"}, …].
 */
export function summaryCounts(summary: string): { count: number; key: string; code: string }[] {
  const m = /^\d+\/\d+ nodes fit: ([^;]*)/.exec(summary);
  if (!m) return [];
  return [...m[1]!.matchAll(/(?:^|, )(\d+) ([A-Za-z]+)(\([^()]*\))?/g)].map((x) => ({ count: Number(x[1]), key: `${x[2]}${x[3] ?? ''}`, code: x[2]! }));
}

/**
 * What blocks an instance, for grouping: "quota ml-team" for a quota; else the reason on the nodes
 * its placement rules allow ("InsufficientResource(example.com/coral-tpu)" when 11 of 12 nodes are
 * in other pools and the one it may use is full), the most frequent there; only when the rules
 * allow no node at all, the rule that excludes most. `reasons` lists codes by node count, so its
 * first entry is usually the rule that excludes the other pools, not the cause.
 */
export function blockedCause(b: PlanBlocked): string {
  const quota = b.reasons.filter((r) => r.code === 'QuotaExceeded' || /QuotaExceeded\(/.test(r.message));
  if (quota.length > 0) {
    for (const r of quota) {
      const name = /(?:^|\s)quota ([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\b/.exec(r.message)?.[1] ?? /QuotaExceeded\(([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)[:)]/.exec(r.message)?.[1];
      if (name) return `quota ${name}`;
    }
    return 'quota';
  }
  const counts = summaryCounts(b.summary ?? b.reasons[0]?.message ?? '');
  const fits = counts.filter((c) => !RULED_OUT.has(c.code));
  // Stable sort: among equal counts the summary's order (which sorts by key) stands.
  const best = [...(fits.length > 0 ? fits : counts)].sort((x, y) => y.count - x.count)[0];
  if (best) return best.key;
  return (b.reasons.find((r) => !RULED_OUT.has(r.code)) ?? b.reasons[0])?.code ?? 'unknown reason';
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Compare the base branch's plan with the pull request's plan. */
export function diffPlans(base: Plan, head: Plan, opts: DiffOptions = {}): PlanDiff {
  const baseKeys = new Set(base.actions.map(actionKey));
  const headKeys = new Set(head.actions.map(actionKey));
  const basePlaced = new Map(base.actions.filter((a) => a.type === 'place').map((a) => [a.instance, a] as const));
  const headPlaced = new Map(head.actions.filter((a) => a.type === 'place').map((a) => [a.instance, a] as const));
  const replaced: PlanDiff['replaced'] = [];
  for (const [instance, h] of headPlaced) {
    const b = basePlaced.get(instance);
    if (b && b.node !== h.node) replaced.push({ instance, baseNode: b.node, headNode: h.node });
  }
  const isReplaced = new Set(replaced.map((r) => r.instance));
  const added = head.actions.filter((a) => !baseKeys.has(actionKey(a)) && !(a.type === 'place' && isReplaced.has(a.instance)));
  const dropped = base.actions.filter((a) => !headKeys.has(actionKey(a)) && !(a.type === 'place' && isReplaced.has(a.instance)));

  const costs = opts.costPerHour ?? {};
  const basePools = new Map(base.pools.map((p) => [p.name, p.nodes.planned]));
  const headPools = new Map(head.pools.map((p) => [p.name, p.nodes.planned]));
  const pools: PoolCountChange[] = [];
  for (const name of [...new Set([...basePools.keys(), ...headPools.keys()])].sort(byName)) {
    const b = basePools.get(name);
    const h = headPools.get(name);
    if (b === h) continue;
    const cost = costs[name];
    pools.push({ pool: name, base: b, head: h, costPerHourDelta: cost === undefined ? undefined : round2(((h ?? 0) - (b ?? 0)) * cost) });
  }

  const baseBlocked = new Set(base.blocked.map((b) => b.instance));
  const headBlocked = new Set(head.blocked.map((b) => b.instance));
  const groups = new Map<string, string[]>();
  for (const b of head.blocked) {
    if (baseBlocked.has(b.instance)) continue;
    const cause = blockedCause(b);
    groups.set(cause, [...(groups.get(cause) ?? []), b.instance]);
  }
  const newlyBlocked = [...groups].map(([cause, instances]) => ({ cause, instances })).sort((x, y) => byName(x.cause, y.cause));
  const unblocked = base.blocked.filter((b) => !headBlocked.has(b.instance)).map((b) => b.instance);

  const poolOf = nodePools(base, head);
  const touched = new Set<string>(pools.map((p) => p.pool));
  for (const a of [...added, ...dropped]) {
    const p = actionPool(a, poolOf);
    if (p !== undefined) touched.add(p);
  }
  for (const r of replaced) for (const n of [r.baseNode, r.headNode]) {
    const p = poolOf(n);
    if (p !== undefined) touched.add(p);
  }
  const costPerHourDelta = round2(pools.reduce((s, p) => s + (p.costPerHourDelta ?? 0), 0));
  return { added, dropped, replaced, pools, newlyBlocked, unblocked, touchedPools: [...touched].sort(byName), costPerHourDelta };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** "+6.40/h", "−3.20/h". */
export function costText(delta: number): string {
  return `${delta >= 0 ? '+' : '−'}${Math.abs(delta).toFixed(2)}/h`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const NOUNS: Record<Exclude<PlanAction['type'], 'scalePool'>, string> = {
  place: 'placement',
  move: 'move',
  evict: 'eviction',
  remove: 'removal',
  scaleAgent: 'replica change',
};

/**
 * The difference in words, one phrase per kind of change, `base` naming the base branch:
 * ["adds 3 placements", "scales gpu-east 4 → 6 (+6.40/h)", "blocks 2 instances on quota ml-team"].
 */
export function describeDiff(d: PlanDiff, base: string): string[] {
  const out: string[] = [];
  const count = (xs: PlanAction[], t: PlanAction['type']) => xs.filter((a) => a.type === t).length;
  for (const t of ['place', 'move', 'evict', 'remove', 'scaleAgent'] as const) {
    const n = count(d.added, t);
    const m = count(d.dropped, t);
    const noun = NOUNS[t];
    if (n > 0) out.push(`adds ${plural(n, noun)}`);
    if (m > 0) out.push(`drops ${plural(m, noun)} ${base} would make`);
    if (t === 'place' && d.replaced.length > 0) out.push(`places ${plural(d.replaced.length, 'instance')} on other nodes than ${base} would`);
  }
  for (const p of d.pools) {
    const cost = p.costPerHourDelta === undefined || p.costPerHourDelta === 0 ? '' : ` (${costText(p.costPerHourDelta)})`;
    if (p.base === undefined) out.push(`adds pool ${p.pool} with ${plural(p.head ?? 0, 'node')}${cost}`);
    else if (p.head === undefined) out.push(`removes pool ${p.pool} (${plural(p.base, 'node')})${cost}`);
    else out.push(`scales ${p.pool} ${p.base} → ${p.head}${cost}`);
  }
  for (const g of d.newlyBlocked) out.push(`blocks ${plural(g.instances.length, 'instance')} on ${g.cause}`);
  if (d.unblocked.length > 0) out.push(`unblocks ${plural(d.unblocked.length, 'instance')}`);
  return out;
}

/** One sentence for the check run's title; `base` is the base branch's name. */
export function diffSentence(d: PlanDiff, base: string): string {
  const phrases = describeDiff(d, base);
  return phrases.length === 0 ? `no difference from ${base}: merging changes nothing in the plan` : phrases.join(', ');
}
