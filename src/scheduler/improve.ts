/**
 * Swap improvement after packing: an instance planned in this run on a node whose free GPU no
 * blocked instance can use (slivers on devices, or CPU or memory used up) may give way to two or
 * more blocked instances of at least its priority that then fit on that node. Each swap
 * places more instances and uses more of the node; the displaced instance is blocked instead,
 * or — when another node takes it — moves there, and then one blocked instance is enough.
 * Never touches running instances. Bounded in work, deterministic.
 */
import type { ClusterState } from './framework/cluster.js';
import type { Evaluator } from './framework/evaluator.js';
import { chooseDevices, devicesFit, NO_DEVICES, perDeviceMillis } from './framework/gpu-devices.js';
import type { Pod } from './framework/workload.js';
import { fits } from './plugins/node-resources/fit.js';

/** Upper bound on filter evaluations. */
export const IMPROVE_WORK_LIMIT = 3_000_000;

export interface ImproveHooks {
  remove(p: Pod): void;
  add(p: Pod): void;
}

export interface Swap {
  displaced: Pod;
  placed: Pod[];
  /** Where the displaced instance went instead of being blocked, when another node takes it. */
  movedFrom?: number;
}

export function improve(cluster: ClusterState, ev: Evaluator, blocked: Pod[], isPlanned: (p: Pod) => boolean, hooks: ImproveHooks): Swap[] {
  const waiting = blocked.filter((p) => p.gpuMillis > 0).sort((a, b) => b.gpuMillis - a.gpuMillis || a.id - b.id);
  if (waiting.length < 2) return [];
  const smallest = waiting[waiting.length - 1]!.gpuMillis;
  const nodes = cluster.nodes;
  // Nodes where capacity is stranded: GPU left that no waiting instance can use there
  // (slivers on devices, or CPU/memory exhausted). Their planned instances are the candidates,
  // the node with the most stranded GPU first.
  const stranded = new Map<number, number>();
  const probe = waiting[waiting.length - 1]!;
  for (const n of nodes) {
    const free = n.gpuFree();
    if (free <= 0 || n.pods.length === 0) continue;
    const usable = fits(probe, n) && devicesFit(n.gpuUsed, smallest);
    if (!usable) stranded.set(n.index, free);
  }
  const candidates: Pod[] = [];
  for (const [node] of stranded) for (const p of nodes[node]!.pods) if (isPlanned(p)) candidates.push(p);
  candidates.sort((a, b) => stranded.get(b.node)! - stranded.get(a.node)! || b.gpuMillis - a.gpuMillis || a.id - b.id);
  const swaps: Swap[] = [];
  const done = new Uint8Array(waiting.length);
  // Waiting instances with the same request vector (one agent's own requests) fit a node alike:
  // once one of them does not fit the node as it stands, the rest are skipped until the node changes.
  const classOf = new Int32Array(waiting.length);
  const classes = new Map<Float64Array, number>();
  waiting.forEach((b, i) => {
    let c = classes.get(b.req);
    if (c === undefined) classes.set(b.req, (c = classes.size));
    classOf[i] = c;
  });
  const misfit = new Int32Array(classes.size).fill(-1);
  // Consecutive instances of one class (one agent, ordered by id) form a run: a class that does not
  // fit skips the rest of its run at once, counting the work as if each instance had been looked at.
  const runEnd = new Int32Array(waiting.length);
  for (let i = waiting.length - 1; i >= 0; i--) runEnd[i] = i + 1 < waiting.length && classOf[i + 1] === classOf[i] ? runEnd[i + 1]! : i + 1;
  // Done instances from each position on: what a skip passes over without counting.
  const doneFrom = new Int32Array(waiting.length + 1);
  const skipRun = (from: number, end: number) => end - from - (doneFrom[from]! - doneFrom[end]!);
  const markDone = (at: readonly number[]) => {
    for (const i of at) done[i] = 1;
    for (let i = waiting.length - 1; i >= 0; i--) doneFrom[i] = doneFrom[i + 1]! + done[i]!;
  };
  let stamp = 0;
  let work = 0;
  for (const p of candidates) {
    if (work > IMPROVE_WORK_LIMIT) break;
    if (p.node < 0) continue;
    const node = p.node;
    const n = nodes[node]!;
    const devices = p.devices;
    hooks.remove(p);
    cluster.unplace(p);
    const got: Pod[] = [];
    const gotAt: number[] = [];
    let gained = 0;
    stamp++;
    for (let i = 0; i < waiting.length; i++) {
      const b = waiting[i]!;
      if (done[i] === 1 || b.agent.priority < p.agent.priority) continue;
      if (misfit[classOf[i]!] === stamp) {
        work += skipRun(i, runEnd[i]!);
        i = runEnd[i]! - 1;
        continue;
      }
      work++;
      if (!fits(b, n) || !devicesFit(n.gpuUsed, b.gpuMillis)) {
        misfit[classOf[i]!] = stamp;
        work += skipRun(i + 1, runEnd[i]!);
        i = runEnd[i]! - 1;
        continue;
      }
      // The node's static rules first (a lookup): starting the instance's cycle costs more, and on a
      // fleet with GPU-model constraints most waiting instances may not use this node at all.
      if (ev.statics(b).position[node]! < 0) continue;
      ev.begin(b);
      if (ev.dynamicStatus(b, node).code !== 'Success') continue;
      cluster.place(b, node, chooseDevices(n.gpuUsed, b.gpuMillis) ?? NO_DEVICES);
      hooks.add(b);
      got.push(b);
      gotAt.push(i);
      stamp++;
      gained += perDeviceMillis(b.gpuMillis) * Math.max(1, b.gpuMillis / 1000);
    }
    // Repair: the instance that made room may fit another node (a CPU-only one taking the CPU
    // a GPU node's free GPUs need, typically). Then nothing is lost and one placed GPU instance
    // is already a gain. Its new node is chosen like any placement (filters, then scores).
    if (got.length >= 1) {
      work += 1;
      ev.begin(p);
      const to = ev.best(p);
      if (to >= 0 && to !== node) {
        cluster.place(p, to, chooseDevices(nodes[to]!.gpuUsed, p.gpuMillis) ?? NO_DEVICES);
        hooks.add(p);
        markDone(gotAt);
        swaps.push({ displaced: p, placed: got, movedFrom: node });
        continue;
      }
    }
    if (got.length >= 2 && gained > p.gpuMillis) {
      markDone(gotAt);
      swaps.push({ displaced: p, placed: got });
      continue;
    }
    for (const b of got) {
      hooks.remove(b);
      cluster.unplace(b);
    }
    cluster.place(p, node, devices);
    hooks.add(p);
  }
  return swaps;
}
