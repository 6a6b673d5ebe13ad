/**
 * `qm plan / apply` end to end on a cluster, as docs/kubernetes.md has a newcomer do it: a Git
 * repository with a kubernetes Driver whose kubeconfig points at the Kubernetes API test server
 * (test/kubernetes, in this process, with its simulated kubelet), the real CLI in child processes.
 * Pods appear bound to the planned nodes; an unmanaged pod's requests are respected; a cordoned
 * node is emptied; a PodDisruptionBudget holds an eviction until it is relaxed; 429/500 are
 * retried; a refused permission is named; a kill -9 mid-apply is recovered with no duplicate pod.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QM, ROOT } from '../helpers/cli.js';
import { tempRepo } from '../helpers/repo.js';
import type { TempRepo } from '../helpers/repo.js';
import { startKubeServer } from '../kubernetes/server.js';
import type { KubeServer } from '../kubernetes/server.js';
import { writeKubeconfig } from '../kubernetes/kubeconfig.js';
import { T } from '../kubernetes/api.js';

const POOL = 'quartermaster.dev/pool';
let server: KubeServer;
let repo: TempRepo;
let kdir: string;
let kubeconfig: string;

interface Run { code: number; stdout: string; stderr: string }

/** The CLI as a child process, without blocking this process (the API server lives here). */
function qm(args: string[], opts: { onStdout?: (all: string, kill: () => void) => void } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [QM, ...args], { cwd: repo.dir, env: { PATH: process.env.PATH ?? '', HOME: kdir, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      opts.onStdout?.(stdout, () => child.kill('SIGKILL'));
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code, signal) => resolve({ code: code ?? (signal ? 137 : -1), stdout, stderr }));
  });
}

const header = 'apiVersion: quartermaster.dev/v1alpha1';
const driverYaml = () => `${header}
kind: Driver
metadata: {name: prod}
spec:
  type: kubernetes
  kubernetes: {kubeconfig: "${kubeconfig}", namespace: agents, startTimeout: 10s}
`;
const POOL_YAML = `${header}
kind: Pool
metadata: {name: work}
spec:
  driver: prod
  zones: [z-a, z-b]
  node: {capacity: {cpu: 4, memory: 8Gi}}
  size: {min: 1, max: 3}
`;
const agent = (name: string, replicas: number, cpu: string | number, priority = 50) => `${header}
kind: Agent
metadata: {name: ${name}, labels: {app: ${name}}}
spec:
  owner: team-a
  replicas: ${replicas}
  priority: ${priority}
  resources:
    requests: {cpu: ${cpu}, memory: 256Mi}
  runtime: {image: "registry.local/${name}:1", command: [sleep, "3600"], env: {MODE: test}}
`;

async function commit(files: Record<string, string | null>): Promise<void> {
  for (const [p, t] of Object.entries(files)) {
    if (t === null) await repo.git.rm(['-q', p]);
    else await repo.write(p, t);
  }
  await repo.commit('change');
}

/** Managed pods: "instance@node", sorted. */
function fleet(): string[] {
  return server.pods('agents')
    .filter((p) => p.metadata.labels?.['app.kubernetes.io/managed-by'] === 'quartermaster' && !p.metadata.deletionTimestamp)
    .map((p) => `${p.metadata.labels?.['quartermaster.dev/instance']}@${p.spec.nodeName}`)
    .sort();
}

const hasKubectl = Boolean(process.env.CI) || spawnSync('sh', ['-c', 'command -v kubectl']).status === 0;

function kubectl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { PATH: process.env.PATH ?? '', HOME: kdir } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')}: ${err}`))));
  });
}

const on = (node: string) => fleet().filter((x) => x.endsWith(`@${node}`));

beforeAll(async () => {
  server = await startKubeServer({ namespaces: ['agents'] });
  ['work-0', 'work-1', 'work-2'].forEach((name, i) => server.addNode({ name, zone: i === 1 ? 'z-b' : 'z-a', region: 'r1', labels: { [POOL]: 'work' }, allocatable: { cpu: '4', memory: '8Gi', pods: '110' } }));
  // Someone else's workload: 3.5 of work-0's 4 CPUs are taken.
  server.addPod({ name: 'web', namespace: 'default', nodeName: 'work-0', requests: { cpu: '3500m', memory: '1Gi' }, labels: { app: 'web' } });
  kdir = mkdtempSync(path.join(tmpdir(), 'qm-kcli-'));
  kubeconfig = writeKubeconfig(kdir, server.url, { namespace: 'agents' });
  repo = await tempRepo({ git: true });
  await commit({ 'policies/prod.yaml': driverYaml(), 'pools/work.yaml': POOL_YAML });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await repo?.cleanup();
  if (kdir) rmSync(kdir, { recursive: true, force: true });
});

describe('qm on a Kubernetes cluster (API test server)', { timeout: 120_000 }, () => {
  it('plans and applies pods bound to the planned nodes, respecting an unmanaged pod\'s requests; a second plan has no changes', async () => {
    expect(existsSync(path.join(ROOT, 'dist/drivers/kubernetes/driver.js')), 'npm run build first').toBe(true);
    await commit({ 'agents/chat.yaml': agent('chat', 3, 1) });
    const plan = await qm(['plan', '--format', 'json']);
    expect(plan.code, plan.stderr).toBe(0);
    const p = JSON.parse(plan.stdout) as { summary: Record<string, number>; actions: { type: string; node: string }[] };
    expect(p.summary).toMatchObject({ place: 3, blocked: 0 });
    expect(p.actions.some((a) => a.node === 'work-0')).toBe(false);
    const applied = await qm(['apply', '--auto-approve']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stderr).toMatch(/driver prod: started 3 pods: http:\/\/127\.0\.0\.1:\d+ 3 in/);
    expect(fleet().map((x) => x.split('@')[0])).toEqual(['chat-0', 'chat-1', 'chat-2']);
    expect(on('work-0')).toEqual([]);
    for (const pod of server.pods('agents')) expect(pod.status.phase).toBe('Running');
    // The real kubectl sees them as Quartermaster made them.
    if (hasKubectl) {
      const listed = await kubectl(['get', 'pods', '-n', 'agents', '-l', 'app.kubernetes.io/managed-by=quartermaster', '-o', 'jsonpath={range .items[*]}{.metadata.labels.quartermaster\\.dev/instance}@{.spec.nodeName} {end}']);
      expect(listed.split(' ').filter(Boolean).sort()).toEqual(fleet());
    }
    const again = await qm(['plan', '--detailed-exitcode']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  it('empties a cordoned node (instances move make-before-break) and converges', async () => {
    const busy = on('work-1').length ? 'work-1' : 'work-2';
    const other = busy === 'work-1' ? 'work-2' : 'work-1';
    server.updateNode(busy, (n) => ({ ...n, spec: { ...n.spec, unschedulable: true } }));
    const plan = await qm(['plan', '--format', 'json']);
    const moves = (JSON.parse(plan.stdout) as { actions: { type: string; fromNode?: string; toNode?: string }[] }).actions.filter((a) => a.type === 'move');
    expect(moves.length).toBeGreaterThan(0);
    expect(moves.every((m) => m.fromNode === busy && m.toNode === other)).toBe(true);
    const applied = await qm(['apply', '--auto-approve']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(on(busy)).toEqual([]);
    expect(fleet()).toHaveLength(3);
    expect((await qm(['plan', '--detailed-exitcode'])).code).toBe(0);
    server.updateNode(busy, (n) => ({ ...n, spec: { ...n.spec, unschedulable: false } }));
  });

  it('fails an eviction a PodDisruptionBudget forbids, naming it, skips what depends on it, and converges once the budget allows', async () => {
    // chat (3 CPUs) sits on one node; batch (priority 10) fills the other; urgent (priority 90) needs preemption.
    await commit({ 'agents/batch.yaml': agent('batch', 4, 1, 10) });
    expect((await qm(['apply', '--auto-approve'])).code).toBe(0);
    expect(fleet().filter((x) => x.startsWith('batch-'))).toHaveLength(4);
    server.addPdb({ name: 'batch-budget', namespace: 'agents', matchLabels: { 'quartermaster.dev/agent': 'batch' }, minAvailable: 4 });
    await commit({ 'agents/urgent.yaml': agent('urgent', 1, 2, 90) });
    const plan = JSON.parse((await qm(['plan', '--format', 'json'])).stdout) as { actions: { type: string; instance: string }[] };
    expect(plan.actions.filter((a) => a.type === 'evict').length).toBeGreaterThan(0);
    const blocked = await qm(['apply', '--auto-approve']);
    expect(blocked.code, blocked.stdout + blocked.stderr).toBe(1);
    expect(blocked.stdout + blocked.stderr).toMatch(/evict batch-\d+ from work-\d on http:\/\/127\.0\.0\.1:\d+ failed: the PodDisruptionBudget batch-budget forbids evicting pod batch-\d+-\w+ now/);
    expect(blocked.stdout + blocked.stderr).toMatch(/skipped: it depends on a\d+/);
    expect(fleet().filter((x) => x.startsWith('urgent-'))).toEqual([]);
    server.store.delete(T.pdbs, server.store.get(T.pdbs, 'agents', 'batch-budget')!);
    const rerun = await qm(['apply', '--auto-approve']);
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    await server.settle();
    expect(fleet().filter((x) => x.startsWith('urgent-'))).toHaveLength(1);
    const settled = await qm(['plan', '--detailed-exitcode']);
    expect(settled.code, settled.stdout).toBe(0);
  });

  it('retries injected 429 and 500 answers', async () => {
    await commit({ 'agents/batch.yaml': null, 'agents/urgent.yaml': null, 'agents/chat.yaml': agent('chat', 4, '500m') });
    const throttled = server.inject({ verb: 'create', resource: 'pods', status: 429, retryAfterSeconds: 1, times: 2 });
    const broken = server.inject({ verb: 'list', resource: 'pods', status: 500, times: 2 });
    const applied = await qm(['apply', '--auto-approve']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(throttled.hits).toBe(2);
    expect(broken.hits).toBe(2);
    expect(fleet().map((x) => x.split('@')[0])).toEqual(['chat-0', 'chat-1', 'chat-2', 'chat-3']);
  });

  it('names a refused permission (verb, resource, namespace) in one sentence', async () => {
    server.deny({ verbs: ['delete'], resources: ['pods'], namespaces: ['agents'] });
    await commit({ 'agents/chat.yaml': agent('chat', 3, '500m') });
    const refused = await qm(['apply', '--auto-approve']);
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toMatch(/remove chat-3 from work-\d on http:\/\/127\.0\.0\.1:\d+ failed: the API server refused permission to delete pods in namespace agents/);
    server.access.deny = [];
    expect((await qm(['apply', '--auto-approve'])).code).toBe(0);
    expect(fleet()).toHaveLength(3);
  });

  it('recovers from a kill -9 mid-apply: the re-run converges with no duplicate pod', async () => {
    await commit({ 'agents/many.yaml': agent('many', 12, '100m') });
    const slow = server.inject({ verb: 'create', resource: 'pods', latencyMs: 150 });
    let killed = false;
    const first = await qm(['apply', '--auto-approve', '--concurrency', '2'], {
      onStdout: (all, kill) => {
        if (!killed && /✓ a\d+ place many-\d+/.test(all)) {
          killed = true;
          kill();
        }
      },
    });
    slow.remove();
    expect(killed, first.stdout + first.stderr).toBe(true);
    expect(first.code).toBe(137);
    await new Promise((r) => setTimeout(r, 400));
    const partial = fleet().filter((x) => x.startsWith('many-')).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(12);
    // The killed run still holds the state store's lock: the documented way out.
    let rerun = await qm(['apply', '--auto-approve']);
    const lock = /qm force-unlock (\S+)/.exec(rerun.stdout + rerun.stderr)?.[1];
    if (lock) {
      expect((await qm(['force-unlock', lock])).code).toBe(0);
      rerun = await qm(['apply', '--auto-approve']);
    }
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    const many = fleet().filter((x) => x.startsWith('many-')).map((x) => x.split('@')[0]!);
    expect(many).toHaveLength(12);
    expect(new Set(many).size).toBe(12);
    expect((await qm(['plan', '--detailed-exitcode'])).code).toBe(0);
  });
});

/**
 * Scale-up through clusterapi: nodes register after a delay, and the plan's new node names are
 * bound to them by zone. WAITS ON the engine's registration step (src/engine/registration.ts,
 * being written by the lead): it runs once that file exists.
 */
describe.skipIf(!existsSync(path.join(ROOT, 'src/engine/registration.ts')))('qm scales a pool through Cluster API (needs src/engine/registration.ts)', { timeout: 120_000 }, () => {
  it('raises the MachineDeployment, waits for the new node to register and places the pending instance on it', async () => {
    server.addNamespace('clusters');
    server.addMachineDeployment({ name: 'elastic', namespace: 'clusters', replicas: 1, zones: ['z-a'], pool: 'elastic', allocatable: { cpu: '2', memory: '4Gi', pods: '110' }, registerDelayMs: 1500, readyDelayMs: 500 });
    await server.settle();
    await commit({
      'agents/many.yaml': null, 'agents/chat.yaml': null,
      'policies/capi.yaml': `${header}\nkind: Driver\nmetadata: {name: capi}\nspec:\n  type: clusterapi\n  clusterapi: {kubeconfig: "${kubeconfig}", namespace: clusters}\n`,
      'pools/elastic.yaml': `${header}\nkind: Pool\nmetadata: {name: elastic}\nspec:\n  driver: prod\n  provisioner: capi\n  zones: [z-a]\n  node: {capacity: {cpu: 2, memory: 4Gi}}\n  size: {min: 1, max: 3}\n`,
      'policies/elastic-scaling.yaml': `${header}\nkind: ScalingPolicy\nmetadata: {name: elastic}\nspec:\n  target: {kind: Pool, name: elastic}\n  min: 1\n  max: 3\n  targetUtilizationPercent: 100\n`,
      'agents/grow.yaml': agent('grow', 2, '1500m').replace('spec:\n', 'spec:\n  placement: {pools: [elastic]}\n'),
    });
    const applied = await qm(['apply', '--auto-approve']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(server.machineDeployment('clusters', 'elastic')!.spec.replicas, applied.stdout + applied.stderr).toBe(2);
    expect(fleet().filter((x) => x.startsWith('grow-'))).toHaveLength(2);
    expect((await qm(['plan', '--detailed-exitcode'])).code).toBe(0);
  });
});
