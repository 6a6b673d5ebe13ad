/**
 * A simulated kubelet for every node, plus the pod garbage collector. A pod bound to a Ready node
 * goes through kubelet admission in binding order: it is admitted when the node's allocatable
 * minus the requests of the pods already admitted there (not terminated) holds it, and then runs;
 * otherwise it fails with the kubelet's reason (`OutOfcpu`, `OutOfmemory`, `OutOfnvidia.com/gpu`,
 * `OutOfpods`) and message. Pods of a deleted node are deleted (podgc).
 */
import { T } from './api.js';
import type { Timers } from './cluster.js';
import type { KubeletOptions } from './server.js';
import type { KubeObject, Store } from './store.js';
import { keyOf } from './store.js';
import { isNodeReady, isTerminated, podRequests } from './objects.js';
import { kubeletAmount, toMilli } from './quantity.js';

let podIpSeq = 0;

export class Kubelet {
  /** uids of the pods a kubelet admitted (they hold resources until they end or are deleted). */
  private readonly admitted = new Set<string>();
  private readonly queue: string[] = [];
  private readonly orphanedNodes: string[] = [];
  private scheduled = false;

  constructor(private readonly store: Store, private readonly now: () => Date, private readonly timers: Timers, private readonly options: KubeletOptions | false) {
    if (!options) return;
    store.onChange((type, change, obj, old) => {
      if (type === T.pods) {
        if (change === 'DELETED') this.admitted.delete(obj.metadata.uid);
        else if (obj.spec?.nodeName && obj.status?.phase === 'Pending' && !this.admitted.has(obj.metadata.uid) && !old?.spec?.nodeName) this.enqueue(obj);
        else if (change === 'ADDED' && obj.spec?.nodeName && obj.status?.phase === 'Pending') this.enqueue(obj);
      } else if (type === T.nodes) {
        if (change === 'DELETED') {
          this.orphanedNodes.push(obj.metadata.name);
          this.schedule();
        } else if (isNodeReady(obj) && !(old && isNodeReady(old))) {
          for (const p of store.indexed(T.pods, 'node', obj.metadata.name)) if (p.status?.phase === 'Pending' && !this.admitted.has(p.metadata.uid)) this.enqueue(p);
        }
      }
    });
  }

  get enabled(): boolean {
    return this.options !== false;
  }

  private enqueue(p: KubeObject): void {
    this.queue.push(`${keyOf(p.metadata.namespace, p.metadata.name)}\u0000${p.metadata.uid}`);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.drain());
  }

  /** Runs queued admissions and pod garbage collection now, in order. */
  drain(): void {
    this.scheduled = false;
    while (this.orphanedNodes.length) {
      const node = this.orphanedNodes.shift()!;
      if (this.store.get(T.nodes, undefined, node)) continue;
      for (const p of this.store.indexed(T.pods, 'node', node)) this.store.delete(T.pods, p);
    }
    while (this.queue.length) {
      const [key, uid] = this.queue.shift()!.split('\u0000') as [string, string];
      const [ns, name] = key.split('/') as [string, string];
      const pod = this.store.get(T.pods, ns, name);
      if (!pod || pod.metadata.uid !== uid || this.admitted.has(uid) || pod.status?.phase !== 'Pending' || pod.metadata.deletionTimestamp) continue;
      const node = this.store.get(T.nodes, undefined, pod.spec?.nodeName ?? '');
      if (!node || !isNodeReady(node)) continue; // waits for its node to register or become ready
      this.admit(pod, node);
    }
  }

  private admit(pod: KubeObject, node: KubeObject): void {
    const misfit = this.misfit(pod, node);
    if (misfit) {
      this.store.replace(T.pods, pod, { ...pod, status: { ...pod.status, phase: 'Failed', reason: misfit.reason, message: misfit.message, startTime: this.stamp() } });
      return;
    }
    this.admitted.add(pod.metadata.uid);
    const run = () => {
      const cur = this.store.get(T.pods, pod.metadata.namespace, pod.metadata.name);
      if (!cur || cur.metadata.uid !== pod.metadata.uid || cur.status?.phase !== 'Pending') return;
      this.store.replace(T.pods, cur, { ...cur, status: this.statusFor(cur, 'Running', node) });
    };
    const delay = (this.options && this.options.startDelayMs) || 0;
    if (delay > 0) this.timers.after(delay, run);
    else run();
  }

  /** The first resource the node cannot hold for this pod, as the kubelet's admission reports it. */
  misfit(pod: KubeObject, node: KubeObject): { reason: string; message: string } | undefined {
    const used = new Map<string, number>();
    let podCount = 0;
    for (const p of this.store.indexed(T.pods, 'node', node.metadata.name)) {
      if (p.metadata.uid === pod.metadata.uid || !this.admitted.has(p.metadata.uid) || isTerminated(p)) continue;
      podCount++;
      for (const [r, v] of podRequests(p)) used.set(r, (used.get(r) ?? 0) + v);
    }
    const alloc = (node.status?.allocatable ?? {}) as Record<string, string>;
    const maxPods = Math.floor((toMilli(alloc.pods ?? '110') ?? 110000) / 1000);
    if (podCount + 1 > maxPods) return { reason: 'OutOfpods', message: `Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: ${podCount}, capacity: ${maxPods}` };
    const req = podRequests(pod);
    const order = ['cpu', 'memory', 'ephemeral-storage', ...[...req.keys()].filter((r) => !['cpu', 'memory', 'ephemeral-storage'].includes(r)).sort()];
    for (const r of order) {
      const want = req.get(r) ?? 0;
      if (want === 0) continue;
      const cap = toMilli(alloc[r] ?? '0') ?? 0;
      const u = used.get(r) ?? 0;
      if (u + want > cap) {
        return { reason: `OutOf${r}`, message: `Pod was rejected: Node didn't have enough resource: ${r}, requested: ${kubeletAmount(r, want)}, used: ${kubeletAmount(r, u)}, capacity: ${kubeletAmount(r, cap)}` };
      }
    }
    return undefined;
  }

  /** A status as the kubelet reports it for a running (or finished) pod. */
  statusFor(pod: KubeObject, phase: 'Running' | 'Succeeded' | 'Failed', node?: KubeObject): Record<string, unknown> {
    const at = this.stamp();
    const ready = phase === 'Running' ? 'True' : 'False';
    const n = ++podIpSeq;
    const podIP = `10.244.${(n >> 8) & 255}.${n & 255}`;
    const hostIP = ((node?.status?.addresses ?? []) as { type: string; address: string }[]).find((a) => a.type === 'InternalIP')?.address ?? '10.0.0.1';
    const cond = (type: string, status: string) => ({ type, status, lastProbeTime: null, lastTransitionTime: at });
    const containers = (pod.spec?.containers ?? []) as { name: string; image: string }[];
    return {
      ...pod.status,
      phase,
      conditions: [cond('PodReadyToStartContainers', 'True'), cond('Initialized', 'True'), cond('Ready', ready), cond('ContainersReady', ready), cond('PodScheduled', 'True')],
      hostIP, hostIPs: [{ ip: hostIP }], podIP, podIPs: [{ ip: podIP }], startTime: at,
      containerStatuses: containers.map((c) => ({
        name: c.name, image: c.image, imageID: `docker.io/library/${c.image}@sha256:${'0'.repeat(64)}`, containerID: `containerd://${n.toString(16).padStart(64, '0')}`,
        ready: phase === 'Running', started: phase === 'Running', restartCount: 0,
        state: phase === 'Running' ? { running: { startedAt: at } } : { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, reason: phase === 'Succeeded' ? 'Completed' : 'Error', startedAt: at, finishedAt: at } },
      })),
    };
  }

  /** For pods a test adds directly in a running phase: they hold resources like admitted pods. */
  markAdmitted(pod: KubeObject): void {
    this.admitted.add(pod.metadata.uid);
  }

  /** DELETE of a pod: gone at once, or terminating for `terminationMs` while its node still counts it. */
  deletePod(pod: KubeObject): KubeObject {
    const grace = (this.options && this.options.terminationMs) || 0;
    if (grace > 0 && this.admitted.has(pod.metadata.uid) && !isTerminated(pod)) {
      if (pod.metadata.deletionTimestamp) return pod;
      const at = new Date(this.now().getTime() + grace).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const terminating = this.store.replace(T.pods, pod, { ...pod, metadata: { ...pod.metadata, deletionTimestamp: at, deletionGracePeriodSeconds: Math.ceil(grace / 1000) } });
      this.timers.after(grace, () => {
        const cur = this.store.get(T.pods, pod.metadata.namespace, pod.metadata.name);
        if (cur && cur.metadata.uid === pod.metadata.uid) this.store.delete(T.pods, cur);
        this.drain();
      });
      return terminating;
    }
    return this.store.delete(T.pods, pod);
  }

  private stamp(): string {
    return this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
}
