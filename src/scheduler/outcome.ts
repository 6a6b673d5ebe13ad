/** What one scheduling run decides, kept per instance, and its result in a deterministic order. */
import type { ClusterState } from './framework/cluster.js';
import type { Pod } from './framework/workload.js';
import type { Blocked, BlockedReason, Decision, Eviction, Move, Placement, Removal, ScheduleResult } from './types.js';

export class Outcome {
  readonly warnings: string[] = [];
  /** By pod id, in the order they were bound. */
  readonly placements = new Map<number, Placement>();
  readonly blocked = new Map<number, Blocked>();
  readonly evictions: Eviction[] = [];
  readonly moves: Move[] = [];
  readonly decisions = new Map<number, Decision>();

  block(pod: Pod, reasons: BlockedReason[], filtered?: Record<string, number>, summary?: string): void {
    this.blocked.set(pod.id, { instance: pod.name, agent: pod.agent.name, reasons, ...(summary ? { summary } : {}) });
    this.decisions.set(pod.id, { instance: pod.name, agent: pod.agent.name, outcome: 'blocked', ...(filtered ? { filtered } : {}) });
  }

  result(algorithm: string, removals: readonly Removal[]): ScheduleResult {
    const byInstance = <T extends { instance: string }>(a: T, b: T) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0);
    const byId = <T>(m: Map<number, T>) => [...m.keys()].sort((a, b) => a - b).map((id) => m.get(id)!);
    return {
      algorithm,
      placements: [...this.placements.values()],
      // Pod id order is agent name, then ordinal as a number: web-2 before web-10.
      blocked: byId(this.blocked),
      evictions: this.evictions,
      moves: this.moves,
      removals: [...removals].sort(byInstance),
      decisions: byId(this.decisions),
      warnings: this.warnings,
    };
  }
}

/** The placement record of a pod bound to `node` (its devices as chosen there). */
export function placementRecord(cluster: ClusterState, pod: Pod, node: number, devices: readonly number[], score: number, reason: string): Placement {
  const n = cluster.nodes[node]!;
  return {
    instance: pod.name,
    agent: pod.agent.name,
    pool: n.node.pool,
    node: n.name,
    requests: cluster.res.list(pod.req),
    ...(pod.gpuMillis > 0 ? { gpuDevices: [...devices] } : {}),
    score: Math.round(score),
    reason,
  };
}
