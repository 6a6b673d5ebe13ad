/**
 * Allocation scores over the resources an instance requests, as if it were placed:
 * binpack = kube's MostAllocated; balance = mean of LeastAllocated and BalancedAllocation.
 */
import type { NodeInfo } from '../../framework/node-info.js';
import type { Pod } from '../../framework/workload.js';

/** Fractions of capacity in use after placing the instance, for each requested resource. */
function fractions(pod: Pod, node: NodeInfo, out: number[]): number {
  let n = 0;
  const req = pod.req;
  for (let i = 0; i < req.length; i++) {
    const r = req[i]!;
    const c = node.capacity[i]!;
    if (r <= 0 || c <= 0) continue;
    out[n++] = Math.min(1, (node.allocated[i]! + r) / c);
  }
  return n;
}

const scratch: number[] = [];

export function mostAllocatedScore(pod: Pod, node: NodeInfo): number {
  const n = fractions(pod, node, scratch);
  if (n === 0) return 0;
  let s = 0;
  for (let i = 0; i < n; i++) s += scratch[i]!;
  return (100 * s) / n;
}

export function balanceScore(pod: Pod, node: NodeInfo): number {
  const n = fractions(pod, node, scratch);
  if (n === 0) return 100;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += scratch[i]!;
  const mean = sum / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (scratch[i]! - mean) ** 2;
  const std = Math.sqrt(v / n);
  const least = 100 * (1 - mean);
  const balanced = 100 * (1 - std);
  return (least + balanced) / 2;
}
