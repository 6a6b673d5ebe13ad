/**
 * Resource fit over every resource, extended ones included (kube's NodeResourcesFit): all
 * requests may reach capacity × the pool's overcommit ratio, guaranteed requests must fit real
 * capacity, and agents below the pool's reserve priority see capacity × (1 − reserve%).
 */
import { resourceName } from '../../../model/quantity.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { fail, SUCCESS, type Status } from '../../framework/status.js';
import type { Pod } from '../../framework/workload.js';

/** The share of capacity an instance of this priority may use on the node (1 − reserve). */
export function reserveFactor(node: NodeInfo, priority: number): number {
  const r = node.pool?.spec.reserve;
  return r && priority < r.forPriorityAtLeast ? 1 - r.percent / 100 : 1;
}

/** Indices of the resources that do not fit; empty when the instance fits. */
export function insufficient(pod: Pod, node: NodeInfo): number[] {
  const out: number[] = [];
  const factor = reserveFactor(node, pod.agent.priority);
  const guaranteed = pod.agent.cls === 'guaranteed';
  const req = pod.req;
  for (let i = 0; i < req.length; i++) {
    const r = req[i]!;
    if (r <= 0) continue;
    if (node.allocated[i]! + r > node.overcommitted[i]! * factor + 1e-9) out.push(i);
    else if (guaranteed && node.guaranteed[i]! + r > node.capacity[i]! * factor + 1e-9) out.push(i);
  }
  return out;
}

/** Fast check used on the hot path. */
export function fits(pod: Pod, node: NodeInfo): boolean {
  const factor = reserveFactor(node, pod.agent.priority);
  const guaranteed = pod.agent.cls === 'guaranteed';
  const req = pod.req;
  for (let i = 0; i < req.length; i++) {
    const r = req[i]!;
    if (r <= 0) continue;
    if (node.allocated[i]! + r > node.overcommitted[i]! * factor + 1e-9) return false;
    if (guaranteed && node.guaranteed[i]! + r > node.capacity[i]! * factor + 1e-9) return false;
  }
  return true;
}

const names = new Map<string, string>();
const nameOf = (key: string) => {
  let n = names.get(key);
  if (n === undefined) names.set(key, (n = resourceName(key)));
  return n;
};

/** One frozen status per resource key list and set of short resources: diagnosing a blocked instance asks every node. */
const statuses = new WeakMap<string[], Map<string, Status>>();

export function fitStatus(pod: Pod, node: NodeInfo, keys: string[]): Status {
  if (fits(pod, node)) return SUCCESS;
  const short = insufficient(pod, node);
  let byShort = statuses.get(keys);
  if (!byShort) statuses.set(keys, (byShort = new Map()));
  const id = short.join(',');
  let st = byShort.get(id);
  if (!st) byShort.set(id, (st = Object.freeze(fail('InsufficientResource', ...short.map((i) => nameOf(keys[i]!))))));
  return st;
}
