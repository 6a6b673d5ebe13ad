/**
 * The policy documents of SPEC §2 after validation and normalisation: defaults applied,
 * quantities in canonical units (ResourceList), durations in seconds.
 */
import type { ResourceList } from './quantity.js';

export const API_VERSION = 'quartermaster.dev/v1alpha1';

export const KINDS = [
  'Pool',
  'Agent',
  'Quota',
  'AffinityRule',
  'ScalingPolicy',
  'SchedulingProfile',
  'Policy',
  'MetricSource',
  'Driver',
] as const;
export type Kind = (typeof KINDS)[number];

export const BUILTIN_DRIVER_TYPES = ['sim', 'docker', 'kubernetes', 'clusterapi', 'aws', 'exec'] as const;
export type DriverType = (typeof BUILTIN_DRIVER_TYPES)[number];

export const TIERS = ['bronze', 'silver', 'gold', 'platinum'] as const;
export type Tier = (typeof TIERS)[number];
export type AgentClass = 'guaranteed' | 'burstable' | 'best_effort';

/** Where a document came from, for diagnostics and plan reasons. */
export interface SourceRef {
  file: string;
  /** 0-based index of the document within its file. */
  index: number;
  line: number;
  column: number;
}

export interface Metadata {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface DocBase<K extends Kind, S> {
  apiVersion: typeof API_VERSION;
  kind: K;
  metadata: Metadata;
  spec: S;
  source: SourceRef;
}

/** A JSON Logic rule (json-logic-js semantics). */
export type JsonLogic = unknown;

export interface Selector {
  matchLabels?: Record<string, string>;
  match?: JsonLogic;
}

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule';
}

export interface Toleration {
  key?: string;
  operator: 'Equal' | 'Exists';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule';
}

export interface NodeShape {
  capacity: ResourceList;
  labels: Record<string, string>;
  taints: Taint[];
  costPerHour: number;
  powerWatts: number;
}

export interface StaticNode {
  name: string;
  zone?: string;
  address?: string;
  labels: Record<string, string>;
  capacity: ResourceList;
}

export interface PoolSpec {
  driver: string;
  provisioner?: string;
  tier: Tier;
  region: string;
  zones: string[];
  state: 'active' | 'draining' | 'maintenance';
  node: NodeShape;
  size: { min: number; max: number; initial: number };
  nodes?: StaticNode[];
  /** Ratio per canonical resource key, ≥ 1. */
  overcommit: Record<string, number>;
  reserve?: { percent: number; forPriorityAtLeast: number };
  access?: { agentTypes?: string[]; owners?: string[] };
}
export type PoolDoc = DocBase<'Pool', PoolSpec>;

export interface AgentAffinityTerm {
  selector: Selector;
  topologyKey: string;
  required: boolean;
  weight: number;
}

export interface TopologySpreadConstraint {
  topologyKey: string;
  maxSkew: number;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  minDomains?: number;
  selector?: Selector;
}

export interface PlacementRules {
  nodeAffinity?: {
    required?: Selector;
    preferred?: { weight: number; selector: Selector }[];
  };
  agentAffinity?: AgentAffinityTerm[];
  agentAntiAffinity?: AgentAffinityTerm[];
  topologySpread?: TopologySpreadConstraint[];
}

export interface AgentSpec {
  type: string;
  owner: string;
  replicas: number;
  class: AgentClass;
  priority: number;
  resources: { requests: ResourceList; limits?: ResourceList };
  placement: PlacementRules & {
    pools?: string[];
    tiers?: Tier[];
    nodeSelector?: Record<string, string>;
    tolerations?: Toleration[];
  };
  runtime: { image?: string; command?: string[]; env?: Record<string, string>; [k: string]: unknown };
  dependsOn: string[];
}
export type AgentDoc = DocBase<'Agent', AgentSpec>;

export interface AffinityRuleSpec extends PlacementRules {
  appliesTo: Selector;
}
export type AffinityRuleDoc = DocBase<'AffinityRule', AffinityRuleSpec>;

export interface QuotaSpec {
  owner: string;
  scope?: { pools?: string[]; tiers?: Tier[] };
  /** Canonical resources plus `agents` (instance count). */
  limits: ResourceList;
  cohort?: string;
  borrowingLimit?: ResourceList;
  lendingLimit?: ResourceList;
  /** Kueue's reclaimWithinCohort: whether this quota's owner takes back lent quota by preempting borrowers (default Never). */
  reclaimWithinCohort?: 'Never' | 'LowerPriority' | 'Any';
}
export type QuotaDoc = DocBase<'Quota', QuotaSpec>;

export interface MetricRef {
  source: string;
  query?: string;
  series?: string;
}

export interface CronWindow {
  cron: string;
  timezone: string;
  /** Seconds. */
  duration: number;
}

export interface ScalingBehaviorRule {
  stabilizationWindow: number;
  cooldown: number;
  maxStep?: number;
  maxPercent?: number;
}

export interface ScalingPolicySpec {
  target: { kind: 'Pool' | 'Agent'; name: string };
  min: number;
  max: number;
  targetUtilizationPercent?: number;
  tolerancePercent: number;
  metrics: { metric: MetricRef; targetPerReplica: number }[];
  triggers: {
    name: string;
    metric: MetricRef;
    operator: 'gt' | 'gte' | 'lt' | 'lte';
    threshold: number;
    for: number;
    change: { by?: number; to?: number };
  }[];
  schedules: (CronWindow & { min?: number; max?: number })[];
  predictive?: {
    metric: MetricRef;
    targetPerReplica: number;
    horizon: number;
    lookback: number;
    mode: 'forecastOnly' | 'forecastAndScale';
  };
  behavior: { scaleUp: ScalingBehaviorRule; scaleDown: ScalingBehaviorRule };
  windows: (CronWindow & { deny: boolean })[];
  /** Anomaly check of the policy's metrics (absent: the defaults, see DEFAULT_ANOMALY_CHECK in src/autoscaler/anomaly.ts). */
  anomalies?: { enabled: boolean; consecutive: number; level: number };
  /** Pool targets: nodes below this utilisation (percent, dominant resource) may be removed. */
  scaleDownUtilizationPercent: number;
  /** Pool targets: …once unchanged this long (seconds). */
  scaleDownUnneededTime: number;
}
export type ScalingPolicyDoc = DocBase<'ScalingPolicy', ScalingPolicySpec>;

/** Cluster Autoscaler's defaults: a node under 50 % utilisation, unneeded for 10 minutes, may go. */
export const DEFAULT_SCALE_DOWN_UTILIZATION_PERCENT = 50;
export const DEFAULT_SCALE_DOWN_UNNEEDED_SECONDS = 600;

export const ALGORITHMS = ['greedy', 'best-fit-decreasing', 'spread', 'round-robin', 'consistent-hash', 'genetic', 'optimal'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export interface SchedulingProfileSpec {
  algorithm: Algorithm;
  scoreWeights: { binpack: number; balance: number; affinity: number; spread: number; cost: number; power: number; [k: string]: number };
  preemption: boolean;
  rebalance: { enabled: boolean; maxImbalancePercent: number; maxMovesPerRun: number };
  disruptionBudget: { maxUnavailablePercent: number };
  /** Seconds. */
  timeBudget: number;
  seed: number;
}
export type SchedulingProfileDoc = DocBase<'SchedulingProfile', SchedulingProfileSpec>;

export interface PolicyRule {
  name: string;
  deny: JsonLogic;
  message: string;
  severity: 'error' | 'warning';
}
export interface PolicySpec {
  appliesTo: { kinds: Kind[]; selector?: Selector };
  rules: PolicyRule[];
}
export type PolicyDoc = DocBase<'Policy', PolicySpec>;

export interface MetricSourceSpec {
  prometheus?: { url: string; timeout: number; retries: number };
  file?: { path: string; replay?: boolean };
  /** Real use over requests of the target Agent's instances, as the drivers measure it (issue #15). */
  utilization?: Record<string, never>;
}
export type MetricSourceDoc = DocBase<'MetricSource', MetricSourceSpec>;

export interface DriverSpec {
  type: DriverType;
  [config: string]: unknown;
}
export type DriverDoc = DocBase<'Driver', DriverSpec>;

export type AnyDoc =
  | PoolDoc
  | AgentDoc
  | QuotaDoc
  | AffinityRuleDoc
  | ScalingPolicyDoc
  | SchedulingProfileDoc
  | PolicyDoc
  | MetricSourceDoc
  | DriverDoc;

/** Every validated document of a policy repository, by kind, each list sorted by name. */
export interface PolicySet {
  pools: PoolDoc[];
  agents: AgentDoc[];
  quotas: QuotaDoc[];
  affinityRules: AffinityRuleDoc[];
  scalingPolicies: ScalingPolicyDoc[];
  profile: SchedulingProfileDoc;
  policies: PolicyDoc[];
  metricSources: MetricSourceDoc[];
  drivers: DriverDoc[];
}

/** The profile used when the repository declares none. */
export const DEFAULT_PROFILE_SPEC: SchedulingProfileSpec = {
  algorithm: 'best-fit-decreasing',
  scoreWeights: { binpack: 1, balance: 1, affinity: 1, spread: 1, cost: 1, power: 0 },
  preemption: true,
  rebalance: { enabled: false, maxImbalancePercent: 10, maxMovesPerRun: 10 },
  disruptionBudget: { maxUnavailablePercent: 25 },
  timeBudget: 2,
  seed: 1,
};
