// Interim fixture (issue #13 item 3): writes a policy repository + snapshot for one batch of the
// Alibaba GPU trace, the way bench/scheduler/gpu-trace.ts builds it (seed 42, pods in seeded
// arrival order until GPU demand reaches 100 % of capacity). Identical pods become one Agent with
// replicas; gpu_spec becomes a required node affinity on the gpu-model node label.
// Usage: node bench/scheduler/trace-repo-speed.mjs OUTDIR [seed]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = path.join(ROOT, 'bench/data/alibaba-gpu-v2023');

function csv(file) {
  const [head, ...rows] = readFileSync(path.join(DATA, file), 'utf8').trim().split(/\r?\n/);
  const keys = head.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [keys[i], v])));
}
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function shuffle(items, rand) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

export function writeTraceRepo(dir, seed = 42) {
  const nodes = csv('openb_node_list_gpu_node.csv');
  const pods = csv('openb_pod_list_default.csv').map((r) => {
    const n = Number(r.num_gpu);
    return { cpu: Number(r.cpu_milli), mem: Number(r.memory_mib), gpu: n === 1 ? Number(r.gpu_milli) : n * 1000, spec: r.gpu_spec ? r.gpu_spec.split('|') : [] };
  });
  const capacity = nodes.reduce((s, n) => s + Number(n.gpu) * 1000, 0);
  const rand = mulberry32(seed);
  const list = [];
  let demand = 0;
  while (demand < capacity) {
    for (const p of shuffle([...pods], rand)) {
      if (demand >= capacity) break;
      list.push(p);
      demand += p.gpu;
    }
  }
  const classes = new Map();
  for (const p of list) {
    const key = `${p.cpu}/${p.mem}/${p.gpu}/${p.spec.join('|')}`;
    const c = classes.get(key);
    if (c) c.replicas++;
    else classes.set(key, { ...p, replicas: 1 });
  }
  // The pool's node shape is the largest node, so no request is rejected as larger than any node.
  const max = (k) => Math.max(...nodes.map((n) => Number(n[k])));
  for (const d of ['pools', 'agents', 'policies']) mkdirSync(path.join(dir, d), { recursive: true });
  writeFileSync(path.join(dir, 'pools/openb.yaml'), `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: openb}
spec:
  driver: sim
  region: local
  zones: [local-a]
  node:
    capacity: {cpu: ${max('cpu_milli')}m, memory: ${max('memory_mib')}Mi, gpu: ${max('gpu')}}
  size: {min: ${nodes.length}, max: ${nodes.length}, initial: ${nodes.length}}
`);
  writeFileSync(path.join(dir, 'policies/scheduling-profile.yaml'), `apiVersion: quartermaster.dev/v1alpha1
kind: SchedulingProfile
metadata: {name: default}
spec:
  algorithm: best-fit-decreasing
  preemption: false
  seed: ${seed}
`);
  let i = 0;
  for (const c of classes.values()) {
    const name = `c${String(i++).padStart(4, '0')}`;
    const gpu = c.gpu ? `, gpu: ${c.gpu}m` : '';
    const placement = c.spec.length
      ? `  placement:\n    nodeAffinity:\n      required:\n        match: {in: [{var: labels.gpu-model}, [${c.spec.join(', ')}]]}\n`
      : '';
    writeFileSync(path.join(dir, 'agents', `${name}.yaml`), `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: ${name}}
spec:
  owner: trace
  replicas: ${c.replicas}
  resources:
    requests: {cpu: ${c.cpu}m, memory: ${c.mem}Mi${gpu}}
${placement}`);
  }
  const snap = {
    nodes: nodes.map((n) => ({ name: n.sn, pool: 'openb', labels: { 'gpu-model': n.model }, capacity: { cpu: `${n.cpu_milli}m`, memory: `${n.memory_mib}Mi`, gpu: Number(n.gpu) } })),
    instances: [],
  };
  writeFileSync(path.join(dir, 'snapshot.json'), JSON.stringify(snap));
  return { nodes: nodes.length, pods: list.length, agents: classes.size };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2] ?? '/tmp/qm-trace-repo';
  console.log(writeTraceRepo(out, Number(process.argv[3] ?? 42)));
}
