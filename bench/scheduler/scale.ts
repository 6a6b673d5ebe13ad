/**
 * Scale benchmark (issue 3): 150,000 instances onto 5,000 nodes with best-fit-decreasing, from
 * scratch; the same with 20 % of agents carrying required anti-affinity or DoNotSchedule spread;
 * and an incremental plan (1 % new instances on the full cluster).
 * Run: npx tsc -p tsconfig.json --outDir /tmp/qmb && node /tmp/qmb/bench/scheduler/scale.js [nodes] [instances]
 */
import type { AgentDoc } from '../../src/model/documents.js';
import type { ObservedInstance, ObservedNode } from '../../src/model/state.js';
import { mulberry32 } from '../../src/scheduler/random.js';
import { schedule } from '../../src/scheduler/index.js';
import { agent, policy, pool } from './policy.js';

const GiB = 2 ** 30;

function cluster(nodes: number): ObservedNode[] {
  const shapes: Record<string, number>[] = [
    { cpuMillis: 16000, memoryBytes: 64 * GiB },
    { cpuMillis: 32000, memoryBytes: 128 * GiB },
    { cpuMillis: 64000, memoryBytes: 256 * GiB, gpuMillis: 8000 },
  ];
  return Array.from({ length: nodes }, (_, i) => ({
    name: `node-${String(i).padStart(5, '0')}`,
    pool: `pool-${i % 3}`,
    region: 'r1',
    zone: `z${i % 5}`,
    labels: { rack: `rack-${i % 100}` },
    taints: [],
    ready: true,
    capacity: shapes[i % 3]!,
    costPerHour: 1 + (i % 3),
    powerWatts: 300,
  }));
}

function agents(instances: number, constrainedShare: number, seed: number): AgentDoc[] {
  const rand = mulberry32(seed);
  const out: AgentDoc[] = [];
  const perAgent = 100;
  const n = Math.ceil(instances / perAgent);
  for (let i = 0; i < n; i++) {
    const cpu = [250, 500, 1000, 2000][Math.floor(rand() * 4)]!;
    const mem = [0.5, 1, 2, 4, 8][Math.floor(rand() * 5)]! * GiB;
    const gpu = i % 10 === 0 ? [250, 500, 1000][Math.floor(rand() * 3)]! : 0;
    const name = `agent-${String(i).padStart(5, '0')}`;
    const constrained = rand() < constrainedShare;
    const placement: AgentDoc['spec']['placement'] = {};
    if (constrained) {
      if (i % 2 === 0) placement.agentAntiAffinity = [{ selector: { matchLabels: { app: name } }, topologyKey: 'rack', required: true, weight: 1 }];
      else placement.topologySpread = [{ topologyKey: 'zone', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' }];
    }
    out.push(
      agent(
        name,
        {
          replicas: Math.min(perAgent, instances - i * perAgent),
          priority: 10 + Math.floor(rand() * 80),
          resources: { requests: { cpuMillis: cpu, memoryBytes: mem, ...(gpu ? { gpuMillis: gpu } : {}) } },
          placement,
        },
        { app: name },
      ),
    );
  }
  return out;
}

function run(label: string, nodes: ObservedNode[], docs: AgentDoc[], instances: ObservedInstance[] = []) {
  const p = policy([pool('pool-0'), pool('pool-1'), pool('pool-2')], docs);
  // Decision latency: time between consecutive decisions (the scheduler calls onDecision before each).
  const lat: number[] = [];
  let last = 0;
  const onDecision = () => {
    const t = performance.now();
    if (last) lat.push(t - last);
    last = t;
  };
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = schedule({ policy: p, nodes, instances, onDecision });
  const cpu = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  const mem = process.memoryUsage().rss / 2 ** 20;
  // Peak resident set of the process so far (KiB on Linux), not just at the end of the run.
  const peak = process.resourceUsage().maxRSS / 2 ** 10;
  lat.sort((a, b) => a - b);
  const q = (f: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * f))]! * 1000 : 0);
  console.log(
    `${label}: ${(ms / 1000).toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s cpu, ${r.placements.length} placed, ${r.blocked.length} blocked, rss ${mem.toFixed(0)} MiB (peak ${peak.toFixed(0)} MiB); per decision p50 ${q(0.5).toFixed(0)} µs, p99 ${q(0.99).toFixed(0)} µs, max ${(q(1) / 1000).toFixed(1)} ms`,
  );
  return r;
}

const nodeCount = Number(process.argv[2] ?? 5000);
const instanceCount = Number(process.argv[3] ?? 150000);
const nodes = cluster(nodeCount);
const plain = agents(instanceCount, 0, 1);
const r = run(`plain ${instanceCount} instances / ${nodeCount} nodes`, nodes, plain);
// Incremental: the placed cluster plus 1 % new instances.
const existing: ObservedInstance[] = r.placements.map((p) => ({ name: p.instance, agent: p.agent, node: p.node, requests: {}, ...(p.gpuDevices ? { gpuDevices: p.gpuDevices } : {}) }));
const grown = plain.map((a, i) => (i % 100 === 0 ? { ...a, spec: { ...a.spec, replicas: a.spec.replicas + 100 } } : a));
run('incremental (+1 %)', nodes, grown, existing);
if (process.argv[4] !== 'plain') run('20 % constrained (anti-affinity / spread)', nodes, agents(instanceCount, 0.2, 1));
