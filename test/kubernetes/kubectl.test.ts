/**
 * The test server is shaped like the real API: the real kubectl (Debian's kubernetes-client, installed
 * by .ci/run) lists its nodes, lists the pods @kubernetes/client-node created, cordons a node, reads
 * and scales MachineDeployments, and prints the server's Status errors. Outside CI the tests skip
 * when kubectl is missing; under CI they fail.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeServer } from './server.js';
import { startKubeServer } from './server.js';

const KUBECTL = process.env.KUBECTL ?? 'kubectl';
const HAVE_KUBECTL = await execa(KUBECTL, ['version', '--client'], { reject: false }).then((r) => r.exitCode === 0, () => false);
const SKIP = !HAVE_KUBECTL && !process.env.CI;

const dir = mkdtempSync(join(tmpdir(), 'qm-kubectl-test-'));
const TOKEN = 'kubectl-token';
let server: KubeServer;
let kubeconfig: string;
let core: k8s.CoreV1Api;

/** kubectl against the test server; its discovery cache in the test's directory. */
function kubectl(...args: string[]) {
  return execa(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), '--request-timeout', '20s', ...args], { reject: false, env: { HOME: dir } });
}

beforeAll(async () => {
  if (SKIP) return;
  if (!HAVE_KUBECTL) throw new Error(`kubectl is missing (looked for "${KUBECTL}"): .ci/run installs the Debian package kubernetes-client`);
  // https: kubectl sends bearer tokens over TLS only.
  server = await startKubeServer({ token: TOKEN, tls: true, namespaces: ['agents', 'clusters'] });
  kubeconfig = server.writeKubeconfig(dir, { context: 'qm-test', namespace: 'agents', token: TOKEN });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
  server.addNodes([
    { name: 'worker-a', zone: 'zone-a', labels: { 'quartermaster.dev/pool': 'gpu' } },
    { name: 'worker-b', zone: 'zone-b', labels: { 'quartermaster.dev/pool': 'gpu' }, roles: ['worker'] },
    { name: 'worker-c', ready: false },
  ]);
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(SKIP)('kubectl against the test server', () => {
  it('kubectl get nodes lists the nodes with their status and roles (server-side Table)', async () => {
    const r = await kubectl('get', 'nodes');
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['worker-a', 'Ready', '<none>'], ['worker-b', 'Ready', 'worker'], ['worker-c', 'NotReady', '<none>'],
    ]);
    // kubectl asked for a Table and paginated with limit=500.
    const list = server.requestsFor('list', 'nodes').at(-1)!;
    expect(list.query.limit).toBe('500');
    const json = await kubectl('get', 'nodes', '-l', 'quartermaster.dev/pool=gpu', '-o', 'json');
    expect(JSON.parse(json.stdout).items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual(['worker-a', 'worker-b']);
  });

  it('kubectl get pods -l lists the pods created through @kubernetes/client-node', async () => {
    const managed = { 'app.kubernetes.io/managed-by': 'quartermaster', 'quartermaster.dev/agent': 'coder' };
    for (const [name, labels] of [['coder-0', managed], ['coder-1', managed], ['unmanaged', { app: 'other' }]] as const) {
      await core.createNamespacedPod({ namespace: 'agents', body: { metadata: { name, labels }, spec: { nodeName: 'worker-a', containers: [{ name: 'agent', image: 'busybox:1.36', resources: { requests: { cpu: '100m' } } }] } } });
    }
    const r = await kubectl('get', 'pods', '-n', 'agents', '-l', 'app.kubernetes.io/managed-by=quartermaster');
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4))).toEqual([['coder-0', '1/1', 'Running', '0'], ['coder-1', '1/1', 'Running', '0']]);
    const wide = await kubectl('get', 'pods', '-l', 'quartermaster.dev/agent=coder', '-o', 'wide');
    expect(wide.stdout).toMatch(/coder-0\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+worker-a/);
  });

  it('kubectl cordon sets spec.unschedulable, seen through the client', async () => {
    const r = await kubectl('cordon', 'worker-b');
    expect(r.stdout).toBe('node/worker-b cordoned');
    const node = await core.readNode({ name: 'worker-b' });
    expect(node.spec!.unschedulable).toBe(true);
    const patch = server.requests.find((x) => x.method === 'PATCH' && x.path === '/api/v1/nodes/worker-b');
    expect(patch?.status).toBe(200);
    expect((await kubectl('get', 'node', 'worker-b')).stdout).toMatch(/worker-b\s+Ready,SchedulingDisabled/);
    expect((await kubectl('uncordon', 'worker-b')).stdout).toBe('node/worker-b uncordoned');
    expect((await core.readNode({ name: 'worker-b' })).spec!.unschedulable).toBeFalsy();
  });

  it('kubectl get and scale machinedeployments through the scale subresource', async () => {
    server.addMachineDeployment({ name: 'gpu', namespace: 'clusters', replicas: 1, zones: ['zone-a'] });
    await server.settle();
    const get = await kubectl('get', 'machinedeployments', '-n', 'clusters');
    expect(get.exitCode).toBe(0);
    expect(get.stdout).toMatch(/^NAME\s+CLUSTER\s+REPLICAS\s+READY\s+UPDATED\s+UNAVAILABLE\s+PHASE\s+AGE\s+VERSION\n/);
    expect(get.stdout).toMatch(/\ngpu\s+cluster\s+1\s+1\s+1\s+0\s+Running\s/);
    const scale = await kubectl('scale', 'machinedeployment', 'gpu', '-n', 'clusters', '--replicas=3');
    expect(scale.stdout).toBe('machinedeployment.cluster.x-k8s.io/gpu scaled');
    expect(server.requests.some((x) => x.resource === 'machinedeployments/scale' && x.method === 'PATCH' && x.status === 200)).toBe(true);
    await server.settle();
    expect(server.machines('clusters')).toHaveLength(3);
    const machines = await kubectl('get', 'machines', '-n', 'clusters', '-o', 'name');
    expect(machines.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('kubectl prints the server Status errors: NotFound, Forbidden, eviction blocked by a budget', async () => {
    const missing = await kubectl('get', 'pod', 'nope', '-n', 'agents');
    expect(missing.stderr).toBe('Error from server (NotFound): pods "nope" not found');
    server.deny({ verbs: ['delete'], resources: ['pods'] });
    const denied = await kubectl('delete', 'pod', 'coder-0', '-n', 'agents');
    expect(denied.stderr).toBe('Error from server (Forbidden): pods "coder-0" is forbidden: User "system:serviceaccount:qm:qm" cannot delete resource "pods" in API group "" in the namespace "agents"');
    server.access.deny = [];
    server.addPdb({ name: 'coder-budget', namespace: 'agents', matchLabels: { 'quartermaster.dev/agent': 'coder' }, minAvailable: 2 });
    const drain = await kubectl('drain', 'worker-a', '--pod-selector', 'quartermaster.dev/agent=coder', '--force', '--timeout', '2s');
    expect(drain.stderr).toContain('Cannot evict pod as it would violate the pod\'s disruption budget');
    expect(server.pods('agents').map((p) => p.metadata.name)).toContain('coder-0');
  });
});
