/**
 * Observed state (SPEC §3): what a driver or a snapshot says exists, in canonical units.
 */
import type { ResourceList } from './quantity.js';
import type { InstanceUsage } from './usage.js';
import type { Taint } from './documents.js';

export interface ObservedNode {
  name: string;
  pool: string;
  region: string;
  zone: string;
  labels: Record<string, string>;
  taints: Taint[];
  ready: boolean;
  /** Allocatable capacity in canonical units. gpuMillis = devices × 1000. */
  capacity: ResourceList;
  costPerHour: number;
  powerWatts: number;
  /** Driver-specific address (a Docker endpoint, …). */
  address?: string;
  /** The cloud's id of the machine (Kubernetes `spec.providerID`, e.g. `aws:///us-east-1a/i-0abc…`). */
  providerId?: string;
}

export interface ObservedInstance {
  /** `<agent>-<ordinal>`. */
  name: string;
  agent: string;
  node: string;
  /** Canonical requests (from the snapshot, else the Agent's). */
  requests: ResourceList;
  /** ISO 8601; earlier-started instances are reprieved first during preemption. */
  startedAt?: string;
  /** GPU device indices on the node. */
  gpuDevices?: number[];
  /** The agent's template (runtime and resources) it was started from, as recorded by the driver (templateDigest). */
  template?: string;
  /** Real use, when the driver can measure it (src/model/usage.ts). */
  usage?: InstanceUsage;
}

export interface ScalingEvent {
  target: { kind: 'Pool' | 'Agent'; name: string };
  at: string;
  from: number;
  to: number;
}

export interface ObservedState {
  nodes: ObservedNode[];
  instances: ObservedInstance[];
  scalingHistory: ScalingEvent[];
}
