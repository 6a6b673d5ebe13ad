/**
 * Real resource use (issue #15): what instances actually consume, as opposed to the requests
 * written in YAML. Drivers that can measure it (Docker's stats endpoint, Kubernetes'
 * metrics.k8s.io) report it on observed instances; `qm serve` records one sample per instance per
 * minute in the state store; `qm status`, the `utilization` metric source and `qm recommend` read it.
 * Units are the canonical ones of requests (src/model/quantity.ts): cpuMillis, memoryBytes, gpuMillis.
 */
import type { ResourceList } from './quantity.js';

/** Use measured on one instance at one moment (or averaged over the driver's window). */
export interface InstanceUsage {
  /** ISO 8601 UTC: when the driver measured it (end of its averaging window). */
  at: string;
  /** Canonical keys only for resources the driver measured (a missing key means "not measured", never 0). */
  use: ResourceList;
}

/** One stored sample: an instance's use over one minute. */
export interface UsageSample {
  /** ISO 8601 UTC, truncated to the minute. */
  at: string;
  instance: string;
  agent: string;
  pool: string;
  node: string;
  use: ResourceList;
}

export interface UsageQuery {
  agent?: string;
  pool?: string;
  /** Inclusive. */
  since?: string;
  /** Exclusive. */
  until?: string;
}

/** Usage history in the state store: one row per (instance, minute); recording the same key again replaces it. */
export interface UsageStore {
  record(samples: readonly UsageSample[]): Promise<void>;
  /** Oldest first, then by instance name. */
  list(query?: UsageQuery): Promise<UsageSample[]>;
  /** The time of the newest sample (of this agent or pool), undefined when there is none: where a window ends without reading it all. */
  latest(query?: Pick<UsageQuery, 'agent' | 'pool'>): Promise<string | undefined>;
  /** Delete samples older than `before`; returns how many were deleted. */
  prune(before: string): Promise<number>;
}

/** Instances a driver copied only to add measured use, to the instance they were copied from. */
const measuredFrom = new WeakMap<object, object>();

/**
 * `instance` with `usage` added, remembering where it came from: whoever needs the instance
 * without its use (the plan input key) takes the original, which may be kept between runs.
 */
export function withUsage<T extends { usage?: InstanceUsage }>(instance: T, usage: InstanceUsage): T {
  const measured = { ...instance, usage };
  measuredFrom.set(measured, instance);
  return measured;
}

/** The instance withUsage copied `measured` from, when it was made by withUsage from one without use. */
export function unmeasured<T extends object>(measured: T): T | undefined {
  const from = measuredFrom.get(measured) as (T & { usage?: unknown }) | undefined;
  return from && from.usage === undefined ? from : undefined;
}
