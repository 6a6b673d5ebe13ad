/**
 * Hardening #16 item 12, on a driver that enforces capacity: the Kubernetes API test server's
 * kubelet admits a pod only when its node's allocatable minus the requests of the pods still on it
 * (terminating ones included) holds it, and fails it `OutOfcpu` otherwise — as a real kubelet does.
 * A plan that frees room on a node (a removal) and places another instance there must run the
 * removal first, and the removal must wait for the pod to be gone, or the new pod is rejected.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QM } from '../helpers/cli.js';
import { tempRepo } from '../helpers/repo.js';
import type { TempRepo } from '../helpers/repo.js';
import { startKubeServer } from '../kubernetes/server.js';
import type { KubeServer } from '../kubernetes/server.js';
import { writeKubeconfig } from '../kubernetes/kubeconfig.js';

let server: KubeServer;
let repo: TempRepo;
let kdir: string;

function qm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [QM, ...args], { cwd: repo.dir, env: { PATH: process.env.PATH ?? '', HOME: kdir, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const header = 'apiVersion: quartermaster.dev/v1alpha1';
const agent = (name: string, replicas: number) => `${header}
kind: Agent
metadata: {name: ${name}, labels: {app: ${name}}}
spec:
  owner: team-a
  replicas: ${replicas}
  resources: {requests: {cpu: 1500m, memory: 256Mi}}
  runtime: {image: "agent:local"}
`;

beforeAll(async () => {
  // Pods take a while to terminate and keep their node's room until then, as on a real kubelet.
  server = await startKubeServer({ namespaces: ['agents'], kubelet: { terminationMs: 800 } });
  server.addNode({ name: 'solo', zone: 'z-a', region: 'r1', labels: { 'quartermaster.dev/pool': 'one' }, allocatable: { cpu: '2', memory: '4Gi', pods: '110' } });
  kdir = mkdtempSync(path.join(tmpdir(), 'qm-korder-'));
  const kubeconfig = writeKubeconfig(kdir, server.url, { namespace: 'agents' });
  repo = await tempRepo({ git: true });
  await repo.write('policies/prod.yaml', `${header}\nkind: Driver\nmetadata: {name: prod}\nspec:\n  type: kubernetes\n  kubernetes: {kubeconfig: "${kubeconfig}", namespace: agents, startTimeout: 20s}\n`);
  await repo.write('pools/one.yaml', `${header}\nkind: Pool\nmetadata: {name: one}\nspec:\n  driver: prod\n  zones: [z-a]\n  node: {capacity: {cpu: 2, memory: 4Gi}}\n  size: {min: 1, max: 1}\n`);
  await repo.write('agents/old.yaml', agent('old', 1));
  await repo.commit('old');
}, 60_000);

afterAll(async () => {
  await server?.close();
  await repo?.cleanup();
  if (kdir) rmSync(kdir, { recursive: true, force: true });
});

describe('apply order follows freed capacity on a kubelet that enforces it', { timeout: 120_000 }, () => {
  it('removes the old pod, waits until it is gone, then starts the new one in its room', async () => {
    const first = await qm(['apply', '--auto-approve']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(server.pods('agents').map((p) => p.metadata.labels?.['quartermaster.dev/instance'])).toEqual(['old-0']);

    // old goes (replicas 1 → 0), fresh comes: 1.5 of the node's 2 CPUs each, so only one at a time.
    await repo.write('agents/old.yaml', agent('old', 0));
    await repo.write('agents/fresh.yaml', agent('fresh', 1));
    await repo.commit('swap');
    const plan = await qm(['plan', '--format', 'json']);
    expect(plan.code, plan.stderr).toBe(0);
    const actions = (JSON.parse(plan.stdout) as { actions: { id: string; type: string; instance?: string; dependsOn?: string[] }[] }).actions;
    const remove = actions.find((a) => a.type === 'remove' && a.instance === 'old-0')!;
    const place = actions.find((a) => a.type === 'place' && a.instance === 'fresh-0')!;
    expect(place.dependsOn).toContain(remove.id);

    const applied = await qm(['apply', '--auto-approve']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const pods = server.pods('agents');
    expect(pods.map((p) => `${p.metadata.labels?.['quartermaster.dev/instance']}:${p.status.phase}`)).toEqual(['fresh-0:Running']);
    expect(pods.some((p) => p.status.reason?.startsWith('OutOf'))).toBe(false);
    const next = await qm(['plan', '--detailed-exitcode']);
    expect(next.code, next.stdout).toBe(0);
  });
});
