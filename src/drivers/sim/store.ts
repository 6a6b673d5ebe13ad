/** What the sim driver needs of the state store: a simulated cluster per driver name. */
import type { ObservedInstance, ObservedNode, ScalingEvent } from '../../model/state.js';

export interface SimCluster {
  nodes: ObservedNode[];
  instances: ObservedInstance[];
  /** Pools the cluster has materialised (so a pool scaled to zero does not come back with initial nodes). */
  pools: string[];
}

export type SimOp =
  | { op: 'putNode'; node: ObservedNode }
  | { op: 'deleteNode'; name: string }
  | { op: 'putInstance'; instance: ObservedInstance }
  | { op: 'deleteInstance'; name: string }
  | { op: 'addPool'; pool: string };

export interface SimStore {
  simGet(cluster: string): Promise<SimCluster>;
  /** Apply all ops in one transaction. */
  simApply(cluster: string, ops: SimOp[]): Promise<void>;
  scalingHistory(): Promise<ScalingEvent[]>;
  appendScaling(event: ScalingEvent & { planId?: string; reason?: string }): Promise<void>;
}
