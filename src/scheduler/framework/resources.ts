/** Resource vectors: every canonical key mapped to a dense index, so node state is arrays, not maps. */
import type { ResourceList } from '../../model/quantity.js';

export const GPU = 'gpuMillis';
const ORDER = ['cpuMillis', 'memoryBytes', 'gpuMillis', 'storageBytes', 'networkMbps'];

export class ResourceIndex {
  readonly keys: string[];
  readonly gpu: number;
  private readonly byKey = new Map<string, number>();

  /** Well-known keys first, then extended keys sorted, so vectors are ordered deterministically. */
  constructor(lists: Iterable<ResourceList>) {
    const extra = new Set<string>();
    for (const l of lists) for (const k in l) if (!ORDER.includes(k) && k !== 'agents') extra.add(k);
    this.keys = [...ORDER, ...[...extra].sort()];
    this.keys.forEach((k, i) => this.byKey.set(k, i));
    this.gpu = this.byKey.get(GPU)!;
  }

  get size(): number {
    return this.keys.length;
  }

  indexOf(key: string): number | undefined {
    return this.byKey.get(key);
  }

  vector(list: ResourceList | undefined): Float64Array {
    const v = new Float64Array(this.keys.length);
    if (list) for (const [k, x] of Object.entries(list)) {
      const i = this.byKey.get(k);
      if (i !== undefined) v[i] = x;
    }
    return v;
  }

  /** Back to a canonical list, zeros left out. */
  list(v: Float64Array): ResourceList {
    const out: ResourceList = {};
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) out[this.keys[i]!] = v[i]!;
    return out;
  }
}

/** Largest share of any resource the request takes of the capacity (Dominant Resource Fairness). */
export function dominantShare(req: Float64Array, cap: Float64Array): number {
  let best = 0;
  for (let i = 0; i < req.length; i++) {
    const r = req[i]!;
    if (r <= 0) continue;
    const c = cap[i]!;
    const s = c > 0 ? r / c : Infinity;
    if (s > best) best = s;
  }
  return best;
}
