/**
 * Placing running instances again: draining pools move everything away, and instances started
 * from an older template of their agent are placed again from the current one (a move where
 * another node has room, else recreated on their node). Both take an instance off its node,
 * select another, and put it back as it was when none fits. Within the disruption budget.
 */
import type { ClusterState } from './framework/cluster.js';
import { moreImportant, type Pod } from './framework/workload.js';

export interface ReplaceHooks {
  /** Whether the instance runs where it was observed. */
  running(p: Pod): boolean;
  /** Disruptions still allowed for the agent in this plan. */
  budgetLeft(p: Pod): number;
  /** Takes the instance off its node (quotas and counts included). */
  unbind(p: Pod): void;
  /** Puts it back on `node` with `devices`, as it was. */
  restore(p: Pod, node: number, devices: number[]): void;
  /** The algorithm's node for it, or -1. */
  select(p: Pod): number;
  /** Binds it on `node` as a disruption, saying why. */
  bind(p: Pod, node: number, cause: string): void;
  warn(message: string): void;
}

/** Off its node and onto the one selected with `req` as its requests; -1 (and back as it was) when none fits. */
function reselect(cluster: ClusterState, pod: Pod, req: Float64Array, hooks: ReplaceHooks): number {
  const from = pod.node;
  const devices = pod.devices;
  const before = pod.req;
  hooks.unbind(pod);
  pod.req = req;
  pod.gpuMillis = req[cluster.res.gpu] ?? 0;
  const node = hooks.select(pod);
  if (node >= 0) return node;
  pod.req = before;
  pod.gpuMillis = before[cluster.res.gpu] ?? 0;
  hooks.restore(pod, from, devices);
  return -1;
}

/** A draining pool moves everything away, most important first. */
export function drain(cluster: ClusterState, pods: readonly Pod[], hooks: ReplaceHooks): void {
  if (![...cluster.pools.values()].some((p) => p.spec.state === 'draining')) return;
  const draining = pods.filter((p) => p.node >= 0 && hooks.running(p) && cluster.nodes[p.node]!.pool?.spec.state === 'draining').sort(moreImportant);
  for (const pod of draining) {
    const pool = cluster.nodes[pod.node]!.node.pool;
    if (hooks.budgetLeft(pod) <= 0) {
      hooks.warn(`${pod.name} stays on draining pool ${pool}: agent ${pod.agent.name}'s disruption budget is used up in this plan`);
      continue;
    }
    const node = reselect(cluster, pod, pod.req, hooks);
    if (node < 0) hooks.warn(`${pod.name} stays on draining pool ${pool}: no other node fits it`);
    else hooks.bind(pod, node, `pool ${pool} is draining`);
  }
}

/** Instances whose agent's template changed (pod id → why), placed again with the agent's current requests. */
export function rollout(cluster: ClusterState, pods: readonly Pod[], stale: ReadonlyMap<number, string>, hooks: ReplaceHooks): void {
  for (const [id, why] of stale) {
    const pod = pods[id]!;
    if (pod.node < 0 || !hooks.running(pod) || hooks.budgetLeft(pod) <= 0) continue;
    const node = reselect(cluster, pod, pod.agent.req, hooks);
    if (node < 0) hooks.warn(`${pod.name} keeps running its older template: ${why}, and the new one fits on no node`);
    else hooks.bind(pod, node, why);
  }
}
