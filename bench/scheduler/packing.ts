/**
 * Packing on the FGD paper's workload variants through the CLI users run: for each variant, seed
 * and algorithm, a batch of trace pods is written as a policy repository plus a node snapshot
 * (fleet-repo.ts) and planned with `node bin/qm.js plan DIR --snapshot FILE --format json` (what `npx qm` runs);
 * the share of GPU capacity the plan allocates is compared with the FGD simulator's published
 * figures for the same variant (analysis_allo_discrete.csv, column `100`, mean of its seeds).
 *
 * The protocol is gpu-trace.ts's (the simulator's): pods in a seeded random order until arriving
 * GPU demand reaches 100 % of GPU capacity, further shuffled passes when one pass is not enough;
 * seeds 42–51. The seed selects which pods are in the batch; the batch is then grouped into Agents.
 *
 * Run from the repository root after `npm run build` (or `npm run bench -- packing [options]`):
 *   node bench/out/tsc/bench/scheduler/packing.js [--variants default,gpushare40] [--algorithms greedy,spread]
 *     [--seeds 42-51|42,43] [--variant-seed 1] [--agent-names shape|arrival] [--timing] [--keep DIR] [--json FILE]
 *   node bench/out/tsc/bench/scheduler/packing.js --report a.json,b.json [--timing]   # tables of earlier runs
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arrivals, groupAgents, parseNodeCsv, repoFiles, snapshotOf, writeRepo, type AgentNaming, type NodeRow } from './fleet-repo.js';
import { generateVariant, parsePodCsv, VARIANT_NAMES } from './variants.js';

const ALGORITHMS = ['best-fit-decreasing', 'greedy', 'spread', 'round-robin', 'consistent-hash'];
const PUBLISHED = ['06-FGD', '05-BestFit', '04-GpuPacking', '03-GpuClustering', '02-DotProd', '01-Random'];

function options(argv: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}": options are --variants, --algorithms, --seeds, --variant-seed, --agent-names, --timing, --keep, --json, --report`);
    const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
    if (v !== undefined) o[k] = v;
    else if (k === 'timing') o[k] = '1';
    else o[k] = argv[++i] ?? '';
  }
  return o;
}

function seedList(spec: string): number[] {
  return spec.split(',').flatMap((part) => {
    const m = /^(\d+)-(\d+)$/.exec(part);
    if (!m) return [Number(part)];
    return Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i);
  });
}

function published(dir: string): Map<string, Map<string, number>> {
  const [head, ...lines] = readFileSync(join(dir, 'fgd-simulator-expected/analysis_allo_discrete.csv'), 'utf8').trim().split(/\r?\n/);
  const keys = head!.split(',');
  const sums = new Map<string, { s: number; n: number }>();
  for (const line of lines) {
    const v = line.split(',');
    const key = `${v[keys.indexOf('workload')]!.replace('openb_pod_list_', '')}|${v[keys.indexOf('sc_policy')]}`;
    const e = sums.get(key) ?? { s: 0, n: 0 };
    e.s += Number(v[keys.indexOf('100')]);
    e.n++;
    sums.set(key, e);
  }
  const out = new Map<string, Map<string, number>>();
  for (const [key, { s, n }] of sums) {
    const [w, p] = key.split('|') as [string, string];
    if (!out.has(w)) out.set(w, new Map());
    out.get(w)!.set(p, s / n);
  }
  return out;
}

interface PlanResult {
  allocatedPercent: number;
  placed: number;
  blocked: number;
  freeGpus: number;
  strandedGpus: number;
  fragmentedGpus: number;
  seconds: number;
}

interface PlanJson {
  summary: { blocked: number };
  actions: { type: string; requests?: { gpuMillis?: number } }[];
  pools: { name: string; gpu?: { capacityMillis: number; freeMillis: number; strandedMillis: number; fragmentedMillis: number } }[];
}

function runPlan(cli: string, dir: string, snapshot: string, capacityMilli: number): PlanResult {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, 'plan', dir, '--snapshot', snapshot, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1' } });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`qm plan ${dir} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  const plan = JSON.parse(r.stdout) as PlanJson;
  const places = plan.actions.filter((a) => a.type === 'place');
  const allocated = places.reduce((s, a) => s + (a.requests?.gpuMillis ?? 0), 0);
  const gpu = plan.pools.find((p) => p.gpu)?.gpu;
  return {
    allocatedPercent: (100 * allocated) / capacityMilli,
    placed: places.length,
    blocked: plan.summary.blocked,
    freeGpus: (gpu?.freeMillis ?? capacityMilli - allocated) / 1000,
    strandedGpus: (gpu?.strandedMillis ?? 0) / 1000,
    fragmentedGpus: (gpu?.fragmentedMillis ?? 0) / 1000,
    seconds,
  };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / (xs.length || 1);
/** Mean of the figures a run recorded (runs merged by --report may lack some): undefined when none. */
const meanOf = (xs: (number | null | undefined)[]): number | undefined => {
  const ok = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return ok.length ? mean(ok) : undefined;
};

function main(): void {
  const o = options(process.argv.slice(2));
  const root = process.cwd();
  // bin/qm.js is what `npx qm` runs (dist/cli/main.js only exports main()).
  const cli = join(root, 'bin/qm.js');
  const data = join(root, 'bench/data/alibaba-gpu-v2023');
  if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('dist/cli/main.js not found: run `npm run build` and start from the repository root');
  if (!existsSync(data)) throw new Error('bench/data/alibaba-gpu-v2023 not found: start from the repository root');
  if (o.report) return report(o.report.split(','), published(data), o.timing === '1');
  const variants = (o.variants ?? VARIANT_NAMES.join(',')).split(',');
  const algorithms = (o.algorithms ?? ALGORITHMS.join(',')).split(',');
  const seeds = seedList(o.seeds ?? '42-51');
  const variantSeed = Number(o['variant-seed'] ?? 1);
  const agentNames = (o['agent-names'] ?? 'shape') as AgentNaming;
  if (agentNames !== 'shape' && agentNames !== 'arrival') throw new Error(`--agent-names is shape or arrival, not "${agentNames}"`);
  const base = parsePodCsv(readFileSync(join(data, 'openb_pod_list_default.csv'), 'utf8'));
  const nodes: NodeRow[] = parseNodeCsv(readFileSync(join(data, 'openb_node_list_gpu_node.csv'), 'utf8'));
  const capacity = nodes.reduce((s, n) => s + n.gpus * 1000, 0);
  const pub = published(data);
  const work = o.keep ?? mkdtempSync(join(tmpdir(), 'qm-packing-'));
  mkdirSync(work, { recursive: true });
  const snapshot = join(work, 'snapshot.json');
  writeFileSync(snapshot, snapshotOf(nodes));
  const results: Record<string, Record<string, PlanResult[]>> = {};
  const batches: Record<string, { pods: number; agents: number }[]> = {};
  console.error(`packing: ${nodes.length} GPU nodes, ${capacity / 1000} GPUs; variants ${variants.join(' ')}; algorithms ${algorithms.join(' ')}; seeds ${seeds.join(' ')}; agent names by ${agentNames}; work dir ${work}`);
  try {
    for (const variant of variants) {
      const pods = generateVariant(base, variant, variantSeed);
      results[variant] = {};
      batches[variant] = [];
      for (const seed of seeds) {
        const batch = arrivals(pods, seed, capacity);
        batches[variant].push({ pods: batch.length, agents: groupAgents(batch, agentNames).length });
        for (const algorithm of algorithms) {
          const dir = join(work, `${variant}-${seed}-${algorithm}`);
          writeRepo(dir, repoFiles(batch, nodes, { algorithm, seed, agentNames }));
          const r = runPlan(cli, dir, snapshot, capacity);
          (results[variant][algorithm] ??= []).push(r);
          console.error(`  ${variant} seed ${seed} ${algorithm}: ${r.allocatedPercent.toFixed(2)} % GPU allocated, ${r.placed}/${batch.length} placed, free ${r.freeGpus.toFixed(1)} GPUs (stranded ${r.strandedGpus.toFixed(1)}, fragmented ${r.fragmentedGpus.toFixed(1)}), ${r.seconds.toFixed(2)} s`);
          // Raw figures after every run, so a long run that is stopped keeps what it measured.
          if (o.json) writeFileSync(o.json, JSON.stringify({ capacityGpus: capacity / 1000, seeds, variantSeed, agentNames, results, batches }, null, 1) + '\n');
          if (!o.keep) rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  } finally {
    if (!o.keep) rmSync(work, { recursive: true, force: true });
  }
  print(variants, algorithms, seeds, results, batches, pub, o.timing === '1');
  if (o.json) writeFileSync(o.json, JSON.stringify({ capacityGpus: capacity / 1000, seeds, variantSeed, agentNames, results, batches }, null, 1) + '\n');
}

interface RawFile {
  seeds: number[];
  results: Record<string, Record<string, PlanResult[]>>;
  batches: Record<string, { pods: number; agents: number }[]>;
}

/** `--report a.json,b.json`: the tables of earlier runs (their --json files) merged, without planning. */
function report(files: string[], pub: Map<string, Map<string, number>>, timing: boolean): void {
  const raw = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as RawFile);
  // Files may hold different algorithms of the same variant: merge per variant.
  const results: RawFile['results'] = {};
  for (const r of raw) for (const [v, byAlg] of Object.entries(r.results)) Object.assign((results[v] ??= {}), byAlg);
  const batches = Object.assign({}, ...raw.map((r) => r.batches)) as RawFile['batches'];
  const known: string[] = [...VARIANT_NAMES];
  const variants = Object.keys(results).sort((a, b) => known.indexOf(a) - known.indexOf(b));
  const algorithms = ALGORITHMS.filter((a) => variants.some((v) => results[v]![a]?.length));
  const seeds = [...new Set(raw.flatMap((r) => r.seeds))].sort((a, b) => a - b);
  print(variants, algorithms, seeds, results, batches, pub, timing);
}

function print(
  variants: string[],
  algorithms: string[],
  seeds: number[],
  results: Record<string, Record<string, PlanResult[]>>,
  batches: Record<string, { pods: number; agents: number }[]>,
  pub: Map<string, Map<string, number>>,
  timing: boolean,
): void {
  const f = (x: number | undefined): string => (x === undefined ? '–' : x.toFixed(1));
  console.log(`GPU capacity allocated after arriving demand reached 100 % of capacity (%, mean of seeds ${seeds[0]}–${seeds.at(-1)}); ours through \`qm plan\`, published from the FGD simulator\n`);
  console.log(`| variant | pods / agents | ${algorithms.join(' | ')} | ${PUBLISHED.map((p) => p.slice(3)).join(' | ')} |`);
  console.log(`|---|---:|${algorithms.map(() => '---:').join('|')}|${PUBLISHED.map(() => '---:').join('|')}|`);
  for (const v of variants) {
    const b = batches[v]!;
    const ours = algorithms.map((a) => f(meanOf((results[v]![a] ?? []).map((r) => r.allocatedPercent))));
    const theirs = PUBLISHED.map((p) => f(pub.get(v)?.get(p)));
    console.log(`| ${v} | ${Math.round(mean(b.map((x) => x.pods)))} / ${Math.round(mean(b.map((x) => x.agents)))} | ${ours.join(' | ')} | ${theirs.join(' | ')} |`);
  }
  console.log('\nFree GPUs after the plan, and of them stranded / fragmented (pool `gpu` figures of the plan, mean of seeds)\n');
  console.log(`| variant | ${algorithms.join(' | ')} |`);
  console.log(`|---|${algorithms.map(() => '---:').join('|')}|`);
  for (const v of variants) {
    const cells = algorithms.map((a) => {
      const rs = results[v]![a] ?? [];
      return `${f(meanOf(rs.map((r) => r.freeGpus)))} (${f(meanOf(rs.map((r) => r.strandedGpus)))} / ${f(meanOf(rs.map((r) => r.fragmentedGpus)))})`;
    });
    console.log(`| ${v} | ${cells.join(' | ')} |`);
  }
  if (!timing) return;
  console.log('\nWall time of `qm plan` per batch (whole command: Node start-up, load, schedule, render; s, mean / max)\n');
  console.log(`| variant | instances | ${algorithms.join(' | ')} |`);
  console.log(`|---|---:|${algorithms.map(() => '---:').join('|')}|`);
  for (const v of variants) {
    const cells = algorithms.map((a) => {
      const s = (results[v]![a] ?? []).map((r) => r.seconds);
      return s.length ? `${mean(s).toFixed(2)} / ${Math.max(...s).toFixed(2)}` : '–';
    });
    console.log(`| ${v} | ${Math.round(mean(batches[v]!.map((x) => x.pods)))} | ${cells.join(' | ')} |`);
  }
}

main();
