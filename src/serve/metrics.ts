/**
 * Every metric `qm serve` exports (SPEC §10), in one prom-client Registry of its own (never the
 * global default one). The engine reports driver calls and phase durations through
 * engine/telemetry.ts; the fleet gauges are set from what a reconcile already computed (the plan
 * and the observed state). Cardinality is bounded: labels are pools, agents, quotas, drivers,
 * policies, resource names, action types and reason codes — never instances or nodes.
 *
 * The text of the qm_* families (170 KiB for 500 agents) only changes when something is recorded,
 * so it is rendered once and kept: `registry` until `changed()` (every recording method below calls
 * it, and so does the serve loop after each tick and on a change of leader), the per pool, agent,
 * quota and policy families of `fleetRegistry` until fleet() or clearFleet() sets them again. A new
 * family is added like the others (`registers: this.r`, or `this.f` when only fleet() sets it); set
 * outside a recording method or a tick, call changed().
 * The process_* and nodejs_* families change all the time and are rendered at every scrape.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TelemetrySink } from '../engine/telemetry.js';
import type { Plan } from '../model/plan.js';
import type { ObservedState } from '../model/state.js';
import type { ApplyOutcome } from '../engine/apply.js';
import { agentGauges } from './usage.js';

/** How a reconcile run ended: `ok` in sync or fixed, `drift` left (report mode), `failed` actions failed, `error` the run failed. */
export type ReconcileResult = 'ok' | 'drift' | 'failed' | 'error';

/** The values of qm_forecast's `bound` label. */
const BOUNDS = ['lower', 'mean', 'upper'] as const;

// Reconcile runs take from milliseconds (a small sim fleet) to minutes (many driver calls).
const RUN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const EVENT_LOOP_SAMPLE_MS = 1000;
const CALL_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class ServeMetrics implements TelemetrySink {
  readonly registry = new Registry();
  private readonly r = [this.registry];
  /**
   * The per pool, agent, quota and policy families (fleet() and clearFleet() set them): most of the
   * text (3,000 series for 500 agents), rendered only when they change, not on every recording.
   */
  private readonly fleetRegistry = new Registry();
  private readonly f = [this.fleetRegistry];
  /** The default process_* and nodejs_* collectors: rendered at every scrape. */
  private readonly process = new Registry();
  /** The last text of `registry` (changed() discards it) and of `fleetRegistry` (fleet() and clearFleet() do). */
  private readonly qmText = new RenderedText(this.registry);
  private readonly fleetText = new RenderedText(this.fleetRegistry);

  readonly reconcileTotal = new Counter({ name: 'qm_reconcile_total', help: 'Reconcile runs by result: ok (in sync or fixed), drift (left in report mode), failed (actions failed), error (the run failed).', labelNames: ['result'], registers: this.r });
  readonly reconcileDuration = new Histogram({ name: 'qm_reconcile_duration_seconds', help: 'Duration of a whole reconcile run (lock, plan, apply) in seconds.', buckets: RUN_BUCKETS, registers: this.r });
  readonly planReused = new Counter({ name: 'qm_plan_reused_total', help: 'Reconcile runs that reused the previous plan instead of planning again: nothing it is made from changed (policy files, Git commit, observed fleet) and it depends on no clock (docs/serve.md).', registers: this.r });
  readonly planDuration = new Histogram({ name: 'qm_plan_duration_seconds', help: 'Duration of planning (load, observe, schedule) within a reconcile run, in seconds.', buckets: RUN_BUCKETS, registers: this.r });
  readonly applyDuration = new Histogram({ name: 'qm_apply_duration_seconds', help: 'Duration of applying a plan within a fix-mode reconcile run, in seconds.', buckets: RUN_BUCKETS, registers: this.r });
  readonly actionsTotal = new Counter({ name: 'qm_actions_total', help: 'Plan actions applied, by action type and result (ok, failed, skipped, cancelled, pending).', labelNames: ['type', 'result'], registers: this.r });
  readonly driverCallDuration = new Histogram({ name: 'qm_driver_call_duration_seconds', help: 'Duration of driver calls (observe, apply) in seconds, by driver and call.', labelNames: ['driver', 'call'], buckets: CALL_BUCKETS, registers: this.r });
  readonly driverCallErrors = new Counter({ name: 'qm_driver_call_errors_total', help: 'Driver calls that failed, by driver and call.', labelNames: ['driver', 'call'], registers: this.r });
  readonly driverUp = new Gauge({ name: 'qm_driver_up', help: '1 when the last observation through the driver succeeded, 0 when it failed.', labelNames: ['driver'], registers: this.r });
  readonly leader = new Gauge({ name: 'qm_leader', help: '1 while this replica holds the leader lock and reconciles, else 0.', registers: this.r });
  readonly lastRun = new Gauge({ name: 'qm_last_reconcile_timestamp_seconds', help: 'Unix time at which the last reconcile run ended, whatever its result.', registers: this.r });
  readonly lastSuccess = new Gauge({ name: 'qm_last_reconcile_success_timestamp_seconds', help: 'Unix time at which the last reconcile run that ended ok or with drift reported ended.', registers: this.r });
  readonly drift = new Gauge({ name: 'qm_drift_instances', help: 'Instances out of their declared state at the last reconcile (to place, move, evict or remove).', registers: this.r });
  readonly driftPools = new Gauge({ name: 'qm_drift_pools', help: 'Pools whose node count differs from the planned one at the last reconcile.', registers: this.r });
  readonly poolNodes = new Gauge({ name: 'qm_pool_nodes', help: 'Nodes per pool at the last reconcile: state ready or not_ready as observed, planned as the plan wants.', labelNames: ['pool', 'state'], registers: this.f });
  readonly poolUtilization = new Gauge({ name: 'qm_pool_utilization_ratio', help: 'Requested over allocatable capacity per pool and resource (0-1) at the last reconcile.', labelNames: ['pool', 'resource'], registers: this.f });
  readonly instances = new Gauge({ name: 'qm_instances', help: 'Instances per agent at the last reconcile: running (observed), to_place (the plan places them), blocked (cannot be placed).', labelNames: ['agent', 'state'], registers: this.f });
  readonly blocked = new Gauge({ name: 'qm_blocked_instances', help: 'Instances that cannot be placed, per agent and first reason code (SPEC §4).', labelNames: ['agent', 'reason'], registers: this.f });
  readonly quotaUsed = new Gauge({ name: 'qm_quota_used_ratio', help: 'Used over limit per quota and resource (0-1, above 1 when over) at the last reconcile.', labelNames: ['quota', 'resource'], registers: this.f });
  readonly agentRequests = new Gauge({ name: 'qm_agent_requests', help: 'Requests summed over the running instances of each agent at the last reconcile, in base units: resource cpu in cores, memory in bytes, gpu in devices.', labelNames: ['agent', 'resource'], registers: this.f });
  readonly agentUsage = new Gauge({ name: 'qm_agent_usage', help: 'Real use summed over the instances of each agent whose use the driver measured at the last reconcile, in base units: resource cpu in cores, memory in bytes, gpu in devices. Absent when none was measured.', labelNames: ['agent', 'resource'], registers: this.f });
  readonly agentMeasured = new Gauge({ name: 'qm_agent_measured_instances', help: 'Running instances of each agent whose real use the driver measured at the last reconcile (qm_agent_usage sums over these).', labelNames: ['agent'], registers: this.f });
  readonly forecast = new Gauge({ name: 'qm_forecast', help: "Each ScalingPolicy's forecast at its horizon in the metric's unit: mean and the prediction interval's lower and upper bounds.", labelNames: ['policy', 'bound'], registers: this.f });
  readonly anomaly = new Gauge({ name: 'qm_anomaly', help: "1 while a ScalingPolicy's metric is outside its forecast's prediction interval for its last samples (spec.anomalies), 0 once it is back (for series that were out since this replica leads).", labelNames: ['policy', 'series'], registers: this.f });
  readonly anomalyDeviation = new Gauge({ name: 'qm_anomaly_deviation', help: "How far an anomalous metric's latest sample is from its forecast, in prediction-interval half-widths (1 = on the bound; negative below).", labelNames: ['policy', 'series'], registers: this.f });
  /** The plan input key the fleet gauges were last set from, when nothing measured use then. */
  private fleetInput: string | undefined;
  /** Series reported anomalous since this replica leads: they read 0 once back inside, so a graph shows the end. */
  private readonly anomalySeen = new Map<string, { policy: string; series: string }>();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) {
      // The standard process_* and nodejs_* families, unprefixed as every client library exports
      // them (generic dashboards know these names), except three gauges whose `_total` suffix
      // promtool's lint rejects (a `_total` suffix is for counters).
      // Event-loop lag sampled every second, not every 10 ms (prom-client's default): its timer
      // alone cost 0.8 % of a core on an idle process, most of the 1 % budget (docs/benchmarks.md).
      // A run that blocks the loop for a second still shows in the maximum and the percentiles.
      collectDefaultMetrics({ register: this.process, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.process.removeSingleMetric(name);
    }
    this.leader.set(0);
  }

  /** Render the qm_* families again at the next scrape (see the file comment). */
  changed(): void {
    this.qmText.changed();
  }

  driverCall(driver: string, call: 'observe' | 'apply', seconds: number, ok: boolean): void {
    this.changed();
    this.driverCallDuration.observe({ driver, call }, seconds);
    if (!ok) this.driverCallErrors.inc({ driver, call });
    if (call === 'observe') this.driverUp.set({ driver }, ok ? 1 : 0);
  }

  phase(phase: 'plan' | 'apply', seconds: number): void {
    this.changed();
    (phase === 'plan' ? this.planDuration : this.applyDuration).observe(seconds);
  }

  /** Count a run that ended (any result) and how long it took. */
  runEnded(result: ReconcileResult, seconds: number, at: Date): void {
    this.changed();
    this.reconcileTotal.inc({ result });
    this.reconcileDuration.observe(seconds);
    this.lastRun.set(at.getTime() / 1000);
    if (result === 'ok' || result === 'drift') this.lastSuccess.set(at.getTime() / 1000);
  }

  /** Count the actions of an apply by type and result. */
  applied(plan: Plan, outcome: ApplyOutcome): void {
    this.changed();
    const typeOf = new Map(plan.actions.map((a) => [a.id, a.type]));
    for (const r of outcome.results) this.actionsTotal.inc({ type: typeOf.get(r.id) ?? 'unknown', result: r.status });
  }

  /**
   * Replace the fleet gauges with what this run saw. Reset first so a pool, agent or quota that
   * disappeared from the policy does not linger; all of it is synchronous, so no scrape sees half.
   */
  fleet(plan: Plan, observed: ObservedState, inputKey?: string): void {
    // The same plan inputs (engine/plan-reuse.ts) and no measured use: every gauge below would be
    // set to the value it holds, and the 3,000 series of a 500-agent fleet rendered again for nothing.
    const measured = observed.instances.some((i) => i.usage !== undefined);
    if (inputKey !== undefined && !measured && inputKey === this.fleetInput) return;
    this.fleetInput = measured ? undefined : inputKey;
    this.changed();
    this.fleetText.changed();
    this.fleetRegistry.resetMetrics();
    this.usage(observed);
    let driftInstances = 0;
    const toPlace = new Map<string, number>();
    for (const a of plan.actions) {
      if (a.type === 'place' || a.type === 'move' || a.type === 'evict' || a.type === 'remove') driftInstances++;
      if (a.type === 'place') toPlace.set(a.agent, (toPlace.get(a.agent) ?? 0) + 1);
    }
    this.drift.set(driftInstances);
    this.driftPools.set(plan.pools.filter((p) => p.nodes.current !== p.nodes.planned).length);

    for (const p of plan.pools) {
      const nodes = observed.nodes.filter((n) => n.pool === p.name);
      this.poolNodes.set({ pool: p.name, state: 'ready' }, nodes.filter((n) => n.ready).length);
      this.poolNodes.set({ pool: p.name, state: 'not_ready' }, nodes.filter((n) => !n.ready).length);
      this.poolNodes.set({ pool: p.name, state: 'planned' }, p.nodes.planned);
      for (const [resource, u] of Object.entries(p.utilizationPercent)) this.poolUtilization.set({ pool: p.name, resource }, u.current / 100);
    }

    const running = new Map<string, number>();
    for (const i of observed.instances) running.set(i.agent, (running.get(i.agent) ?? 0) + 1);
    const blockedBy = new Map<string, number>();
    const blockedKey = new Map<string, { agent: string; reason: string }>();
    for (const b of plan.blocked) {
      const reason = b.reasons[0]?.code ?? 'Unknown';
      const key = `${b.agent}\0${reason}`;
      blockedBy.set(key, (blockedBy.get(key) ?? 0) + 1);
      blockedKey.set(key, { agent: b.agent, reason });
    }
    const blockedPerAgent = new Map<string, number>();
    for (const [key, n] of blockedBy) {
      const { agent, reason } = blockedKey.get(key)!;
      this.blocked.set({ agent, reason }, n);
      blockedPerAgent.set(agent, (blockedPerAgent.get(agent) ?? 0) + n);
    }
    for (const agent of new Set([...running.keys(), ...toPlace.keys(), ...blockedPerAgent.keys()])) {
      this.instances.set({ agent, state: 'running' }, running.get(agent) ?? 0);
      this.instances.set({ agent, state: 'to_place' }, toPlace.get(agent) ?? 0);
      this.instances.set({ agent, state: 'blocked' }, blockedPerAgent.get(agent) ?? 0);
    }

    for (const q of plan.quotas) {
      for (const [resource, limit] of Object.entries(q.limits)) {
        if (!(limit > 0)) continue;
        this.quotaUsed.set({ quota: q.name, resource }, (q.used[resource] ?? 0) / limit);
      }
    }

    for (const f of plan.forecasts as ForecastLike[]) {
      const last = f.points?.[f.points.length - 1];
      if (!last || typeof f.policy !== 'string') continue;
      const values = { lower: last.lower, mean: last.value, upper: last.upper };
      for (const bound of BOUNDS) if (Number.isFinite(values[bound])) this.forecast.set({ policy: f.policy, bound }, values[bound]);
    }
    this.anomalies(plan);
  }

  /** qm_anomaly and qm_anomaly_deviation: labels are a policy and the metric it reads (bounded by the policy). */
  private anomalies(plan: Plan): void {
    const now = new Set<string>();
    for (const a of plan.anomalies ?? []) {
      const labels = { policy: a.policy, series: a.metric };
      const key = `${a.policy}\u0000${a.metric}`;
      now.add(key);
      this.anomalySeen.set(key, labels);
      this.anomaly.set(labels, 1);
      if (Number.isFinite(a.deviation)) this.anomalyDeviation.set(labels, a.deviation);
    }
    for (const [key, labels] of this.anomalySeen) if (!now.has(key)) this.anomaly.set(labels, 0);
  }

  /** Forget the fleet gauges (a leader stepping down): only the leader describes the fleet, so a follower's stale values never feed max() in alerts. */
  clearFleet(): void {
    this.changed();
    this.fleetText.changed();
    this.fleetInput = undefined;
    this.fleetRegistry.resetMetrics();
    this.driverUp.reset();
    this.anomalySeen.clear();
    this.drift.set(0);
    this.driftPools.set(0);
  }

  /** Requests next to real use per agent: labels are agents and three resources, never instances. */
  private usage(observed: ObservedState): void {
    const { rows, measured } = agentGauges(observed);
    for (const [agent, n] of measured) this.agentMeasured.set({ agent }, n);
    for (const r of rows) {
      this.agentRequests.set({ agent: r.agent, resource: r.resource }, r.requests);
      if (r.use !== undefined) this.agentUsage.set({ agent: r.agent, resource: r.resource }, r.use);
    }
  }

  /** The exposition in Prometheus text format. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: (await this.qmText.text()) + (await this.fleetText.text()) + (await this.process.metrics()) };
  }
}

/** A registry's text, rendered once and kept until changed(). */
class RenderedText {
  private version = 0;
  private kept: { version: number; text: string } | undefined;

  constructor(private readonly registry: Registry) {}

  changed(): void {
    this.version++;
  }

  async text(): Promise<string> {
    const version = this.version;
    if (this.kept?.version === version) return this.kept.text;
    const text = await this.registry.metrics();
    // Something recorded while it rendered: keep it for this answer only.
    if (this.version === version) this.kept = { version, text };
    return text;
  }
}

/** The part of a plan's forecast entry (autoscaler PlanForecastEntry) the metrics read. */
interface ForecastLike {
  policy?: unknown;
  points?: { value: number; lower: number; upper: number }[];
}
