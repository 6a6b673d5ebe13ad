/**
 * Runs the plugins for one instance over the nodes. Static filters run once per group of agents
 * with the same static rules, static scores once per agent and node; dynamic ones per instance.
 * When an agent's scores depend only on each node's own state, a score cache (score-cache.ts)
 * gives the best node without scanning; nodes it proposes that fail an inter-instance filter
 * are set aside (for good when the failure can only persist as instances are added).
 */
import { NODE_CONSTRAINT_FILTERS, weightOf } from '../registry.js';
import { fits } from '../plugins/node-resources/fit.js';
import { devicesFit } from './gpu-devices.js';
import type { NodeInfo } from './node-info.js';
import type { CycleContext, FilterPlugin, ScorePlugin } from './plugin.js';
import { ScoreCache } from './score-cache.js';
import { SUCCESS, type Status } from './status.js';
import type { AgentStatics, Pod } from './workload.js';

interface AgentWeights {
  statics: { plugin: ScorePlugin; weight: number }[];
  /** Dynamic scores used as they are. */
  dynamic: { plugin: ScorePlugin; weight: number }[];
  /** Dynamic scores normalised over the feasible nodes (ScorePlugin.normalize). */
  normalized: { plugin: ScorePlugin; weight: number }[];
  total: number;
  /** Every weighted score depends only on the node's own state. */
  nodeLocal: boolean;
}

type SharedStatics = Omit<AgentStatics, 'staticScore'>;

/** How many agent score caches are kept (least recently used ones are dropped). */
const CACHE_LIMIT = 256;

export class Evaluator {
  private readonly staticFilters: FilterPlugin[];
  private readonly dynamicFilters: FilterPlugin[];
  private readonly staticScores: ScorePlugin[];
  private readonly dynamicScores: ScorePlugin[];
  private readonly weights = new Map<number, AgentWeights>();
  private readonly caches = new Map<string, ScoreCache>();
  private readonly shared = new Map<string, SharedStatics>();
  private readonly staticScoreByClass = new Map<string, Float64Array>();
  /** The instance whose agent first computed a class's static scores. */
  private readonly staticRepresentative = new WeakMap<Float64Array, Pod>();
  /** Equivalence key per agent: agents with equal keys score every node alike (kube's equivalence classes). */
  private readonly eqKeys = new Map<number, string>();

  constructor(
    readonly ctx: CycleContext,
    filters: readonly FilterPlugin[],
    scores: readonly ScorePlugin[],
    /** Score weights, or weights per instance (an algorithm may weigh GPU and CPU-only instances differently). */
    private readonly scoreWeights: Record<string, number> | ((pod: Pod) => Record<string, number>),
  ) {
    this.staticFilters = filters.filter((f) => f.kind === 'static');
    this.dynamicFilters = filters.filter((f) => f.kind === 'dynamic');
    this.staticScores = scores.filter((s) => s.kind === 'static');
    this.dynamicScores = scores.filter((s) => s.kind === 'dynamic');
  }

  get nodes(): NodeInfo[] {
    return this.ctx.cluster.nodes;
  }

  /** Static filter results (shared by agents with the same static rules) and static scores of an agent. */
  statics(pod: Pod): AgentStatics {
    const agent = pod.agent;
    if (agent.statics) return agent.statics;
    const p = agent.placement;
    const key = JSON.stringify([agent.doc.spec.type, agent.doc.spec.owner, p.pools, p.tiers, p.nodeSelector, p.nodeRequired, p.tolerations]);
    let sh = this.shared.get(key);
    if (!sh) {
      sh = this.staticFiltering(pod);
      this.shared.set(key, sh);
    }
    const eq = `${key}\u0000${this.equivalence(pod)}`;
    this.eqKeys.set(agent.index, agent.interPod ? `${eq}\u0000${agent.index}` : eq);
    let staticScore = this.staticScoreByClass.get(eq);
    if (!staticScore) {
      // Filled lazily per node (NaN = not yet computed): on a full cluster most nodes never fit, so
      // their static scores are never needed. Agents of one class score alike; the first one stands for it.
      staticScore = new Float64Array(this.nodes.length).fill(NaN);
      this.staticScoreByClass.set(eq, staticScore);
      this.staticRepresentative.set(staticScore, pod);
    }
    agent.statics = { ...sh, staticScore };
    return agent.statics;
  }

  /** What besides static rules decides node-local fit and scores: requests, class, reserves that apply, preferences. */
  private equivalence(pod: Pod): string {
    const a = pod.agent;
    const reserves = [...this.ctx.cluster.pools.values()]
      .filter((p) => p.spec.reserve && a.priority < p.spec.reserve.forPriorityAtLeast)
      .map((p) => p.metadata.name);
    return JSON.stringify([Array.from(a.req), a.cls === 'guaranteed', reserves, a.placement.nodePreferred]);
  }

  private staticFiltering(pod: Pod): SharedStatics {
    const nodes = this.nodes;
    const failure: (Status | undefined)[] = new Array(nodes.length);
    const position = new Int32Array(nodes.length).fill(-1);
    const nodeConstraints = new Uint8Array(nodes.length);
    const feasible: number[] = [];
    for (const node of nodes) {
      let fail: Status | undefined;
      let constraintsOk = true;
      for (const f of this.staticFilters) {
        const st = f.filter(this.ctx, pod, node);
        if (st.code === 'Success') continue;
        if (NODE_CONSTRAINT_FILTERS.has(f.name)) constraintsOk = false;
        fail ??= st;
      }
      nodeConstraints[node.index] = constraintsOk ? 1 : 0;
      if (fail) {
        failure[node.index] = fail;
        continue;
      }
      position[node.index] = feasible.length;
      feasible.push(node.index);
    }
    return { feasible: Int32Array.from(feasible), position, nodeConstraints, failure };
  }

  private agentWeights(pod: Pod): AgentWeights {
    let w = this.weights.get(pod.agent.index);
    if (!w) {
      const sw = typeof this.scoreWeights === 'function' ? this.scoreWeights(pod) : this.scoreWeights;
      const weighted = (list: ScorePlugin[]) =>
        list
          .filter((s) => s.applies(pod, this.ctx))
          .map((plugin) => ({ plugin, weight: weightOf(sw, plugin.weightKey) }))
          .filter((d) => d.weight > 0);
      const statics = weighted(this.staticScores);
      const all = weighted(this.dynamicScores);
      const dynamic = all.filter((d) => !d.plugin.normalize);
      const normalized = all.filter((d) => d.plugin.normalize);
      const total = [...statics, ...all].reduce((s, d) => s + d.weight, 0);
      w = { statics, dynamic, normalized, total, nodeLocal: normalized.length === 0 && dynamic.every((d) => d.plugin.nodeLocal) };
      this.weights.set(pod.agent.index, w);
    }
    return w;
  }

  /** Starts an instance's cycle: clears scratch, runs preFilter and preScore. */
  begin(pod: Pod): void {
    this.statics(pod);
    this.ctx.cycle.clear();
    for (const f of this.dynamicFilters) f.preFilter?.(this.ctx, pod);
    for (const d of this.agentWeights(pod).dynamic) d.plugin.preScore?.(this.ctx, pod);
  }

  /** The first failing filter on a node, static ones included (for explanations). */
  status(pod: Pod, node: number): Status {
    const st = this.statics(pod).failure[node];
    if (st) return st;
    return this.dynamicStatus(pod, node);
  }

  dynamicStatus(pod: Pod, node: number): Status {
    const n = this.nodes[node]!;
    for (const f of this.dynamicFilters) {
      const st = f.filter(this.ctx, pod, n);
      if (st.code !== 'Success') return st;
    }
    return SUCCESS;
  }

  /** Weighted score 0–100 of a node that passed every filter. */
  score(pod: Pod, node: number): number {
    const w = this.agentWeights(pod);
    if (w.total <= 0) return 0;
    const statics = pod.agent.statics!.staticScore;
    let sum = statics[node]!;
    if (sum !== sum) sum = this.staticScoreOf(statics, node);
    const n = this.nodes[node]!;
    for (const d of w.dynamic) sum += d.weight * d.plugin.score(this.ctx, pod, n);
    for (let k = 0; k < w.normalized.length; k++) sum += w.normalized[k]!.weight * this.normalizedScore(pod, w, k, n);
    return sum / w.total;
  }

  /** Raw min and max per normalised plugin over the feasible nodes, for one instance and cluster state. */
  private range: { pod: Pod; version: number; min: Float64Array; max: Float64Array } | undefined;

  /** A normalised plugin's 0–100 score of a node: kube's NormalizeScore over the feasible nodes. */
  private normalizedScore(pod: Pod, w: AgentWeights, k: number, n: NodeInfo): number {
    const raw = w.normalized[k]!.plugin.score(this.ctx, pod, n);
    const version = this.ctx.cluster.changeLog.length;
    if (this.range?.pod !== pod || this.range.version !== version) this.setRange(pod, w, this.passing(pod));
    const min = this.range!.min[k]!;
    const max = this.range!.max[k]!;
    return max > min ? (100 * (raw - min)) / (max - min) : 0;
  }

  /** Statically feasible nodes that pass the dynamic filters now. */
  private passing(pod: Pod): number[] {
    const out: number[] = [];
    for (const node of this.statics(pod).feasible) if (this.dynamicStatus(pod, node).code === 'Success') out.push(node);
    return out;
  }

  private setRange(pod: Pod, w: AgentWeights, nodes: readonly number[]): void {
    const min = new Float64Array(w.normalized.length).fill(Infinity);
    const max = new Float64Array(w.normalized.length).fill(-Infinity);
    for (const node of nodes) {
      const n = this.nodes[node]!;
      for (let k = 0; k < w.normalized.length; k++) {
        const v = w.normalized[k]!.plugin.score(this.ctx, pod, n);
        if (v < min[k]!) min[k] = v;
        if (v > max[k]!) max[k] = v;
      }
    }
    this.range = { pod, version: this.ctx.cluster.changeLog.length, min, max };
  }

  /** Computes and keeps a node's weighted static score for a class. */
  private staticScoreOf(statics: Float64Array, node: number): number {
    const rep = this.staticRepresentative.get(statics)!;
    const w = this.agentWeights(rep);
    const n = this.nodes[node]!;
    let sum = 0;
    for (const s of w.statics) sum += s.weight * s.plugin.score(this.ctx, rep, n);
    statics[node] = sum;
    return sum;
  }

  /** Raw per-plugin scores (weighted plugins only) for explanations. */
  breakdown(pod: Pod, node: number): Record<string, number> {
    const out: Record<string, number> = {};
    const n = this.nodes[node]!;
    const w = this.agentWeights(pod);
    for (const d of [...w.statics, ...w.dynamic]) out[d.plugin.name] = round(d.plugin.score(this.ctx, pod, n));
    for (let k = 0; k < w.normalized.length; k++) out[w.normalized[k]!.plugin.name] = round(this.normalizedScore(pod, w, k, n));
    return out;
  }

  /** The best node by weighted score (lowest index among equals), or -1. */
  best(pod: Pod): number {
    const st = this.statics(pod);
    const w = this.agentWeights(pod);
    if (pod.req === pod.agent.req && w.nodeLocal) return this.bestCached(pod, st);
    // With normalised scores, filter once and take their range over the nodes that pass.
    const nodes = w.normalized.length > 0 ? this.passing(pod) : undefined;
    if (nodes) this.setRange(pod, w, nodes);
    let best = -1;
    let bestScore = -Infinity;
    for (const node of nodes ?? st.feasible) {
      if (!nodes && this.dynamicStatus(pod, node).code !== 'Success') continue;
      const s = this.score(pod, node);
      if (s > bestScore) {
        best = node;
        bestScore = s;
      }
    }
    return best;
  }

  /**
   * Best node from the score cache: take the top node, check the dynamic filters, and on failure
   * set it aside — for the rest of the run when the failure is an anti-affinity conflict (counts
   * only grow until something is removed, which resets the cache), else for this instance only.
   */
  private bestCached(pod: Pod, st: AgentStatics): number {
    // Quotas decide per pool: when no pool admits the instance, no node will.
    if (!this.poolsOf(st).some((pool) => this.ctx.quotas.check(pod, pool).ok)) return -1;
    const c = this.refresh(pod, st);
    const perInstanceTerms = pod.agent.countedBy.some((t) => t.agentMatch[pod.agent.index] === -1);
    let excludedParts: Set<number> | undefined;
    const restore: { node: number; value: number }[] = [];
    let found = -1;
    for (;;) {
      const node = c.best(excludedParts);
      if (node < 0) break;
      const status = this.dynamicStatus(pod, node);
      if (status.code === 'Success') {
        found = node;
        break;
      }
      if (status.code === 'TopologySpreadViolation' && c.partKey !== undefined && status.reasons[0] === c.partKey) {
        (excludedParts ??= new Set()).add(c.partOf[node]!);
        continue;
      }
      if (status.code !== 'AgentAntiAffinityConflict' || perInstanceTerms) restore.push({ node, value: c.value(node) });
      else c.sticky = true;
      c.set(node, -Infinity);
    }
    for (const r of restore) c.set(r.node, r.value);
    return found;
  }

  private readonly pools = new WeakMap<Int32Array, string[]>();

  /** Distinct pools of an agent's statically feasible nodes. */
  private poolsOf(st: AgentStatics): string[] {
    let list = this.pools.get(st.feasible);
    if (!list) {
      list = [...new Set(Array.from(st.feasible, (n) => this.nodes[n]!.node.pool))].sort();
      this.pools.set(st.feasible, list);
    }
    return list;
  }

  /** Nodes already re-scored in the current replay (stamped with its number). */
  private replayed?: Int32Array;
  private replays = 0;

  /** Brings an agent's score cache up to date with the cluster's change log. */
  private refresh(pod: Pod, st: AgentStatics): ScoreCache {
    const agent = pod.agent;
    const cluster = this.ctx.cluster;
    const log = cluster.changeLog;
    const eq = this.eqKeys.get(agent.index)!;
    let c = this.caches.get(eq);
    if (c) {
      this.caches.delete(eq);
      this.caches.set(eq, c);
    }
    // Without set-aside nodes every value is the node's localScore as of its last change, so removals
    // are replayed like any change (the swap pass removes and re-places thousands of times), and a
    // long log costs at most one score per node changed since.
    if (!c || (c.sticky && (c.epoch !== cluster.removals || log.length - c.cursor > st.feasible.length))) {
      const spread = agent.placement.spread.find((s) => s.constraint.whenUnsatisfiable === 'DoNotSchedule');
      const key = spread?.term.key;
      c = ScoreCache.build(st.feasible, this.nodes.length, key, (n) => (key === undefined ? '' : cluster.domainOf(key, n)), cluster.removals);
      c.fill(this.localScores(pod, st.feasible));
      c.cursor = log.length;
      this.caches.set(eq, c);
      if (this.caches.size > CACHE_LIMIT) this.caches.delete(this.caches.keys().next().value!);
      return c;
    }
    const seen = (this.replayed ??= new Int32Array(this.nodes.length));
    this.replays++;
    for (let k = c.cursor; k < log.length; k++) {
      const node = log[k]!;
      if (c.partOf[node]! < 0 || seen[node] === this.replays) continue;
      seen[node] = this.replays;
      c.set(node, this.localScore(pod, node));
    }
    c.cursor = log.length;
    c.epoch = cluster.removals;
    return c;
  }

  /**
   * localScore of every node in `nodes` (by node index). Nodes never touched in this run that are
   * alike in all but name (NodeInfo.twinKey) share the fit test and the dynamic node-local terms,
   * computed once; each still adds its own static score, in the same order as score() does, so every
   * value is bit for bit what localScore gives. A trace cluster has 1,213 nodes of a few kinds.
   */
  private localScores(pod: Pod, nodes: Int32Array): Float64Array {
    const values = new Float64Array(this.nodes.length);
    const w = this.agentWeights(pod);
    const statics = pod.agent.statics!.staticScore;
    const shared = new Map<string, Float64Array | null>();
    for (const node of nodes) {
      const n = this.nodes[node]!;
      const key = n.version === 0 ? n.twinKey() : undefined;
      let terms = key === undefined ? undefined : shared.get(key);
      if (terms === undefined) {
        terms = null;
        if (fits(pod, n) && devicesFit(n.gpuUsed, pod.gpuMillis)) {
          terms = new Float64Array(w.dynamic.length);
          for (let k = 0; k < w.dynamic.length; k++) terms[k] = w.dynamic[k]!.weight * w.dynamic[k]!.plugin.score(this.ctx, pod, n);
        }
        if (key !== undefined) shared.set(key, terms);
      }
      if (terms === null) {
        values[node] = -Infinity;
        continue;
      }
      if (w.total <= 0) continue;
      let sum = statics[node]!;
      if (sum !== sum) sum = this.staticScoreOf(statics, node);
      for (let k = 0; k < terms.length; k++) sum += terms[k]!;
      values[node] = sum / w.total;
    }
    return values;
  }

  /** Score when the node's own state admits the instance, else -Infinity. */
  private localScore(pod: Pod, node: number): number {
    const n = this.nodes[node]!;
    return fits(pod, n) && devicesFit(n.gpuUsed, pod.gpuMillis) ? this.score(pod, node) : -Infinity;
  }

  /** Nodes passing every filter, with scores, best first (for explanations). */
  candidates(pod: Pod, limit = Infinity): { node: number; score: number }[] {
    const st = this.statics(pod);
    const out: { node: number; score: number }[] = [];
    for (const node of st.feasible) {
      if (this.dynamicStatus(pod, node).code !== 'Success') continue;
      out.push({ node, score: this.score(pod, node) });
    }
    out.sort((a, b) => b.score - a.score || a.node - b.node);
    return out.length > limit ? out.slice(0, limit) : out;
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
