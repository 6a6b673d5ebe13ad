/**
 * Packing on real data (issue 3): replay the Alibaba GPU trace (cluster-trace-gpu-v2023, the
 * "openb" default workload) as the FGD simulator does — pods arrive in a seeded random order until
 * arriving GPU demand reaches 100 % of cluster GPU capacity — and report the share of GPU capacity
 * allocated, mean of 10 seeds, per algorithm, beside the published simulator numbers.
 *
 * Each pod becomes an Agent with one replica named by its arrival index, so name order is arrival
 * order: greedy then places pods online in arrival order (like the simulator), while
 * best-fit-decreasing sees the whole batch and places the largest first.
 *
 * Run: npx tsc -p tsconfig.json --outDir /tmp/qmb && node /tmp/qmb/bench/scheduler/gpu-trace.js [algorithms,...] [seeds]
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PROFILE_SPEC, type Algorithm, type AgentDoc } from '../../src/model/documents.js';
import type { ObservedNode } from '../../src/model/state.js';
import { mulberry32, shuffle } from '../../src/scheduler/random.js';
import { schedule } from '../../src/scheduler/index.js';
import { agent, policy, pool } from './policy.js';
import { generateVariant, parsePodCsv } from './variants.js';

const here = dirname(fileURLToPath(import.meta.url));
/** bench/data relative to this file, in the source tree or in a compiled copy of bench/. */
function dataDir(): string {
  for (const base of [join(here, '../data'), join(here, '../../../bench/data'), join(process.cwd(), 'bench/data')]) {
    try {
      readFileSync(join(base, 'alibaba-gpu-v2023/openb_node_list_gpu_node.csv'));
      return join(base, 'alibaba-gpu-v2023');
    } catch {
      // try the next location
    }
  }
  throw new Error('bench/data/alibaba-gpu-v2023 not found: run from the repository root');
}

function csv(path: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const keys = head!.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [keys[i]!, v])));
}

interface TracePod {
  name: string;
  cpuMillis: number;
  memoryBytes: number;
  gpuMillis: number;
  spec: string[];
}

const dir = dataDir();
const nodes: ObservedNode[] = csv(join(dir, 'openb_node_list_gpu_node.csv')).map((r) => ({
  name: r.sn!,
  pool: 'openb',
  region: 'local',
  zone: 'local-a',
  labels: { 'gpu-model': r.model ?? '' },
  taints: [],
  ready: true,
  capacity: { cpuMillis: Number(r.cpu_milli), memoryBytes: Number(r.memory_mib) * 2 ** 20, gpuMillis: Number(r.gpu) * 1000 },
  costPerHour: 0,
  powerWatts: 0,
}));
/**
 * QM_VARIANT: an FGD workload variant generated from the default trace (variants.ts, variant
 * seed 1, as bench/scheduler/packing.ts does), planned in-process; QM_TRACE: another pod list file.
 */
const traceFile = process.env.QM_TRACE || join(dir, 'openb_pod_list_default.csv');
const variant = process.env.QM_VARIANT;
const workloadName = variant ? `openb_pod_list_${variant}` : basename(traceFile).replace(/\.csv$/, '');
const pods: TracePod[] = variant
  ? generateVariant(parsePodCsv(readFileSync(join(dir, 'openb_pod_list_default.csv'), 'utf8')), variant, 1).map((r) => ({
      name: r.name,
      cpuMillis: r.cpuMilli,
      memoryBytes: r.memoryMib * 2 ** 20,
      gpuMillis: r.numGpu === 1 ? r.gpuMilli : r.numGpu * 1000,
      spec: r.gpuSpec ? r.gpuSpec.split('|') : [],
    }))
  : csv(traceFile).map((r) => {
      const n = Number(r.num_gpu);
      return {
        name: r.name!,
        cpuMillis: Number(r.cpu_milli),
        memoryBytes: Number(r.memory_mib) * 2 ** 20,
        gpuMillis: n === 1 ? Number(r.gpu_milli) : n * 1000,
        spec: r.gpu_spec ? r.gpu_spec.split('|') : [],
      };
    });
const capacity = nodes.reduce((s, n) => s + (n.capacity.gpuMillis ?? 0), 0);

/**
 * Pods in seeded arrival order until arriving GPU demand reaches 100 % of capacity. The whole
 * trace asks for 98 % of the cluster's GPUs, so (like the simulator's workload inflation) the
 * trace is replayed in further shuffled passes until the demand is reached.
 */
function arrivals(seed: number): TracePod[] {
  const rand = mulberry32(seed);
  const out: TracePod[] = [];
  let demand = 0;
  while (demand < capacity) {
    for (const p of shuffle([...pods], rand)) {
      if (demand >= capacity) break;
      out.push(p);
      demand += p.gpuMillis;
    }
  }
  return out;
}

function agents(list: TracePod[]): AgentDoc[] {
  return list.map((p, i) =>
    agent(`p${String(i).padStart(5, '0')}`, {
      replicas: 1,
      resources: { requests: { cpuMillis: p.cpuMillis, memoryBytes: p.memoryBytes, ...(p.gpuMillis ? { gpuMillis: p.gpuMillis } : {}) } },
      placement: p.spec.length > 0 ? { nodeAffinity: { required: { match: { in: [{ var: 'labels.gpu-model' }, p.spec] } } } } : {},
    }),
  );
}

function published(): Record<string, number> {
  const rows = csv(join(dir, 'fgd-simulator-expected/analysis_allo_discrete.csv')).filter((r) => r.workload === workloadName);
  const by: Record<string, number[]> = {};
  for (const r of rows) (by[r.sc_policy!] ??= []).push(Number(r['100']));
  return Object.fromEntries(Object.entries(by).map(([k, v]) => [k, v.reduce((a, b) => a + b, 0) / v.length]));
}

const weights = process.env.QM_WEIGHTS ? { scoreWeights: { ...DEFAULT_PROFILE_SPEC.scoreWeights, ...(JSON.parse(process.env.QM_WEIGHTS) as Record<string, number>) } } : {};
const algorithms = (process.argv[2] ?? 'best-fit-decreasing,greedy,spread,round-robin,consistent-hash').split(',') as Algorithm[];
const seeds = Array.from({ length: Number(process.argv[3] ?? 10) }, (_, i) => 42 + i);
console.log(`trace ${workloadName}: ${nodes.length} GPU nodes, ${capacity / 1000} GPUs, ${pods.length} pods; seeds ${seeds[0]}–${seeds.at(-1)}`);
for (const algorithm of algorithms) {
  const shares: number[] = [];
  let seconds = 0;
  let cpuOnlyPlaced = 0;
  for (const seed of seeds) {
    const list = arrivals(seed);
    const p = policy([pool('openb')], agents(list), { algorithm, seed, preemption: false, ...weights });
    const t0 = performance.now();
    const r = schedule({ policy: p, nodes, instances: [] });
    seconds += (performance.now() - t0) / 1000;
    const allocated = r.placements.reduce((s, x) => s + (x.requests.gpuMillis ?? 0), 0);
    shares.push((100 * allocated) / capacity);
    const cpuOnly = list.filter((p) => p.gpuMillis === 0).length;
    cpuOnlyPlaced += cpuOnly === 0 ? 1 : r.placements.filter((x) => !x.requests.gpuMillis).length / cpuOnly;
  }
  const mean = shares.reduce((a, b) => a + b, 0) / shares.length;
  console.log(`${algorithm.padEnd(20)} ${mean.toFixed(2)} % GPU allocated (min ${Math.min(...shares).toFixed(2)}, max ${Math.max(...shares).toFixed(2)}), ${(seconds / seeds.length).toFixed(2)} s per run; ${((100 * cpuOnlyPlaced) / seeds.length).toFixed(1)} % of CPU-only pods placed`);
}
console.log('published (FGD simulator, same trace, mean of 10 seeds):');
for (const [k, v] of Object.entries(published())) console.log(`  ${k.padEnd(18)} ${v.toFixed(2)} %`);
if (process.env.QM_DIAG) {
  const list = arrivals(42);
  const r = schedule({ policy: policy([pool('openb')], agents(list), { algorithm: (process.env.QM_DIAG as Algorithm) || 'best-fit-decreasing', preemption: false, ...weights }), nodes, instances: [] });
  const counts: Record<string, number> = {};
  for (const b of r.blocked) {
    const k = `${b.summary?.replace(/^\d+\/\d+ nodes fit: /, '')}`;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  console.log(r.blocked.length, 'blocked', Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, 4));
  const byName = new Map(list.map((p, i) => [`p${String(i).padStart(5, '0')}-0`, p]));
  const sizes: Record<string, number> = {};
  for (const b of r.blocked) {
    const p = byName.get(b.instance)!;
    const k = `gpu ${p.gpuMillis}`;
    sizes[k] = (sizes[k] ?? 0) + p.gpuMillis / 1000;
  }
  console.log('blocked GPUs by request size', sizes);
  const used = new Map<string, { cpu: number; mem: number; gpu: number }>();
  for (const pl of r.placements) {
    const u = used.get(pl.node) ?? { cpu: 0, mem: 0, gpu: 0 };
    u.cpu += pl.requests.cpuMillis ?? 0;
    u.mem += pl.requests.memoryBytes ?? 0;
    u.gpu += pl.requests.gpuMillis ?? 0;
    used.set(pl.node, u);
  }
  let freeGpuCpuFull = 0;
  let freeGpuOther = 0;
  for (const n of nodes) {
    const u = used.get(n.name) ?? { cpu: 0, mem: 0, gpu: 0 };
    const free = (n.capacity.gpuMillis ?? 0) - u.gpu;
    if ((n.capacity.cpuMillis ?? 0) - u.cpu < 2000 || (n.capacity.memoryBytes ?? 0) - u.mem < 4 * 2 ** 30) freeGpuCpuFull += free;
    else freeGpuOther += free;
  }
  console.log({ freeGpuOnCpuOrMemFullNodes: freeGpuCpuFull / 1000, freeGpuElsewhere: freeGpuOther / 1000 });
  const demand = list.reduce((s, p) => s + p.gpuMillis, 0);
  const cpuCap = nodes.reduce((s, n) => s + (n.capacity.cpuMillis ?? 0), 0);
  const cpuDemand = list.reduce((s, p) => s + p.cpuMillis, 0);
  console.log({ demand, capacity, cpuDemand, cpuCap, pods: list.length });
}
