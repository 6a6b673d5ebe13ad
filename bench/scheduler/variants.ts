/**
 * The workload variants of the FGD paper (Weng et al., USENIX ATC '23, "Beware of Fragmentation",
 * §6), generated from the default Alibaba trace (`openb_pod_list_default.csv`) with a seed.
 *
 * The authors published the variant files (alibaba/clusterdata `cluster-trace-gpu-v2023/csv/`) but
 * not the script that made them. What follows is what the published files show (each was compared
 * with the default trace; two of them, gpushare40 and multigpu20, are in bench/data and
 * test/bench/variants.test.ts checks this generator against them):
 *
 * - Every pod of a variant is a copy of a pod of the default trace (same cpu, memory, num_gpu,
 *   gpu_milli). A class of pods that shrinks is sampled without replacement; a class that grows is
 *   sampled with replacement (like pandas `df.sample(n, replace=n > len(df))`).
 * - `gpushareN`: the 7,064 GPU pods are redrawn so that GPU-sharing pods (one GPU, gpu_milli < 1000)
 *   ask for N % of the GPU requests (the paper's axis: "proportion of GPU-sharing workloads in
 *   terms of GPU requests"); the other GPU pods (whole and multi-GPU) are drawn from one pool; the
 *   1,088 CPU-only pods are unchanged; the pod count stays 8,152.
 * - `multigpuN`: CPU-only, sharing and single-GPU pods are unchanged; multi-GPU pods are drawn
 *   until they ask for N % of the GPU requests (the pod count grows: 8,324 for multigpu20).
 * - `cpuNNN`: all GPU pods are kept and CPU-only pods are drawn so that they are NNN ‰ of the pods
 *   (cpu100 = 10 % of pods, cpu300 = 30 %: the paper's axis is "proportion of non-GPU workloads in
 *   terms of task number"; the published names are cpu0, cpu037, cpu050, cpu072, cpu100, cpu200,
 *   cpu235, cpu250, cpu300).
 * - `gpuspecN`: the pods are the default ones; N % of the GPU pods (by count) get a `gpu_spec`.
 *   Sharing pods are picked at 0.77 × the rate of the others (so in the published files), and the
 *   spec is drawn from the per-class frequencies of the published gpuspec05…33 files pooled
 *   (SPEC_TABLES below): sharing pods only ever ask for T4, P100 or a five-model list, multi-GPU
 *   pods for models whose nodes have that many GPUs.
 *
 * Pure: no I/O, no clock, no Math.random; the same base rows, name and seed give the same rows.
 */
import { hash32, mulberry32, shuffle } from '../../src/scheduler/random.js';

/** One pod of a trace file: the columns the benchmarks use. */
export interface PodRow {
  name: string;
  cpuMilli: number;
  memoryMib: number;
  /** Whole GPUs asked for (0 for CPU-only pods). */
  numGpu: number;
  /** GPU share per GPU in milli (below 1000 only for GPU-sharing pods, which have numGpu 1). */
  gpuMilli: number;
  /** Acceptable GPU models, `|`-separated; empty when any model will do. */
  gpuSpec: string;
}

export type VariantKind = 'default' | 'gpushare' | 'gpuspec' | 'multigpu' | 'cpu';

export interface Variant {
  name: string;
  kind: VariantKind;
  /** Target in percent: GPU-request share (gpushare, multigpu), GPU-pod share (gpuspec), pod share (cpu). */
  percent: number;
}

/** The variants of the published trace (alibaba/clusterdata cluster-trace-gpu-v2023/csv). */
export const VARIANT_NAMES = [
  'default',
  'gpushare20', 'gpushare40', 'gpushare60', 'gpushare80', 'gpushare100',
  'gpuspec05', 'gpuspec10', 'gpuspec20', 'gpuspec25', 'gpuspec33',
  'multigpu20', 'multigpu30', 'multigpu40', 'multigpu50',
  'cpu0', 'cpu037', 'cpu050', 'cpu072', 'cpu100', 'cpu200', 'cpu235', 'cpu250', 'cpu300',
] as const;

/** Sharing pods get a GPU-model constraint at this rate relative to other GPU pods (published files: 0.76–0.79). */
const SHARE_SPEC_WEIGHT = 0.77;

/**
 * gpu_spec frequencies per pod class in the published gpuspec05, 10, 20, 25 and 33 files pooled
 * (2,493 sharing, 4,126 single-GPU and 73 multi-GPU pods with a spec).
 */
export const SPEC_TABLES: Record<string, [string, number][]> = {
  share: [['T4', 1609], ['P100', 839], ['G2|P100|T4|V100M16|V100M32', 45]],
  one: [
    ['T4', 1865], ['G2', 933], ['V100M16|V100M32', 435], ['P100|V100M16|V100M32', 268], ['G3', 209],
    ['P100|T4|V100M16|V100M32', 76], ['G2|P100|T4|V100M16|V100M32', 74], ['A10|G2|T4|V100M16|V100M32', 64],
    ['V100M16|V100M32|V100M32', 63], ['V100M32', 48], ['P100|V100M16', 31], ['A10|T4', 21], ['V100M16', 17],
    ['P100', 10], ['A10|G2|P100|T4|V100M16|V100M32|V100M32', 10], ['P100|T4', 1], ['T4|V100M16|V100M32', 1],
  ],
  gpu2: [['P100|V100M16|V100M32', 6], ['T4|V100M16|V100M32', 3], ['V100M16|V100M32', 3], ['V100M32', 3]],
  gpu4: [['G2', 12], ['V100M16|V100M32|V100M32', 7], ['V100M16|V100M32', 2]],
  gpu8: [['G2', 21], ['G3', 16]],
};

/** A variant's name → its kind and target; undefined for names that are not variants. */
export function parseVariant(name: string): Variant | undefined {
  if (name === 'default') return { name, kind: 'default', percent: 0 };
  const m = /^(gpushare|gpuspec|multigpu|cpu)(\d+)$/.exec(name);
  if (!m) return undefined;
  const kind = m[1] as VariantKind;
  const n = Number(m[2]);
  // cpuNNN is in per mille of pods (cpu037 = 3.7 %); the others are percentages.
  const percent = kind === 'cpu' ? n / 10 : n;
  if (percent > 100 || (kind !== 'gpuspec' && kind !== 'cpu' && percent <= 0) || (kind === 'cpu' && percent >= 100)) return undefined;
  return { name, kind, percent };
}

/** GPU requested by a pod, in milli-GPUs (num_gpu × gpu_milli; gpu_milli is 1000 for whole GPUs). */
export function gpuRequestMilli(p: PodRow): number {
  return p.numGpu * p.gpuMilli;
}

export type PodClass = 'cpu' | 'share' | 'one' | 'multi';
export function podClass(p: PodRow): PodClass {
  if (p.numGpu === 0) return 'cpu';
  if (p.numGpu === 1) return p.gpuMilli < 1000 ? 'share' : 'one';
  return 'multi';
}

/** Parses a trace CSV (header line first); missing numeric fields read as 0. */
export function parsePodCsv(text: string): PodRow[] {
  const [head, ...lines] = text.trim().split(/\r?\n/);
  const keys = head!.split(',');
  const col = (k: string): number => keys.indexOf(k);
  const [name, cpu, mem, ngpu, gmilli, spec] = ['name', 'cpu_milli', 'memory_mib', 'num_gpu', 'gpu_milli', 'gpu_spec'].map(col) as number[];
  return lines.map((line) => {
    const v = line.split(',');
    const num = (i: number): number => (i >= 0 ? Number(v[i] ?? 0) || 0 : 0);
    return { name: v[name!] ?? '', cpuMilli: num(cpu!), memoryMib: num(mem!), numGpu: num(ngpu!), gpuMilli: num(gmilli!), gpuSpec: spec! >= 0 ? (v[spec!] ?? '') : '' };
  });
}

/** Writes rows in the trace's column order (the columns PodRow keeps). */
export function formatPodCsv(rows: PodRow[]): string {
  const lines = rows.map((p) => [p.name, p.cpuMilli, p.memoryMib, p.numGpu, p.gpuMilli, p.gpuSpec].join(','));
  return ['name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec', ...lines].join('\n') + '\n';
}

/**
 * A stream of draws from a pool: the first n draws for n ≤ pool size come without replacement
 * (a seeded permutation), larger samples are drawn with replacement, as the published files were.
 */
class Draws {
  private readonly perm: PodRow[];
  private readonly iid: PodRow[] = [];
  private readonly permSum: number[] = [0];
  private readonly iidSum: number[] = [0];

  constructor(
    private readonly pool: PodRow[],
    private readonly rand: () => number,
    private readonly weight: (p: PodRow) => number,
  ) {
    this.perm = shuffle([...pool], rand);
    for (const p of this.perm) this.permSum.push(this.permSum.at(-1)! + weight(p));
  }

  /** Sum of weight over a sample of n. */
  sum(n: number): number {
    if (n <= this.pool.length) return this.permSum[n]!;
    this.grow(n);
    return this.iidSum[n]!;
  }

  sample(n: number): PodRow[] {
    if (n <= this.pool.length) return this.perm.slice(0, n);
    this.grow(n);
    return this.iid.slice(0, n);
  }

  private grow(n: number): void {
    if (this.pool.length === 0) throw new Error('cannot draw from an empty pool');
    while (this.iid.length < n) {
      const p = this.pool[Math.floor(this.rand() * this.pool.length)]!;
      this.iid.push(p);
      this.iidSum.push(this.iidSum.at(-1)! + this.weight(p));
    }
  }
}

function pick(table: [string, number][], rand: () => number): string {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let x = rand() * total;
  for (const [value, w] of table) {
    x -= w;
    if (x < 0) return value;
  }
  return table.at(-1)![0];
}

function specTable(p: PodRow): [string, number][] {
  if (podClass(p) === 'share') return SPEC_TABLES.share!;
  if (p.numGpu === 1) return SPEC_TABLES.one!;
  return SPEC_TABLES[`gpu${p.numGpu}`] ?? SPEC_TABLES.gpu8!;
}

const renumber = (rows: PodRow[]): PodRow[] => rows.map((p, i) => ({ ...p, name: `openb-pod-${String(i).padStart(4, '0')}` }));

/**
 * Builds a variant from the default trace's rows. `variant` is a name such as `gpushare40` (see
 * VARIANT_NAMES; any percentage of the same forms works); the seed selects the sample.
 */
export function generateVariant(base: PodRow[], variant: string, seed: number): PodRow[] {
  const v = parseVariant(variant);
  if (!v) throw new Error(`unknown workload variant "${variant}": use default, gpushareN, gpuspecN, multigpuN or cpuNNN (per mille)`);
  if (v.kind === 'default') return base.map((p) => ({ ...p }));
  // One stream per (variant, seed), so variants do not share draws.
  const rand = mulberry32(hash32(v.name, seed));
  const by = (c: PodClass[]): PodRow[] => base.filter((p) => c.includes(podClass(p)));
  const cpu = by(['cpu']);
  const gpuPods = by(['share', 'one', 'multi']);
  const target = v.percent / 100;
  switch (v.kind) {
    case 'gpushare': {
      // Same number of GPU pods; choose the split whose drawn pods put sharing closest to the target.
      const n = gpuPods.length;
      const share = new Draws(by(['share']), rand, gpuRequestMilli);
      const rest = new Draws(by(['one', 'multi']), rand, gpuRequestMilli);
      let best = 0;
      let bestErr = Infinity;
      for (let s = 0; s <= n; s++) {
        const a = share.sum(s);
        const b = rest.sum(n - s);
        const err = Math.abs(a / (a + b || 1) - target);
        if (err < bestErr) [best, bestErr] = [s, err];
      }
      return renumber([...cpu, ...share.sample(best), ...rest.sample(n - best)]);
    }
    case 'multigpu': {
      const kept = by(['cpu', 'share', 'one']);
      const keptGpu = kept.reduce((s, p) => s + gpuRequestMilli(p), 0);
      const multi = new Draws(by(['multi']), rand, gpuRequestMilli);
      const ratio = (m: number): number => multi.sum(m) / (multi.sum(m) + keptGpu || 1);
      let m = 0;
      // Drawn until they reach the target (the published files all land just above it).
      while (ratio(m) < target && m < 100 * base.length) m++;
      return renumber([...kept, ...multi.sample(m)]);
    }
    case 'cpu': {
      const c = Math.round((gpuPods.length * target) / (1 - target));
      return renumber([...new Draws(cpu, rand, () => 0).sample(c), ...gpuPods]);
    }
    case 'gpuspec': {
      // Weighted sampling without replacement (Efraimidis–Spirakis keys u^(1/w)), then a spec per pod.
      const k = Math.round(target * gpuPods.length);
      const keyed = base.map((p, i) => ({ i, key: podClass(p) === 'cpu' ? -1 : rand() ** (1 / (podClass(p) === 'share' ? SHARE_SPEC_WEIGHT : 1)) }));
      const chosen = new Set(keyed.filter((x) => x.key >= 0).sort((a, b) => b.key - a.key || a.i - b.i).slice(0, k).map((x) => x.i));
      return base.map((p, i) => ({ ...p, gpuSpec: chosen.has(i) ? pick(specTable(p), rand) : '' }));
    }
  }
}
