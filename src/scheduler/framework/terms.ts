/**
 * Inter-instance terms (affinity, anti-affinity, spread selectors) with their matching counts per
 * node and per topology domain, kept incrementally: this is what keeps (anti-)affinity and spread
 * checks O(1) per node instead of a scan over every placed instance.
 */
import type { Selector } from '../../model/documents.js';
import type { Pod } from './workload.js';

export class Term {
  /** Matching instances per node index. */
  readonly nodeCounts: Int32Array;
  /** Matching instances per domain of `key`. */
  readonly domainCounts = new Map<string, number>();
  /** Instances whose required anti-affinity is this term, per domain (for symmetry). */
  readonly ownerDomainCounts = new Map<string, number>();
  /** Matching instances anywhere. */
  total = 0;
  /** Per agent: 1 matches, 0 does not, -1 decided per instance (selector reads the instance name). */
  readonly agentMatch: Int8Array;
  private readonly podMatch = new Map<number, boolean>();

  constructor(
    readonly id: number,
    readonly selector: Selector | undefined,
    readonly key: string,
    /** Spread constraints without a selector count the same Agent. */
    readonly sameAgent: number,
    nodes: number,
    agents: number,
    private readonly matchInstance: (pod: Pod) => boolean,
  ) {
    this.nodeCounts = new Int32Array(nodes);
    this.agentMatch = new Int8Array(agents);
  }

  matches(pod: Pod): boolean {
    const m = this.agentMatch[pod.agent.index];
    if (m !== -1) return m === 1;
    let v = this.podMatch.get(pod.id);
    if (v === undefined) {
      v = this.matchInstance(pod);
      this.podMatch.set(pod.id, v);
    }
    return v;
  }

  domainCount(domain: string | undefined): number {
    return domain === undefined ? 0 : (this.domainCounts.get(domain) ?? 0);
  }

  ownerCount(domain: string | undefined): number {
    return domain === undefined ? 0 : (this.ownerDomainCounts.get(domain) ?? 0);
  }
}

export function bump(map: Map<string, number>, key: string | undefined, by: number): void {
  if (key === undefined) return;
  const v = (map.get(key) ?? 0) + by;
  if (v === 0) map.delete(key);
  else map.set(key, v);
}
