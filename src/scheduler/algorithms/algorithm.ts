/** Placement algorithms: the order instances are considered in, and how a node is chosen. */
import type { ClusterState } from '../framework/cluster.js';
import type { Evaluator } from '../framework/evaluator.js';
import type { Pod } from '../framework/workload.js';

export interface AlgorithmEnv {
  readonly seed: number;
  readonly cluster: ClusterState;
  /** Per-run state of the algorithm (e.g. the round-robin cursor). */
  readonly state: Map<string, unknown>;
  /** Nodes passing an instance's static filters (its placement rules), ascending. */
  readonly feasible?: (pod: Pod) => Int32Array;
}

export interface PlacementAlgorithm {
  readonly name: string;
  /** The order in which pending instances are placed; must be deterministic. */
  order(pods: Pod[], env: AlgorithmEnv): Pod[];
  /**
   * Adjusts the profile's score weights for this algorithm and an instance (default: unchanged);
   * `gpuDemand` says whether the workload fragmentation is measured against asks for GPUs.
   */
  weights?(weights: Record<string, number>, pod: Pod, gpuDemand: boolean): Record<string, number>;
  /** Whether blocked instances may take the place of planned ones that strand capacity (improve.ts). */
  readonly improve?: boolean;
  /** Whether to empty lightly loaded nodes afterwards by moving planned instances (consolidate.ts). */
  readonly consolidate?: boolean;
  /** A node passing every filter, or -1. */
  select(ev: Evaluator, pod: Pod, env: AlgorithmEnv): number;
}
