// Benchmark: `qm plan` end to end (Node start-up, policy load, state load, scheduling, rendering)
// for 10,000 instances on 1,000 simulated nodes, and `qm apply` throughput on the sim driver.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const QM = path.join(ROOT, 'bin', 'qm.js');

/** 10 pools × 100 nodes, 500 agents × 20 replicas. */
export function generateFleet(dir, { pools = 10, nodesPerPool = 100, agents = 500, replicas = 20 } = {}) {
  for (const d of ['pools', 'agents', 'policies']) mkdirSync(path.join(dir, d), { recursive: true });
  for (let p = 0; p < pools; p++)
    writeFileSync(path.join(dir, 'pools', `pool-${p}.yaml`), `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: pool-${p}}
spec:
  zones: [z-a, z-b, z-c]
  node:
    capacity: {cpu: 32, memory: 128Gi${p % 3 === 0 ? ', gpu: 4' : ''}}
  size: {min: ${nodesPerPool}, max: ${nodesPerPool * 2}, initial: ${nodesPerPool}}
`);
  for (let a = 0; a < agents; a++)
    writeFileSync(path.join(dir, 'agents', `agent-${a}.yaml`), `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: agent-${a}, labels: {app: app-${a % 40}}}
spec:
  owner: team-${a % 10}
  replicas: ${replicas}
  priority: ${a % 100}
  resources:
    requests: {cpu: ${[250, 500, 1000, 2000][a % 4]}m, memory: ${[1, 2, 4][a % 3]}Gi${(a % pools) % 3 === 0 && a % 4 === 0 ? ', gpu: 0.25' : ''}}
  placement:
    pools: [pool-${a % pools}]
`);
  return { nodes: pools * nodesPerPool, instances: agents * replicas };
}

function timed(args, cwd, env = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [QM, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0 && r.status !== 2) throw new Error(`qm ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  return { ms, stdout: r.stdout };
}

export function runPlanBench() {
  const dir = mkdtempSync(path.join(tmpdir(), 'qm-bench-plan-'));
  const rows = [];
  try {
    const { nodes, instances } = generateFleet(dir);
    const first = timed(['plan', '--format', 'json', '--out', 'plan.json'], dir);
    const plan = JSON.parse(first.stdout);
    rows.push({ name: `qm plan, ${instances} instances to place on ${nodes} nodes (empty state)`, ms: first.ms, note: `${plan.summary.place} placements, ${plan.summary.blocked} blocked` });
    const apply = timed(['apply', 'plan.json', '--concurrency', '8'], dir);
    rows.push({ name: `qm apply, ${plan.actions.length} sim actions (whole command)`, ms: apply.ms, note: `${(plan.actions.length / (apply.ms / 1000)).toFixed(0)} actions/s` });
    const steady = timed(['plan', '--format', 'json'], dir);
    rows.push({ name: `qm plan, ${instances} placed instances on ${nodes} nodes (no changes)`, ms: steady.ms, note: JSON.parse(steady.stdout).changes ? 'changes!' : 'no changes' });
    // 1,000 new instances (10 %): 50 agents get 20 more replicas each.
    for (let a = 0; a < 50; a++) {
      const f = path.join(dir, 'agents', `agent-${a}.yaml`);
      writeFileSync(f, spawnSync('sed', ['s/replicas: 20/replicas: 40/', f], { encoding: 'utf8' }).stdout);
    }
    const incr = timed(['plan', '--format', 'json', '--out', 'plan2.json'], dir);
    const plan2 = JSON.parse(incr.stdout);
    rows.push({ name: `qm plan, +1,000 instances on a fleet of ${instances}`, ms: incr.ms, note: `${plan2.summary.place} placements` });
    const apply2 = timed(['apply', 'plan2.json', '--concurrency', '8'], dir);
    rows.push({ name: `qm apply, ${plan2.actions.length} sim actions on a fleet of ${instances}`, ms: apply2.ms, note: `${(plan2.actions.length / (apply2.ms / 1000)).toFixed(0)} actions/s` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of runPlanBench()) console.log(`${r.name}: ${r.ms.toFixed(0)} ms (${r.note})`);
}
