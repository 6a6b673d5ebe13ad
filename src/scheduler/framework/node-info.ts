/** Per-node scheduling state, kept incrementally as instances are placed and removed. */
import type { PoolDoc } from '../../model/documents.js';
import type { ObservedNode } from '../../model/state.js';
import type { NodeView } from '../views.js';
import { perDeviceMillis } from './gpu-devices.js';
import type { Pod } from './workload.js';

export class NodeInfo {
  /** Requests of every instance on the node. */
  readonly allocated: Float64Array;
  /** Requests of guaranteed instances only: they must fit real capacity. */
  readonly guaranteed: Float64Array;
  /** Used millis per GPU device. */
  readonly gpuUsed: Int32Array;
  readonly pods: Pod[] = [];
  /** Bumped on every change; score caches compare it. */
  version = 0;

  constructor(
    readonly index: number,
    readonly node: ObservedNode,
    readonly pool: PoolDoc | undefined,
    readonly view: NodeView,
    readonly capacity: Float64Array,
    /** capacity × overcommit per resource (GPU never overcommitted). */
    readonly overcommitted: Float64Array,
    gpuDevices: number,
  ) {
    this.allocated = new Float64Array(capacity.length);
    this.guaranteed = new Float64Array(capacity.length);
    this.gpuUsed = new Int32Array(gpuDevices);
  }

  get name(): string {
    return this.node.name;
  }

  private twin?: string;

  /**
   * Everything about the node but its name and state: nodes with equal keys and equal state score
   * alike under every node-local dynamic score (see ScorePlugin.nodeLocal).
   */
  twinKey(): string {
    if (this.twin === undefined) {
      const { name: _name, ...rest } = this.node;
      this.twin = JSON.stringify([rest, this.pool?.metadata.name, Array.from(this.capacity), Array.from(this.overcommitted), this.gpuUsed.length]);
    }
    return this.twin;
  }

  /** Adds a pod's requests and devices (no bookkeeping beyond this node). */
  addResources(pod: Pod): void {
    const r = pod.req;
    for (let i = 0; i < r.length; i++) this.allocated[i]! += r[i]!;
    if (pod.agent.cls === 'guaranteed') for (let i = 0; i < r.length; i++) this.guaranteed[i]! += r[i]!;
    const per = perDeviceMillis(pod.gpuMillis);
    for (const d of pod.devices) if (d < this.gpuUsed.length) this.gpuUsed[d]! += per;
  }

  removeResources(pod: Pod): void {
    const r = pod.req;
    for (let i = 0; i < r.length; i++) this.allocated[i]! -= r[i]!;
    if (pod.agent.cls === 'guaranteed') for (let i = 0; i < r.length; i++) this.guaranteed[i]! -= r[i]!;
    const per = perDeviceMillis(pod.gpuMillis);
    for (const d of pod.devices) if (d < this.gpuUsed.length) this.gpuUsed[d]! -= per;
  }

  attach(pod: Pod): void {
    this.addResources(pod);
    this.pods.push(pod);
    this.version++;
  }

  detach(pod: Pod): void {
    this.removeResources(pod);
    const i = this.pods.indexOf(pod);
    if (i >= 0) this.pods.splice(i, 1);
    this.version++;
  }

  /** Free millis summed over devices. */
  gpuFree(): number {
    let f = 0;
    for (let d = 0; d < this.gpuUsed.length; d++) f += 1000 - this.gpuUsed[d]!;
    return f;
  }
}
