/** The cluster snapshot the plugins work on: nodes, agents, terms, and incremental bookkeeping. */
import type { PoolDoc } from '../../model/documents.js';
import { NO_DEVICES } from './gpu-devices.js';
import type { NodeInfo } from './node-info.js';
import type { ResourceIndex } from './resources.js';
import { bump, type Term } from './terms.js';
import type { AgentInfo, Pod } from './workload.js';

export class ClusterState {
  readonly byName = new Map<string, number>();
  /** Node indices touched, in order; score caches replay it. */
  readonly changeLog: number[] = [];
  /** Bumped whenever an instance leaves a node: caches that assume counts only grow start over. */
  removals = 0;
  private readonly domains = new Map<string, (string | undefined)[]>();

  constructor(
    readonly res: ResourceIndex,
    readonly nodes: NodeInfo[],
    readonly pools: Map<string, PoolDoc>,
    readonly agents: AgentInfo[],
    readonly terms: Term[],
  ) {
    nodes.forEach((n, i) => this.byName.set(n.name, i));
  }

  /** The node's domain for a topology key: node, pool, zone, region, or a label; undefined when absent. */
  domainOf(key: string, node: number): string | undefined {
    let column = this.domains.get(key);
    if (!column) {
      column = this.nodes.map((n) => topologyValue(n, key));
      this.domains.set(key, column);
    }
    return column[node];
  }

  place(pod: Pod, node: number, devices: number[]): void {
    pod.node = node;
    pod.devices = devices;
    this.nodes[node]!.attach(pod);
    this.count(pod, node, 1);
    this.changeLog.push(node);
  }

  unplace(pod: Pod): void {
    const node = pod.node;
    if (node < 0) return;
    this.count(pod, node, -1);
    this.nodes[node]!.detach(pod);
    pod.node = -1;
    pod.devices = NO_DEVICES;
    this.changeLog.push(node);
    this.removals++;
  }

  /** Takes a placed pod out of its node's resources and the term counts, without logging it (undo with resume). */
  suspend(pod: Pod): void {
    this.count(pod, pod.node, -1);
    this.nodes[pod.node]!.removeResources(pod);
  }

  resume(pod: Pod): void {
    this.nodes[pod.node]!.addResources(pod);
    this.count(pod, pod.node, 1);
  }

  private count(pod: Pod, node: number, by: number): void {
    for (const t of pod.agent.countedBy) {
      if (!t.matches(pod)) continue;
      t.nodeCounts[node]! += by;
      t.total += by;
      bump(t.domainCounts, this.domainOf(t.key, node), by);
    }
    for (const t of pod.agent.ownsAnti) bump(t.ownerDomainCounts, this.domainOf(t.key, node), by);
  }
}

export function topologyValue(n: NodeInfo, key: string): string | undefined {
  switch (key) {
    case 'node': return n.name;
    case 'pool': return n.node.pool;
    case 'zone': return n.node.zone || undefined;
    case 'region': return n.node.region || undefined;
    default: return n.node.labels[key];
  }
}
