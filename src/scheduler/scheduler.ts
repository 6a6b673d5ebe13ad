/**
 * The placement pipeline: snapshot → per dependency level, instances in the algorithm's order →
 * filter, score, bind (or preempt, or block) → swap improvement → draining moves and template
 * rollouts (replace.ts) → consolidation → rebalancing. What it decides is kept in an Outcome
 * (outcome.ts). Pure and deterministic.
 */
import { DEFAULT_PROFILE_SPEC, type SchedulingProfileSpec } from '../model/documents.js';
import { ALGORITHM_REGISTRY, type AlgorithmEnv, type PlacementAlgorithm } from './algorithms/index.js';
import { diagnose, diagnoser, type Diagnosis } from './blocked.js';
import { buildSnapshot, type Snapshot } from './framework/build.js';
import type { ClusterState } from './framework/cluster.js';
import { Evaluator } from './framework/evaluator.js';
import { chooseDevices, NO_DEVICES } from './framework/gpu-devices.js';
import type { CycleContext } from './framework/plugin.js';
import type { Pod } from './framework/workload.js';
import { findReclaim } from './quota/reclaim.js';
import { findPreemption } from './preemption/preempt.js';
import { dependencyLevels } from './dependencies.js';
import { QuotaTracker } from './quota/quota-tracker.js';
import { FILTERS, SCORES } from './registry.js';
import type { Decision, ScheduleInput, ScheduleResult } from './types.js';
import { gpuWorkload } from './workload-classes.js';
import { consolidate } from './consolidate.js';
import { rebalance } from './rebalance.js';
import { improve } from './improve.js';
import { Outcome, placementRecord } from './outcome.js';
import { drain, rollout, type ReplaceHooks } from './replace.js';

/** One run of the pipeline with the profile's algorithm, or `override`. */
export function scheduleOnce(input: ScheduleInput, override?: PlacementAlgorithm): ScheduleResult {
  return new Scheduler(input, override).run();
}

/** Runs the pipeline with a given algorithm object (used by scheduleAsync for solver-backed plans). */
export function scheduleWith(input: ScheduleInput, algorithm: PlacementAlgorithm, warnings: string[] = []): ScheduleResult {
  const r = new Scheduler(input, algorithm).run();
  return { ...r, warnings: [...warnings, ...r.warnings] };
}

class Scheduler {
  private readonly profile: SchedulingProfileSpec;
  private readonly algorithm: PlacementAlgorithm;
  private readonly snap: Snapshot;
  private readonly cluster: ClusterState;
  private readonly quotas: QuotaTracker;
  private readonly ev: Evaluator;
  private readonly env: AlgorithmEnv;
  private readonly out = new Outcome();
  /** Placed instances per agent. */
  private readonly placed: Int32Array;
  /** Evictions and moves per agent in this plan, against the disruption budget. */
  private readonly disrupted: Int32Array;
  /** Why a pod is being placed again (eviction, lost node). */
  private readonly cause = new Map<number, string>();

  constructor(
    private readonly input: ScheduleInput,
    override?: PlacementAlgorithm,
  ) {
    this.profile = input.policy.profile?.spec ?? DEFAULT_PROFILE_SPEC;
    let algorithm = override ?? ALGORITHM_REGISTRY.get(this.profile.algorithm);
    if (!algorithm) {
      this.out.warnings.push(`algorithm '${this.profile.algorithm}' needs scheduleAsync(); schedule() used best-fit-decreasing instead`);
      algorithm = ALGORITHM_REGISTRY.get('best-fit-decreasing')!;
    }
    this.algorithm = algorithm;
    this.snap = buildSnapshot(input.policy, input.nodes, input.instances);
    this.out.warnings.push(...this.snap.warnings);
    this.cluster = this.snap.cluster;
    this.quotas = new QuotaTracker(input.policy.quotas, this.cluster.res, this.cluster.pools);
    this.placed = new Int32Array(this.cluster.agents.length);
    this.disrupted = new Int32Array(this.cluster.agents.length);
    for (const p of this.snap.pods) {
      if (p.node < 0) continue;
      this.quotas.add(p, this.poolOf(p.node));
      this.placed[p.agent.index]!++;
      // Running instances that stay put get a record only when asked for, so decisions stay bounded.
      if (this.explains(p)) this.out.decisions.set(p.id, { instance: p.name, agent: p.agent.name, outcome: 'kept', node: this.cluster.nodes[p.node]!.name });
    }
    const base = this.profile.scoreWeights;
    const wl = gpuWorkload(this.snap.pending.some((p) => p.gpuMillis > 0) ? this.snap.pending : this.snap.pods, this.cluster.nodes);
    const weights = algorithm.weights ? (pod: Pod) => algorithm.weights!(base, pod, wl.classes.length > 0) : base;
    const ctx: CycleContext = { cluster: this.cluster, quotas: this.quotas, cycle: new Map(), runCache: new Map(), gpuWorkload: wl };
    this.ev = new Evaluator(ctx, FILTERS, SCORES, weights);
    this.env = { seed: input.seed ?? this.profile.seed, cluster: this.cluster, state: new Map(), feasible: (p) => this.ev.statics(p).feasible };
  }

  private poolOf(node: number): string {
    return this.cluster.nodes[node]!.node.pool;
  }

  run(): ScheduleResult {
    for (const p of this.snap.pending) {
      if (p.observedNode >= 0) this.cause.set(p.id, `node ${this.cluster.nodes[p.observedNode]!.name} is not ready`);
    }
    const levels = dependencyLevels(this.cluster.agents);
    const byLevel = new Map<number, Pod[]>();
    for (const p of this.snap.pending) {
      const l = levels[p.agent.index]!;
      const list = byLevel.get(l);
      if (list) list.push(p);
      else byLevel.set(l, [p]);
    }
    for (const p of byLevel.get(-1) ?? []) {
      this.out.block(p, [{ code: 'DependencyNotPlaced', message: `agent ${p.agent.name} is part of a dependsOn cycle` }]);
    }
    for (const level of [...byLevel.keys()].filter((l) => l >= 0).sort((a, b) => a - b)) {
      let queue = byLevel.get(level)!;
      // Preemption victims come back as a new round, in the algorithm's order.
      while (queue.length > 0) queue = this.placeAll(this.algorithm.order(queue, this.env));
    }
    if (this.algorithm.improve) this.improve();
    // Draining pools, then instances of an older agent template (see replace.ts).
    const hooks = this.replaceHooks();
    drain(this.cluster, this.snap.pods, hooks);
    rollout(this.cluster, this.snap.pods, this.snap.stale, hooks);
    if (this.algorithm.consolidate) this.consolidate();
    if (this.profile.rebalance.enabled) this.rebalance();
    return this.out.result(this.algorithm.name, this.snap.removals);
  }

  /** Places a queue in order; returns the instances displaced by preemption. */
  private placeAll(queue: Pod[]): Pod[] {
    const displaced: Pod[] = [];
    const mark = this.input.onDecision;
    for (const pod of queue) {
      mark?.();
      const missing = this.missingDependency(pod);
      if (missing) {
        this.out.block(pod, [{ code: 'DependencyNotPlaced', message: missing }]);
        continue;
      }
      this.ev.begin(pod);
      const explain = this.explains(pod);
      const candidates = explain ? this.candidateRecords(pod) : undefined;
      let node = this.algorithm.select(this.ev, pod, this.env);
      if (node >= 0) {
        this.bind(pod, node, this.ev.score(pod, node), candidates);
        continue;
      }
      // An instance like the previous blocked one, with nothing changed since, is blocked alike.
      const same = this.lastBlocked && this.lastBlocked.agent === pod.agent && pod.req === pod.agent.req && this.lastBlocked.log === this.cluster.changeLog.length;
      if (same) {
        const d = this.lastBlocked!.diagnosis;
        this.out.block(pod, d.reasons, d.filtered, d.summary);
        continue;
      }
      if (this.profile.preemption) {
        const choice = findPreemption(this.cluster, this.ev, pod, (p) => this.running(p), (a) => this.budgetLeft(a));
        if (choice) {
          for (const v of choice.victims) displaced.push(this.evict(v, pod));
          node = choice.node;
          this.ev.begin(pod);
          this.bind(pod, node, this.ev.score(pod, node), candidates);
          continue;
        }
      }
      const reclaim = this.profile.preemption ? findReclaim(this.cluster, this.ev, this.quotas, pod) : undefined;
      if (reclaim) {
        for (const v of reclaim.victims) displaced.push(this.evict(v, pod, `quota ${reclaim.quota} reclaims what its cohort lent (reclaimWithinCohort) for ${pod.name}`));
        this.ev.begin(pod);
        node = this.ev.best(pod);
        if (node >= 0) {
          this.bind(pod, node, this.ev.score(pod, node), candidates);
          continue;
        }
      }
      const d = diagnose(this.ev, pod);
      this.out.block(pod, d.reasons, d.filtered, d.summary);
      this.lastBlocked = { agent: pod.agent, log: this.cluster.changeLog.length, diagnosis: d };
    }
    mark?.();
    return displaced;
  }

  /** The last instance blocked after a full diagnosis, to reuse for identical ones. */
  private lastBlocked?: { agent: Pod['agent']; log: number; diagnosis: Diagnosis };

  private missingDependency(pod: Pod): string | undefined {
    for (const d of pod.agent.dependsOn) {
      const dep = this.cluster.agents[d]!;
      if (this.placed[d]! < dep.doc.spec.replicas) {
        return `agent ${pod.agent.name} depends on ${dep.name}, which has ${this.placed[d]}/${dep.doc.spec.replicas} instances placed`;
      }
    }
    return undefined;
  }

  private explained?: Set<string>;

  private explains(pod: Pod): boolean {
    const e = this.input.explain;
    if (e === 'all') return true;
    if (!Array.isArray(e)) return false;
    this.explained ??= new Set(e);
    return this.explained.has(pod.name);
  }

  private candidateRecords(pod: Pod): Decision['candidates'] {
    return this.ev.candidates(pod, 8).map((c) => ({
      node: this.cluster.nodes[c.node]!.name,
      score: Math.round(c.score * 100) / 100,
      scores: this.ev.breakdown(pod, c.node),
    }));
  }

  private bind(pod: Pod, node: number, score: number, candidates?: Decision['candidates']): void {
    const n = this.cluster.nodes[node]!;
    const devices = chooseDevices(n.gpuUsed, pod.gpuMillis) ?? NO_DEVICES;
    this.cluster.place(pod, node, devices);
    this.quotas.add(pod, n.node.pool);
    this.placed[pod.agent.index]!++;
    this.out.blocked.delete(pod.id);
    const st = pod.agent.statics!;
    const cause = this.cause.get(pod.id) ?? 'new instance';
    const reason = `${cause}; best of ${st.feasible.length}/${this.cluster.nodes.length} nodes its placement rules allow`;
    const recreate = pod.observedNode === node && this.snap.stale.has(pod.id);
    if (pod.observedNode >= 0 && !recreate && !this.cause.get(pod.id)?.startsWith('preempted')) {
      this.out.moves.push({
        instance: pod.name,
        agent: pod.agent.name,
        fromNode: this.cluster.nodes[pod.observedNode]!.name,
        toNode: n.name,
        reason: `${cause}; moved to ${n.name}`,
        ...(pod.gpuMillis > 0 ? { gpuDevices: devices } : {}),
      });
    } else {
      const record = placementRecord(this.cluster, pod, node, devices, score, recreate ? `${cause}; recreated on ${n.name}` : reason);
      this.out.placements.set(pod.id, recreate ? { ...record, recreate: true } : record);
    }
    this.out.decisions.set(pod.id, { instance: pod.name, agent: pod.agent.name, outcome: 'placed', node: n.name, ...(candidates ? { candidates } : {}) });
  }

  private unbind(pod: Pod): void {
    this.quotas.remove(pod, this.poolOf(pod.node));
    this.placed[pod.agent.index]!--;
    this.cluster.unplace(pod);
    this.out.placements.delete(pod.id);
    // A pod moved earlier in this plan (off a lost node) and now displaced again: drop that move.
    const m = this.out.moves.findIndex((x) => x.instance === pod.name);
    if (m >= 0) this.out.moves.splice(m, 1);
  }

  /** Whether the instance is running where it was observed (so removing it disrupts it). */
  private running(p: Pod): boolean {
    return p.observedNode >= 0 && p.node === p.observedNode;
  }

  private budgetLeft(agent: number): number {
    const a = this.cluster.agents[agent]!;
    const allowed = Math.max(1, Math.floor((a.doc.spec.replicas * this.profile.disruptionBudget.maxUnavailablePercent) / 100));
    return allowed - this.disrupted[agent]!;
  }

  /** Evicts (or un-plans) a victim and returns it for placing again. */
  private evict(victim: Pod, by: Pod, why?: string): Pod {
    const node = this.cluster.nodes[victim.node]!;
    if (this.running(victim)) {
      this.out.evictions.push({
        instance: victim.name,
        agent: victim.agent.name,
        node: node.name,
        reason: why ?? `preempted by ${by.name} (priority ${by.agent.priority} > ${victim.agent.priority})`,
        by: by.name,
      });
      this.disrupted[victim.agent.index]!++;
      this.cause.set(victim.id, `preempted by ${by.name} on ${node.name}`);
    } else {
      this.cause.set(victim.id, why ?? `displaced by ${by.name} (priority ${by.agent.priority} > ${victim.agent.priority})`);
    }
    this.unbind(victim);
    this.out.decisions.delete(victim.id);
    return victim;
  }

  /**
   * Whether a planned instance may be moved or displaced after the fact: not when other
   * instances' terms count it (their affinity or spread was checked against it) and not when
   * another agent depends on its agent.
   */
  private movable(p: Pod): boolean {
    if (p.agent.countedBy.length > 0) return false;
    this.dependedOn ??= new Set(this.cluster.agents.flatMap((a) => a.dependsOn));
    return !this.dependedOn.has(p.agent.index);
  }

  private dependedOn?: Set<number>;

  /** Lets blocked instances take the place of a planned one that strands capacity (see improve.ts). */
  private improve(): void {
    for (let pass = 0; pass < 4; pass++) if (this.improvePass() === 0) break;
  }

  private improvePass(): number {
    // A pod's id is its index in snap.pods.
    const blocked = [...this.out.blocked.keys()].map((id) => this.snap.pods[id]!).filter((p) => p.node < 0);
    // A running instance being recreated never gives way: it would end up blocked while it runs.
    const swaps = improve(this.cluster, this.ev, blocked, (p) => this.out.placements.has(p.id) && !this.snap.stale.has(p.id) && this.movable(p), {
      remove: (p) => this.quotas.remove(p, this.poolOf(p.node)),
      add: (p) => this.quotas.add(p, this.poolOf(p.node)),
    });
    for (const s of swaps) {
      const d = s.displaced;
      // Moved elsewhere (repair) or given way, blocked below.
      if (s.movedFrom !== undefined) this.replanned(d, s.movedFrom, `made room for ${s.placed.map((p) => p.name).join(', ')}; moved from`);
      else if (this.out.placements.delete(d.id)) this.placed[d.agent.index]!--;
      for (const b of s.placed) {
        this.placed[b.agent.index]!++;
        this.out.blocked.delete(b.id);
        const n = this.cluster.nodes[b.node]!;
        const reason = `new instance; takes the place of ${d.name}, whose request left capacity on ${n.name} no other instance could use`;
        this.out.placements.set(b.id, placementRecord(this.cluster, b, b.node, b.devices, this.ev.score(b, b.node), reason));
        this.out.decisions.set(b.id, { instance: b.name, agent: b.agent.name, outcome: 'placed', node: n.name });
      }
    }
    const diagnoseBlocked = diagnoser(this.ev);
    for (const s of swaps.filter((x) => x.movedFrom === undefined)) {
      const diag = diagnoseBlocked(s.displaced);
      this.out.block(s.displaced, diag.reasons, diag.filtered, `${diag.summary} (gave way on its node to ${s.placed.map((p) => p.name).join(', ')})`);
    }
    return swaps.length;
  }

  /** Narrows each pool's utilisation spread with at most maxMovesPerRun moves (see rebalance.ts). */
  private rebalance(): void {
    const { maxImbalancePercent, maxMovesPerRun } = this.profile.rebalance;
    const movesSoFar = this.out.moves.length;
    rebalance(this.cluster, this.ev, maxImbalancePercent, Math.max(0, maxMovesPerRun - movesSoFar), {
      running: (p) => this.running(p),
      // Like running instances, planned ones move when their own filters pass at the target.
      planned: (p) => this.out.placements.has(p.id),
      replanned: (p, from, reason) => this.replanned(p, from, `${reason}; rebalanced from`),
      budgetLeft: (p) => this.budgetLeft(p.agent.index),
      remove: (p) => this.quotas.remove(p, this.poolOf(p.node)),
      add: (p) => this.quotas.add(p, this.poolOf(p.node)),
      moved: (p, from, reason) => {
        this.disrupted[p.agent.index]!++;
        this.out.moves.push({
          instance: p.name,
          agent: p.agent.name,
          fromNode: this.cluster.nodes[from]!.name,
          toNode: this.cluster.nodes[p.node]!.name,
          reason,
          ...(p.gpuMillis > 0 ? { gpuDevices: p.devices } : {}),
        });
        const d = this.out.decisions.get(p.id);
        if (d) d.node = this.cluster.nodes[p.node]!.name;
      },
    });
  }

  /** Empties lightly loaded nodes that hold only instances planned in this run (see consolidate.ts). */
  private consolidate(): void {
    const emptied = consolidate(this.cluster, this.ev, (p) => this.out.placements.has(p.id) && this.movable(p), {
      remove: (p) => this.quotas.remove(p, this.poolOf(p.node)),
      add: (p) => this.quotas.add(p, this.poolOf(p.node)),
      moved: (p, from, score) => this.replanned(p, from, 'consolidated from', score),
    });
    if (emptied > 0) this.out.warnings.push(`consolidation emptied ${emptied} node(s) by moving planned instances onto nodes already in use`);
  }

  /** A planned instance now goes to another node: its placement says why (`note` + the first node). */
  private replanned(p: Pod, from: number, note: string, score = this.ev.score(p, p.node)): void {
    const n = this.cluster.nodes[p.node]!;
    const old = this.out.placements.get(p.id)!;
    this.out.placements.set(p.id, {
      ...old,
      pool: n.node.pool,
      node: n.name,
      ...(p.gpuMillis > 0 ? { gpuDevices: p.devices } : {}),
      score: Math.round(score),
      reason: `${old.reason.replace(/; (consolidated|rebalance) .*$/, '')}; ${note} ${this.cluster.nodes[from]!.name}`,
    });
    const d = this.out.decisions.get(p.id);
    if (d) d.node = n.name;
  }

  private replaceHooks(): ReplaceHooks {
    return {
      running: (p) => this.running(p),
      budgetLeft: (p) => this.budgetLeft(p.agent.index),
      unbind: (p) => this.unbind(p),
      restore: (p, node, devices) => {
        this.cluster.place(p, node, devices);
        this.quotas.add(p, this.poolOf(node));
        this.placed[p.agent.index]!++;
      },
      select: (p) => {
        this.ev.begin(p);
        return this.algorithm.select(this.ev, p, this.env);
      },
      bind: (p, node, cause) => {
        this.cause.set(p.id, cause);
        this.disrupted[p.agent.index]!++;
        this.bind(p, node, this.ev.score(p, node));
      },
      warn: (m) => this.out.warnings.push(m),
    };
  }
}
