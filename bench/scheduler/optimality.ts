/**
 * Optimality (issue 3): on generated small problems (≤ 30 instances, 3 resources: cpu, memory,
 * gpu) report the nodes each algorithm uses against the MILP optimum from `highs`.
 * Run: npx tsc -p tsconfig.json --outDir /tmp/qmb && node /tmp/qmb/bench/scheduler/optimality.js [problems]
 */
import { DEFAULT_PROFILE_SPEC, type Algorithm, type AgentDoc } from '../../src/model/documents.js';
import type { ObservedNode } from '../../src/model/state.js';
import { mulberry32 } from '../../src/scheduler/random.js';
import { scheduleAsync } from '../../src/scheduler/index.js';
import { agent, policy, pool } from './policy.js';

const GiB = 2 ** 30;
const ALGOS: Algorithm[] = ['optimal', 'best-fit-decreasing', 'genetic', 'greedy', 'spread', 'round-robin', 'consistent-hash'];

function problem(seed: number): { nodes: ObservedNode[]; agents: AgentDoc[] } {
  const rand = mulberry32(seed);
  const nodes: ObservedNode[] = Array.from({ length: 16 }, (_, i) => ({
    name: `n${String(i).padStart(2, '0')}`,
    pool: 'p',
    region: 'r',
    zone: 'z',
    labels: {},
    taints: [],
    ready: true,
    capacity: { cpuMillis: 16000, memoryBytes: 64 * GiB, gpuMillis: 4000 },
    costPerHour: 1,
    powerWatts: 100,
  }));
  const agents: AgentDoc[] = [];
  let instances = 0;
  for (let a = 0; instances < 30; a++) {
    const replicas = Math.min(30 - instances, 1 + Math.floor(rand() * 4));
    instances += replicas;
    agents.push(
      agent(`a${a}`, {
        replicas,
        resources: {
          requests: {
            cpuMillis: 1000 * (1 + Math.floor(rand() * 8)),
            memoryBytes: GiB * (2 + Math.floor(rand() * 30)),
            ...(rand() < 0.4 ? { gpuMillis: [250, 500, 1000, 2000][Math.floor(rand() * 4)]! } : {}),
          },
        },
      }),
    );
  }
  return { nodes, agents };
}

const weights = process.env.QM_WEIGHTS ? { scoreWeights: { ...DEFAULT_PROFILE_SPEC.scoreWeights, ...(JSON.parse(process.env.QM_WEIGHTS) as Record<string, number>) } } : {};
const algos = process.argv[3] ? (process.argv[3].split(',') as Algorithm[]) : ALGOS;
const count = Number(process.argv[2] ?? 20);
const used: Record<string, number[]> = Object.fromEntries(ALGOS.map((a) => [a, []]));
const ratio: Record<string, number[]> = Object.fromEntries(ALGOS.map((a) => [a, []]));
const seconds: Record<string, number> = Object.fromEntries(ALGOS.map((a) => [a, 0]));
let skipped = 0;
for (let seed = 1; seed <= count; seed++) {
  const { nodes, agents } = problem(seed);
  const results: Record<string, number> = {};
  let complete = true;
  for (const algorithm of algos) {
    const t0 = performance.now();
    const r = await scheduleAsync({ policy: policy([pool('p')], agents, { algorithm, timeBudget: 20, preemption: false, ...weights }), nodes, instances: [] });
    seconds[algorithm]! += (performance.now() - t0) / 1000;
    if (r.blocked.length > 0 || r.warnings.some((w) => w.startsWith('optimal'))) {
      complete = false;
      if (process.env.QM_WHY) console.log(seed, algorithm, r.blocked.length, 'blocked', r.warnings.filter((w) => w.startsWith('optimal')));
    }
    results[algorithm] = new Set(r.placements.map((p) => p.node)).size;
  }
  if (!complete) {
    if (process.env.QM_WHY) console.log(`seed ${seed} skipped`, results);
    skipped++;
    continue;
  }
  for (const a of algos) {
    used[a]!.push(results[a]!);
    ratio[a]!.push(results[a]! / results.optimal!);
  }
}
const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / Math.max(1, v.length);
console.log(`${count - skipped} problems of 30 instances on 16 nodes (cpu, memory, gpu); ${skipped} skipped (not everything placed or solver limit)`);
for (const a of algos) {
  console.log(`${a.padEnd(20)} ${mean(used[a]!).toFixed(2)} nodes on average, ${((mean(ratio[a]!) - 1) * 100).toFixed(1)} % above the optimum (worst ${((Math.max(...ratio[a]!) - 1) * 100).toFixed(1)} %), ${(seconds[a]! / count).toFixed(3)} s per problem`);
}
