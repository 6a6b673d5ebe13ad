/** Extension-point contracts (kube-scheduler framework): filters return a Status, scores 0–100. */
import type { QuotaTracker } from '../quota/quota-tracker.js';
import type { ClusterState } from './cluster.js';
import type { NodeInfo } from './node-info.js';
import type { Status } from './status.js';
import type { Pod } from './workload.js';

/** What a plugin sees during one instance's scheduling cycle. */
export interface CycleContext {
  readonly cluster: ClusterState;
  readonly quotas: QuotaTracker;
  /** Per-cycle scratch written by preFilter / preScore, keyed by plugin name. */
  readonly cycle: Map<string, unknown>;
  /** Per-run caches of plugins, keyed by plugin name. */
  readonly runCache: Map<string, unknown>;
  /** Distribution of request shapes for fragmentation scoring. */
  readonly gpuWorkload: GpuWorkload;
}

/** The expected workload: request shapes with their share, and the distinct GPU sizes among them. */
export interface GpuWorkload {
  classes: GpuWorkloadClass[];
  /** Distinct GPU requests (> 0) of the classes. */
  sizes: number[];
  /** Index into `sizes` per class, -1 for classes without GPU. */
  sizeOf: Int32Array;
  /** GPU millis of the cluster's largest GPU node: the yardstick fragmentation changes are scored against. */
  scale?: number;
}

export interface GpuWorkloadClass {
  gpuMillis: number;
  cpuMillis: number;
  memoryBytes: number;
  /** Share of all instances, 0–1. */
  weight: number;
}

/**
 * `static` plugins depend only on the Agent and a node's fixed properties: the scheduler runs
 * them once per Agent and node. `dynamic` ones depend on what is placed and run per instance.
 */
export type PluginKind = 'static' | 'dynamic';

export interface FilterPlugin {
  readonly name: string;
  readonly kind: PluginKind;
  /** Prepares per-instance state (e.g. domain counts) before filtering nodes. */
  preFilter?(ctx: CycleContext, pod: Pod): void;
  filter(ctx: CycleContext, pod: Pod, node: NodeInfo): Status;
}


export interface ScorePlugin {
  readonly name: string;
  readonly kind: PluginKind;
  /** Key in SchedulingProfile.scoreWeights. */
  readonly weightKey: string;
  /**
   * True when the score depends only on the node's own state and attributes, never its name or
   * index (so per-node caches stay valid, and nodes alike in all but name score alike).
   */
  readonly nodeLocal: boolean;
  /** Whether the plugin has anything to say about this agent (else it is left out of the weighting). */
  applies(pod: Pod, ctx: CycleContext): boolean;
  preScore?(ctx: CycleContext, pod: Pod): void;
  /**
   * When set, `score` is a raw value the evaluator normalises over the nodes that pass every filter,
   * as kube's NormalizeScore does for InterPodAffinity: (raw − min) × 100 / (max − min), all 0 when
   * every node scores alike. Such a plugin is never node-local.
   */
  readonly normalize?: 'minMax';
  /** 0–100 (or raw, see `normalize`), higher is better, for a node that passed every filter. */
  score(ctx: CycleContext, pod: Pod, node: NodeInfo): number;
}

/** A plugin folder's export: its name and the extension points it implements. */
export interface PluginModule {
  readonly name: string;
  readonly filters: FilterPlugin[];
  readonly scores: ScorePlugin[];
}
