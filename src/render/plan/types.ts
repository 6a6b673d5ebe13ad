/**
 * The plan JSON of SPEC §4 as TypeScript types: the public, versioned contract that every renderer
 * reads (STYLE rule 6). A newer minor version may add fields; readers ignore what they do not know.
 */

/** The format this qm writes. */
export const FORMAT_VERSION = '1.0';
/** The only major version this qm reads. */
export const SUPPORTED_MAJOR = 1;

/** Resources in canonical units: cpuMillis, memoryBytes, storageBytes, networkMbps, gpuMillis, extended keys (and `agents` for quotas). */
export type Resources = Record<string, number>;

export interface PlanInputs {
  policyDigest: string;
  gitCommit?: string | null;
  stateFingerprint: string;
  now: string;
}

export interface PlanSummary {
  place: number;
  move: number;
  evict: number;
  remove: number;
  scalePool: number;
  scaleAgent: number;
  blocked: number;
}

export interface ScalePoolAction {
  id: string;
  type: 'scalePool';
  pool: string;
  from: number;
  to: number;
  addNodes?: string[];
  removeNodes?: string[];
  reason: string;
}

export interface PlaceAction {
  id: string;
  type: 'place';
  instance: string;
  agent: string;
  pool: string;
  node: string;
  requests: Resources;
  gpuDevices?: number[];
  score?: number;
  reason: string;
}

export interface MoveAction {
  id: string;
  type: 'move';
  instance: string;
  agent: string;
  fromNode: string;
  toNode: string;
  reason: string;
}

export interface EvictAction {
  id: string;
  type: 'evict';
  instance: string;
  agent: string;
  node: string;
  reason: string;
}

export interface RemoveAction {
  id: string;
  type: 'remove';
  instance: string;
  agent: string;
  node: string;
  reason: string;
}

export interface ScaleAgentAction {
  id: string;
  type: 'scaleAgent';
  agent: string;
  from: number;
  to: number;
  reason: string;
}

export type PlanAction = ScalePoolAction | PlaceAction | MoveAction | EvictAction | RemoveAction | ScaleAgentAction;
export type ActionType = PlanAction['type'];

/**
 * The fields of each action type in SPEC §4 order (the canonical JSON key order); the optional ones
 * are listed in OPTIONAL_ACTION_KEYS. A test checks both against schemas/plan.schema.json.
 */
export const ACTION_KEYS = {
  scalePool: ['id', 'type', 'pool', 'from', 'to', 'addNodes', 'removeNodes', 'reason'],
  place: ['id', 'type', 'instance', 'agent', 'pool', 'node', 'requests', 'gpuDevices', 'score', 'reason'],
  move: ['id', 'type', 'instance', 'agent', 'fromNode', 'toNode', 'reason'],
  evict: ['id', 'type', 'instance', 'agent', 'node', 'reason'],
  remove: ['id', 'type', 'instance', 'agent', 'node', 'reason'],
  scaleAgent: ['id', 'type', 'agent', 'from', 'to', 'reason'],
} as const satisfies Record<ActionType, readonly string[]>;

export const OPTIONAL_ACTION_KEYS: Readonly<Record<string, readonly string[]>> = {
  scalePool: ['addNodes', 'removeNodes'],
  place: ['gpuDevices', 'score'],
};

/** Every action type, in the order SPEC §4 lists them in `summary`. */
export const ACTION_TYPES = ['place', 'move', 'evict', 'remove', 'scalePool', 'scaleAgent'] as const satisfies readonly ActionType[];

/** Blocked reason codes of SPEC §4 (the schema's enum), from the plan model. */
export { REASON_CODES as BLOCKED_REASON_CODES, type ReasonCode as BlockedReasonCode } from '../../model/plan.js';
import type { ReasonCode as BlockedReasonCode } from '../../model/plan.js';

export interface BlockedReason {
  /** One of BLOCKED_REASON_CODES (the schema checks it; typed as a string so planners' types fit). */
  code: BlockedReasonCode | (string & {});
  message: string;
}

export interface BlockedInstance {
  instance: string;
  agent: string;
  reasons: BlockedReason[];
  /** kube-scheduler style aggregate over the nodes ("0/12 nodes fit: …"), a 1.x addition. */
  summary?: string;
}

export interface CurrentPlanned {
  current: number;
  planned: number;
}

export interface PoolSummary {
  name: string;
  nodes: CurrentPlanned;
  /** Per resource (`cpu`, `memory`, `storage`, `network`, `gpu`, extended keys), in percent. */
  utilizationPercent?: Record<string, CurrentPlanned>;
  /** GPU millis after the plan (1.x addition). */
  gpu?: { capacityMillis?: number; freeMillis?: number; strandedMillis?: number; fragmentedMillis?: number; blockedInstances?: number };
}

export interface QuotaSummary {
  name: string;
  used: Resources;
  limits: Resources;
}

export interface TimedValue {
  timestamp: string;
  value: number;
}

export interface ForecastPoint extends TimedValue {
  lower?: number;
  upper?: number;
}

/**
 * A forecast made by a predictive scaling policy, as renderers see it (asForecast in describe.ts
 * picks these fields from whatever the plan holds); its fields may grow with minor versions.
 */
export interface PlanForecast {
  /** What is forecast: a string, or `{kind, name}` of the scaled object. */
  target?: string | { kind?: string; name?: string };
  series?: string;
  model?: string;
  /** Seconds, or a duration such as "1h". */
  horizon?: number | string;
  points?: ForecastPoint[];
  history?: TimedValue[];
  /** The capacity line: one number, or a value per timestamp. */
  capacity?: number | TimedValue[];
  /** How the history was prepared (outliers clipped, gaps filled): for the curious, not warnings. */
  notes?: string[];
}

export interface PlanWarning {
  code: string;
  message: string;
}

/** A metric outside its forecast's interval for `samples` samples in a row (plan JSON `anomalies`, a 1.x addition). */
export interface PlanAnomaly {
  policy: string;
  target?: { kind: string; name: string };
  source: string;
  series: string;
  metric: string;
  direction: 'above' | 'below';
  from: string;
  at: string;
  samples: number;
  level: number;
  model: string;
  observed: number;
  expected: number;
  lower: number;
  upper: number;
  /** In interval half-widths from the forecast, negative below. */
  deviation: number;
  deviationPercent?: number;
  points?: { timestamp: string; value: number; expected: number; lower: number; upper: number }[];
}

export interface Plan {
  formatVersion: string;
  planId: string;
  createdAt: string;
  inputs: PlanInputs;
  changes: boolean;
  summary: PlanSummary;
  actions: PlanAction[];
  blocked: BlockedInstance[];
  pools?: PoolSummary[];
  quotas?: QuotaSummary[];
  /** Loose objects (the schema only says "object"): read them through asForecast. */
  forecasts?: readonly unknown[];
  warnings?: PlanWarning[];
  /** Read through anomaliesOf (anomalies.ts), which skips entries of an unknown shape. */
  anomalies?: readonly unknown[];
}
