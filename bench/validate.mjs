// Benchmark: `qm validate` wall clock including Node start-up, on the example fleet and on a
// generated repository of 5,000 documents in 1,000 files. Anchor: `node -e 0` in the same run.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const QM = path.join(ROOT, 'bin', 'qm.js');

function time(args, cwd, runs) {
  const times = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    last = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1], status: last.status, stdout: last.stdout };
}

/** 1,000 files × 5 documents: pools, agents with references, affinity rules, quotas, policies. */
export function generateRepository(dir, files = 1000, perFile = 5) {
  const pools = 20;
  for (const d of ['pools', 'policies', 'agents']) mkdirSync(path.join(dir, d), { recursive: true });
  const poolDocs = [];
  for (let p = 0; p < pools; p++)
    poolDocs.push(`apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: pool-${p}}
spec:
  driver: sim
  tier: ${['bronze', 'silver', 'gold', 'platinum'][p % 4]}
  zones: [local-a, local-b, local-c]
  node:
    capacity: {cpu: 64, memory: 256Gi, storage: 1Ti, network: 25Gbps, gpu: ${p % 2 ? 8 : 0}}
    labels: {family: f${p % 5}}
  size: {min: 1, max: 50, initial: 4}
`);
  writeFileSync(path.join(dir, 'pools', 'pools.yaml'), poolDocs.join('---\n'));
  let docs = pools;
  let n = 0;
  for (let f = 1; f < files; f++) {
    const parts = [];
    for (let k = 0; k < perFile; k++, n++) {
      const kind = n % 10 === 0 ? 'AffinityRule' : n % 25 === 1 ? 'Quota' : 'Agent';
      if (kind === 'Agent')
        parts.push(`apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata:
  name: agent-${n}
  labels: {app: app-${n % 50}, cost-center: cc-${n % 7}}
spec:
  type: ${['chat', 'research', 'batch'][n % 3]}
  owner: team-${n % 40}
  replicas: ${1 + (n % 4)}
  class: ${['guaranteed', 'burstable', 'best_effort'][n % 3]}
  priority: ${n % 101}
  resources:
    requests: {cpu: "${250 + (n % 8) * 250}m", memory: ${1 + (n % 16)}Gi${n % 2 ? `, gpu: ${n % 4 ? 0.25 : 1}` : ''}}
${n % 3 === 0 ? `    limits: {cpu: "${250 + (n % 8) * 250}m", memory: ${1 + (n % 16)}Gi${n % 2 ? `, gpu: ${n % 4 ? 0.25 : 1}` : ''}}\n` : ''}  placement:
    pools: [pool-${n % 2 ? (n % pools) | 1 : (n % pools) & ~1}]
  dependsOn: [${n > 10 && n % 5 === 0 ? `agent-${n - 2 - ((n - 2) % 10 === 0 ? 1 : 0)}` : ''}]
`);
      else if (kind === 'AffinityRule')
        parts.push(`apiVersion: quartermaster.dev/v1alpha1
kind: AffinityRule
metadata: {name: rule-${n}}
spec:
  appliesTo: {matchLabels: {app: app-${(n + 2) % 50}}}
  agentAntiAffinity:
    - {selector: {matchLabels: {app: app-${(n + 2) % 50}}}, topologyKey: node, required: false, weight: 50}
  topologySpread:
    - {topologyKey: zone, maxSkew: 1, whenUnsatisfiable: ScheduleAnyway}
`);
      else
        parts.push(`apiVersion: quartermaster.dev/v1alpha1
kind: Quota
metadata: {name: quota-${n}}
spec:
  owner: team-${n}
  scope: {pools: [pool-${n % pools}], tiers: [${['bronze', 'silver', 'gold', 'platinum'][Math.floor(n / 25) % 4]}]}
  limits: {cpu: 512, memory: 2Ti, agents: 500}
`);
      docs++;
    }
    writeFileSync(path.join(dir, 'agents', `file-${String(f).padStart(4, '0')}.yaml`), parts.join('---\n'));
  }
  return { files, docs };
}

export function runValidateBench({ runs = 5 } = {}) {
  const rows = [];
  const anchor = time(['-e', '0'], ROOT, runs);
  rows.push({ name: 'node -e 0 (start-up anchor)', ...anchor });
  const fleet = time([QM, 'validate'], ROOT, runs);
  if (fleet.status !== 0) throw new Error('example fleet does not validate: ' + fleet.stdout);
  rows.push({ name: 'qm validate, example fleet', ...fleet });
  const dir = mkdtempSync(path.join(tmpdir(), 'qm-bench-'));
  try {
    const { files, docs } = generateRepository(dir);
    const big = time([QM, 'validate', dir], ROOT, runs);
    if (big.status !== 0) throw new Error('generated repository does not validate:\n' + big.stdout.slice(0, 3000));
    rows.push({ name: `qm validate, generated ${docs} documents in ${files} files`, ...big });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of runValidateBench()) console.log(`${r.name}: median ${r.median.toFixed(0)} ms (min ${r.min.toFixed(0)}, max ${r.max.toFixed(0)})`);
}
