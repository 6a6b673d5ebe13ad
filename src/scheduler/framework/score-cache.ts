/**
 * Per-agent score caches. For an agent whose scores depend only on each node's own state, the
 * score of node n changes only when n changes; the cache replays the cluster's change log to
 * re-score just those nodes, and a max-tree per partition gives the best node in O(log n).
 * Partitions follow the domains of the agent's first DoNotSchedule spread key, so a domain the
 * spread rule forbids is skipped whole.
 */
import { MaxTree } from './max-tree.js';

export interface Partition {
  tree: MaxTree;
  /** Node index per tree slot. */
  nodes: Int32Array;
}

export class ScoreCache {
  /** Partition per node, -1 when the node is not a candidate. */
  readonly partOf: Int32Array;
  /** Slot of the node in its partition's tree. */
  readonly slotOf: Int32Array;
  cursor = 0;
  /**
   * Whether a node was set aside for good (an anti-affinity conflict, which lasts while counts only
   * grow): such a cache starts over when an instance leaves a node; any other one replays the log.
   */
  sticky = false;

  constructor(
    readonly parts: Partition[],
    nodeCount: number,
    /** The topology key partitions follow, or undefined for one partition. */
    readonly partKey: string | undefined,
    public epoch: number,
  ) {
    this.partOf = new Int32Array(nodeCount).fill(-1);
    this.slotOf = new Int32Array(nodeCount).fill(-1);
    for (let pi = 0; pi < parts.length; pi++) {
      const nodes = parts[pi]!.nodes;
      for (let slot = 0; slot < nodes.length; slot++) {
        this.partOf[nodes[slot]!] = pi;
        this.slotOf[nodes[slot]!] = slot;
      }
    }
  }

  /** Sets every candidate's value at once (`values` by node index): one O(n) rebuild per tree instead of n updates. */
  fill(values: Float64Array): void {
    for (const part of this.parts) {
      const v = new Float64Array(part.nodes.length);
      for (let s = 0; s < v.length; s++) v[s] = values[part.nodes[s]!]!;
      part.tree.fill(v);
    }
  }

  /** Builds partitions of `candidates` by `domainOf` (nodes without a domain are left out when a key is given). */
  static build(candidates: Int32Array, nodeCount: number, partKey: string | undefined, domainOf: (n: number) => string | undefined, epoch: number): ScoreCache {
    const groups = new Map<string, number[]>();
    for (const n of candidates) {
      const d = partKey === undefined ? '' : domainOf(n);
      if (d === undefined) continue;
      const g = groups.get(d);
      if (g) g.push(n);
      else groups.set(d, [n]);
    }
    const keys = [...groups.keys()].sort();
    const parts = keys.map((k) => ({ tree: new MaxTree(groups.get(k)!.length), nodes: Int32Array.from(groups.get(k)!) }));
    return new ScoreCache(parts, nodeCount, partKey, epoch);
  }

  set(node: number, value: number): void {
    const p = this.partOf[node]!;
    if (p >= 0) this.parts[p]!.tree.set(this.slotOf[node]!, value);
  }

  value(node: number): number {
    const p = this.partOf[node]!;
    return p >= 0 ? this.parts[p]!.tree.values[this.slotOf[node]!]! : -Infinity;
  }

  /** The best node over partitions not excluded (ties: lowest node index), or -1. */
  best(excludedParts: Set<number> | undefined): number {
    let best = -1;
    let bestValue = -Infinity;
    for (let p = 0; p < this.parts.length; p++) {
      if (excludedParts?.has(p)) continue;
      const part = this.parts[p]!;
      const slot = part.tree.best();
      if (slot < 0) continue;
      const v = part.tree.values[slot]!;
      const n = part.nodes[slot]!;
      if (v > bestValue || (v === bestValue && n < best)) {
        best = n;
        bestValue = v;
      }
    }
    return best;
  }
}
