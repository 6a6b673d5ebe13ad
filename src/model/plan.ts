/**
 * The plan (SPEC §4): the public, versioned contract between planning, review and apply.
 * Renderers and `qm apply` read this and nothing else.
 */
import type { ResourceList } from './quantity.js';

export const PLAN_FORMAT_VERSION = '1.0';

/** Blocked reason codes of SPEC §4, the one list the scheduler, the renderers and the schema use. */
export const REASON_CODES = [
  'InsufficientResource',
  'NodeSelectorMismatch',
  'NodeAffinityMismatch',
  'AgentAffinityUnsatisfied',
  'AgentAntiAffinityConflict',
  'TopologySpreadViolation',
  'UntoleratedTaint',
  'PoolAccessDenied',
  'PoolNotActive',
  'QuotaExceeded',
  'DependencyNotPlaced',
  'NoPoolCanFit',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

interface ActionBase {
  /** "a1", "a2", … in apply order; an action only depends on actions listed before it. */
  id: string;
  reason: string;
  /** Ids of earlier actions that must succeed first (a 1.x addition: apply skips dependents of a failure). */
  dependsOn?: string[];
}

export interface ScalePoolAction extends ActionBase {
  type: 'scalePool';
  pool: string;
  from: number;
  to: number;
  addNodes: string[];
  removeNodes: string[];
}
export interface PlaceAction extends ActionBase {
  type: 'place';
  instance: string;
  agent: string;
  pool: string;
  node: string;
  requests: ResourceList;
  gpuDevices?: number[];
  score: number;
}
export interface MoveAction extends ActionBase {
  type: 'move';
  instance: string;
  agent: string;
  fromNode: string;
  toNode: string;
  gpuDevices?: number[];
}
export interface EvictAction extends ActionBase {
  type: 'evict';
  instance: string;
  agent: string;
  node: string;
}
export interface RemoveAction extends ActionBase {
  type: 'remove';
  instance: string;
  agent: string;
  node: string;
}
export interface ScaleAgentAction extends ActionBase {
  type: 'scaleAgent';
  agent: string;
  from: number;
  to: number;
}

export type PlanAction = ScalePoolAction | PlaceAction | MoveAction | EvictAction | RemoveAction | ScaleAgentAction;
export type ActionType = PlanAction['type'];

export interface PlanBlocked {
  instance: string;
  agent: string;
  reasons: { code: string; message: string }[];
  /** kube-scheduler style aggregate: "0/12 nodes fit: 8 InsufficientResource(gpu), 4 UntoleratedTaint" (1.x addition). */
  summary?: string;
}

export interface PlanPool {
  name: string;
  nodes: { current: number; planned: number };
  utilizationPercent: Record<string, { current: number; planned: number }>;
  /** GPU after the plan, for pools with ready GPU nodes (1.x addition; src/planner/gpu-waste.ts). */
  gpu?: PlanPoolGpu;
}

/** A pool's GPU millis after the plan: all, free, and free but stranded or fragmented (docs/plan-output.md). */
export interface PlanPoolGpu {
  capacityMillis: number;
  freeMillis: number;
  strandedMillis: number;
  fragmentedMillis: number;
  /** Blocked GPU instances whose Agent may use the pool. */
  blockedInstances: number;
}

export interface PlanQuota {
  name: string;
  used: ResourceList;
  limits: ResourceList;
}

export interface PlanWarning {
  code: string;
  message: string;
}

/** One point of an anomaly: observed, and what the history before the anomaly's samples forecast for it. */
export interface PlanAnomalyPoint {
  timestamp: string;
  value: number;
  expected: number;
  lower: number;
  upper: number;
}

/**
 * A metric that left its forecast's prediction interval for `samples` consecutive samples up to
 * the latest, all on one side (a 1.x addition; src/autoscaler/anomaly.ts, docs/forecasting.md#anomalies).
 */
export interface PlanAnomaly {
  /** The ScalingPolicy that reads the metric, and what it scales. */
  policy: string;
  target: { kind: 'Pool' | 'Agent'; name: string };
  /** The MetricSource. */
  source: string;
  /** The series name, or the query. */
  series: string;
  /** How reasons name the metric: "history/gpu_util", "prom: sum(rate(x[5m]))". */
  metric: string;
  direction: 'above' | 'below';
  /** The first and the last (latest) sample of the run outside the interval (at least `spec.anomalies.consecutive` long, up to an hour). */
  from: string;
  at: string;
  samples: number;
  /** The interval's level (0.95). */
  level: number;
  /** The model that forecast them (the one the forecaster chose for the series). */
  model: string;
  /** At `at`: the observed value, the forecast and its interval. */
  observed: number;
  expected: number;
  lower: number;
  upper: number;
  /** How far out at `at`, in interval half-widths from the forecast (1 = on the bound); signed, negative below. */
  deviation: number;
  /** (observed − expected) ÷ |expected| × 100 at `at`; absent when the forecast is 0. */
  deviationPercent?: number;
  /** Every sample outside the interval, oldest first. */
  points: PlanAnomalyPoint[];
}

export interface PlanInputs {
  policyDigest: string;
  gitCommit: string | null;
  stateFingerprint: string;
  now: string;
  /** Where the observed state came from: "sim", "snapshot:<file>", driver names (1.x addition). */
  source?: string;
  /** The state store the plan was made against (1.x addition): apply refuses a plan made for another. */
  stateId?: string | null;
  /**
   * What the fingerprint covers, one digest per item ("node/gpu-east-1", "instance/chat-0",
   * "quota/ml-team", "pool/gpu"), so apply can name what changed (1.x addition).
   */
  scope?: Record<string, string>;
  /**
   * Real use over requests per Agent and resource that ScalingPolicies with a `utilization`
   * MetricSource read (1.x addition): apply re-plans with these figures, not a new measurement.
   */
  utilization?: Record<string, Record<string, { percent: number; measured: number; instances: number; at: string }>>;
}

export interface Plan {
  formatVersion: string;
  planId: string;
  createdAt: string;
  inputs: PlanInputs;
  changes: boolean;
  summary: { place: number; move: number; evict: number; remove: number; scalePool: number; scaleAgent: number; blocked: number };
  actions: PlanAction[];
  blocked: PlanBlocked[];
  pools: PlanPool[];
  quotas: PlanQuota[];
  forecasts: unknown[];
  warnings: PlanWarning[];
  /** Metrics outside their forecast's interval (a 1.x addition): present only when there is one. */
  anomalies?: PlanAnomaly[];
}
