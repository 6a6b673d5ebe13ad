/**
 * The autoscaler's contract: metric data in (fetched by src/metrics/), decisions out. Pure types.
 */
import type { MetricRef, PolicySet } from '../model/documents.js';
import type { ObservedState } from '../model/state.js';
import type { PlanAnomaly } from '../model/plan.js';
import type { AnomalyState } from './anomaly.js';
import type { ForecastOptions, ForecastResult, SeriesPoint } from '../forecast/types.js';

export type { SeriesPoint } from '../forecast/types.js';

/** One metric as fetched: its samples (unix seconds, oldest first), or why there are none. */
export interface MetricResult {
  points: SeriesPoint[];
  /** Set when the source could not be read: the recommendations using it are dropped with a warning. */
  error?: string;
}

/** Every metric the scaling policies reference, by metricKey(ref). */
export type MetricData = Readonly<Record<string, MetricResult>>;

/** The key of a metric reference in MetricData: source, then series or query. */
export function metricKey(ref: MetricRef): string {
  return `${ref.source}\u0000${ref.series ?? ''}\u0000${ref.query ?? ''}`;
}

/** How a metric is named in reasons and warnings: "history/gpu_util", "prom: sum(rate(x[5m]))". */
export function metricLabel(ref: MetricRef): string {
  if (ref.series !== undefined) return `${ref.source}/${ref.series}`;
  const q = ref.query ?? '';
  return `${ref.source}: ${q.length > 60 ? `${q.slice(0, 57)}…` : q}`;
}

/** The forecasting function (src/forecast): pure, series in, forecast out. */
export type ForecastFn = (points: SeriesPoint[], opts: ForecastOptions) => ForecastResult;

/** One recommender's opinion at one moment. */
export interface Recommendation {
  /** "utilisation", "metric history/gpu_util", "trigger gpu-hot", "predictive", … */
  source: string;
  replicas: number;
  /** Why, in words: "utilisation gpu 92 % > target 70 % → 3 nodes (+1)". */
  text: string;
}

/** Facts the planner gathers for a pool by simulating placement (src/planner/pool-facts.ts). */
export interface PoolFacts {
  pool: string;
  /** Nodes observed. */
  current: number;
  /** Of them, ready (what `utilization` is measured over). Default: all. */
  ready?: number;
  /**
   * Of the nodes not ready, those still coming up (the pool scaled up less than
   * NODE_PROVISION_SECONDS ago): they count as capacity. Default: every node not ready.
   */
  upcoming?: number;
  /** Requested ÷ allocatable of the dominant resource after placement on the current nodes, pending included. */
  utilization?: { resource: string; percent: number };
  /** Instances blocked for lack of resources that new nodes of this pool would take, and how many nodes they need. */
  pending?: { instances: string[]; nodes: number; placeable: number };
  /** Nodes that can go: under the threshold long enough, their instances fit elsewhere, budget respected. */
  removable?: { node: string; utilizationPercent: number; unneededFor: number; instances: number }[];
  /** Why a node that looked removable was kept (shown in the reason when nothing else happens). */
  kept?: string[];
}

/**
 * Real use over requests per Agent and resource (cpu, memory, gpu), for metrics read from a
 * `utilization` MetricSource (src/metrics/utilization.ts). Absent: nothing fresh was measured.
 */
export type UtilizationData = Readonly<Record<string, Readonly<Record<string, { percent: number; measured: number; instances: number; at: string }>>>>;

/** A warning for the plan. */
export interface AutoscaleWarning {
  code: string;
  message: string;
}

/** A forecast as the plan carries it (fields renderers read through asForecast). */
export interface PlanForecastEntry {
  target: { kind: 'Pool' | 'Agent'; name: string };
  policy: string;
  series: string;
  model: string;
  horizon: number;
  step: number;
  origin: string;
  points: { timestamp: string; value: number; lower: number; upper: number }[];
  history: { timestamp: string; value: number }[];
  /** Capacity in the metric's unit: planned count × targetPerReplica. */
  capacity: number;
  mode: 'forecastOnly' | 'forecastAndScale';
  /** The count the forecast asks for. */
  recommendation: number;
  applied: boolean;
  /** How the history was prepared before fitting (outliers clipped, gaps filled): notes, not warnings. */
  notes?: string[];
}

export interface ScalingDecision {
  policy: string;
  target: { kind: 'Pool' | 'Agent'; name: string };
  from: number;
  to: number;
  /** The winning recommendation and every limit applied, in words. */
  reason: string;
  /** Each limit that changed the count: "maxStep 1", "cooldown", "deny window", … */
  limits: string[];
  recommendations: Recommendation[];
}

export interface AutoscaleInput {
  policy: PolicySet;
  observed: ObservedState;
  metrics: MetricData;
  /** ISO 8601. */
  now: string;
  forecast?: ForecastFn;
  /** Per pool with a policy: what placement simulation found (pending instances, removable nodes). */
  poolFacts?: ReadonlyMap<string, PoolFacts>;
  /** Real use per agent for metrics of `utilization` MetricSources. */
  utilization?: UtilizationData;
  /** The plan's anomaly checks (shared by the agents' and the pools' runs: one budget, each series once). */
  anomalies?: AnomalyState;
}

export interface AutoscaleOutput {
  pools: (ScalingDecision & { pool: string })[];
  agents: (ScalingDecision & { agent: string })[];
  forecasts: PlanForecastEntry[];
  warnings: AutoscaleWarning[];
  anomalies: PlanAnomaly[];
}

/** A sample older than this (or three sampling intervals, whichever is longer) is stale. */
export const STALE_AFTER_SECONDS = 600;

/**
 * How long nodes of a scale-up may take to become ready and still count as capacity coming
 * (Cluster Autoscaler's --max-node-provision-time, 15 minutes); later, a node not ready is broken
 * and replaced.
 */
export const NODE_PROVISION_SECONDS = 900;
