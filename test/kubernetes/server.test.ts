/**
 * The Kubernetes API test server against the real @kubernetes/client-node 1.4 client: pagination,
 * selectors, Status errors, binding, eviction with PodDisruptionBudgets, faults, access rules, the
 * simulated kubelet and Cluster API controller.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeKubeconfig } from './kubeconfig.js';
import type { KubeServer } from './server.js';
import { startKubeServer } from './server.js';

const dir = mkdtempSync(join(tmpdir(), 'qm-kube-test-'));
const TOKEN = 'secret-token';
let server: KubeServer;
let core: k8s.CoreV1Api;
let custom: k8s.CustomObjectsApi;

function clients(token = TOKEN, file = 'kubeconfig') {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(writeKubeconfig(dir, server.url, { context: 'test', namespace: 'agents', token, file }));
  return { core: kc.makeApiClient(k8s.CoreV1Api), custom: kc.makeApiClient(k8s.CustomObjectsApi) };
}

/** The ApiException a call rejects with, its body parsed. */
async function failure(p: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown>; headers: Record<string, string> }> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof k8s.ApiException)) throw e;
    const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
    return { code: e.code, body, headers: e.headers };
  }
  throw new Error('expected the call to fail');
}

const pod = (name: string, labels: Record<string, string> = {}, requests?: Record<string, string>, nodeName?: string): k8s.V1Pod => ({
  metadata: { name, labels },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'agent', image: 'busybox:1.36', ...(requests ? { resources: { requests, limits: requests } } : {}) }] },
});

beforeAll(async () => {
  server = await startKubeServer({ token: TOKEN, namespaces: ['agents', 'clusters'], metrics: true });
  ({ core, custom } = clients());
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  server.clearFaults();
  server.allowOnly(undefined);
  server.access.deny = [];
});

describe('lists', () => {
  it('pages through nodes with limit/continue, every page at the first page resourceVersion', async () => {
    for (let i = 0; i < 5; i++) server.addNode({ name: `page-${i}`, labels: { 'test/pages': 'yes' } });
    const first = await core.listNode({ limit: 2, labelSelector: 'test/pages=yes' });
    expect(first.items.map((n) => n.metadata!.name)).toEqual(['page-0', 'page-1']);
    expect(first.metadata!._continue).toBeTruthy();
    // A write between pages does not show up in the rest of this list.
    server.addNode({ name: 'page-2a', labels: { 'test/pages': 'yes' } });
    const second = await core.listNode({ limit: 2, labelSelector: 'test/pages=yes', _continue: first.metadata!._continue });
    const third = await core.listNode({ limit: 2, labelSelector: 'test/pages=yes', _continue: second.metadata!._continue });
    expect([...second.items, ...third.items].map((n) => n.metadata!.name)).toEqual(['page-2', 'page-3', 'page-4']);
    expect(second.metadata!.resourceVersion).toBe(first.metadata!.resourceVersion);
    expect(third.metadata!._continue).toBeFalsy();
    const all = await core.listNode({ labelSelector: 'test/pages=yes' });
    expect(all.items).toHaveLength(6);
    expect(Number(all.metadata!.resourceVersion)).toBeGreaterThan(Number(first.metadata!.resourceVersion));
  });

  it('counts the remaining items without a selector and answers 410 Expired for a forgotten token', async () => {
    const first = await core.listNode({ limit: 1 });
    expect(first.metadata!.remainingItemCount).toBe(server.nodes().length - 1);
    server.store.expireContinueTokens();
    const f = await failure(core.listNode({ limit: 1, _continue: first.metadata!._continue }));
    expect(f.code).toBe(410);
    expect(f.body).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
  });

  it('filters with equality and set-based label selectors and with field selectors', async () => {
    server.addNode({ name: 'sel-node' });
    server.addPod({ name: 'sel-a', namespace: 'agents', labels: { tier: 'web', track: 'stable' }, nodeName: 'sel-node' });
    server.addPod({ name: 'sel-b', namespace: 'agents', labels: { tier: 'db' } });
    server.addPod({ name: 'sel-c', namespace: 'agents', labels: { tier: 'cache', track: 'canary' } });
    const names = async (q: { labelSelector?: string; fieldSelector?: string }) =>
      (await core.listNamespacedPod({ namespace: 'agents', ...q })).items.map((p) => p.metadata!.name).filter((n) => n!.startsWith('sel-'));
    expect(await names({ labelSelector: 'tier in (web,db)' })).toEqual(['sel-a', 'sel-b']);
    expect(await names({ labelSelector: 'tier notin (web),tier' })).toEqual(['sel-b', 'sel-c']);
    expect(await names({ labelSelector: '!track,tier' })).toEqual(['sel-b']);
    expect(await names({ labelSelector: 'track!=canary,tier' })).toEqual(['sel-a', 'sel-b']);
    expect(await names({ fieldSelector: 'spec.nodeName=sel-node' })).toEqual(['sel-a']);
    expect(await names({ fieldSelector: 'metadata.name=sel-c' })).toEqual(['sel-c']);
    const bad = await failure(core.listNamespacedPod({ namespace: 'agents', fieldSelector: 'spec.bogus=x' }));
    expect(bad.code).toBe(400);
    expect(bad.body.message).toBe('field label not supported: spec.bogus');
  });
});

describe('writes', () => {
  it('creates a pod through CoreV1Api and answers 409 AlreadyExists for the same name', async () => {
    const created = await core.createNamespacedPod({ namespace: 'agents', body: pod('dup', { app: 'x' }) });
    expect(created.metadata).toMatchObject({ name: 'dup', namespace: 'agents' });
    expect(created.metadata!.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata!.creationTimestamp).toBeInstanceOf(Date);
    expect(created.status!.phase).toBe('Pending');
    const f = await failure(core.createNamespacedPod({ namespace: 'agents', body: pod('dup') }));
    expect(f.code).toBe(409);
    expect(f.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "dup" already exists', reason: 'AlreadyExists', details: { name: 'dup', kind: 'pods' }, code: 409 });
  });

  it('answers 404 for a missing namespace and 422 for a pod without containers', async () => {
    const ns = await failure(core.createNamespacedPod({ namespace: 'nowhere', body: pod('p') }));
    expect(ns.code).toBe(404);
    expect(ns.body.message).toBe('namespaces "nowhere" not found');
    const inv = await failure(core.createNamespacedPod({ namespace: 'agents', body: { metadata: { name: 'empty' }, spec: { containers: [] } } }));
    expect(inv.code).toBe(422);
    expect(inv.body).toMatchObject({ reason: 'Invalid', message: 'Pod "empty" is invalid: spec.containers: Required value' });
  });

  it('binds a pod once through pods/binding; the kubelet runs it on its ready node', async () => {
    server.addNode({ name: 'bind-node' });
    await core.createNamespacedPod({ namespace: 'agents', body: pod('bound', {}, { cpu: '100m' }) });
    await core.createNamespacedPodBinding({ name: 'bound', namespace: 'agents', body: { metadata: { name: 'bound' }, target: { apiVersion: 'v1', kind: 'Node', name: 'bind-node' } } });
    const p = await core.readNamespacedPod({ name: 'bound', namespace: 'agents' });
    expect(p.spec!.nodeName).toBe('bind-node');
    expect(p.status!.phase).toBe('Running');
    expect(p.status!.conditions!.find((c) => c.type === 'Ready')!.status).toBe('True');
    const again = await failure(core.createNamespacedPodBinding({ name: 'bound', namespace: 'agents', body: { metadata: { name: 'bound' }, target: { name: 'other' } } }));
    expect(again.code).toBe(409);
    expect(again.body.message).toBe('Operation cannot be fulfilled on pods/binding "bound": pod bound is already assigned to node "bind-node"');
  });

  it('patches a node with JSON patch (the client default) and merge patch', async () => {
    server.addNode({ name: 'patch-node' });
    const n = await core.patchNode({ name: 'patch-node', body: [{ op: 'add', path: '/spec/unschedulable', value: true }] });
    expect(n.spec!.unschedulable).toBe(true);
    const merged = await core.patchNode({ name: 'patch-node', body: { metadata: { labels: { extra: 'yes' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect(merged.metadata!.labels!.extra).toBe('yes');
    expect(merged.spec!.unschedulable).toBe(true);
    expect(Number(merged.metadata!.resourceVersion)).toBeGreaterThan(Number(n.metadata!.resourceVersion));
    const stale = await failure(core.replaceNode({ name: 'patch-node', body: { ...n, metadata: { ...n.metadata, resourceVersion: n.metadata!.resourceVersion } } }));
    expect(stale.code).toBe(409);
    expect(stale.body.message).toBe('Operation cannot be fulfilled on nodes "patch-node": the object has been modified; please apply your changes to the latest version and try again');
  });
});

describe('evictions and budgets', () => {
  it('refuses an eviction that would break a PodDisruptionBudget with 429 naming the budget, then allows it', async () => {
    server.addNode({ name: 'pdb-node' });
    server.addPdb({ name: 'web-budget', namespace: 'agents', matchLabels: { app: 'web' }, minAvailable: 2 });
    for (const n of ['web-1', 'web-2']) server.addPod({ name: n, namespace: 'agents', labels: { app: 'web' }, nodeName: 'pdb-node' });
    await server.settle();
    const eviction = (name: string) => core.createNamespacedPodEviction({ name, namespace: 'agents', body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'agents' } } });
    const f = await failure(eviction('web-1'));
    expect(f.code).toBe(429);
    expect(f.body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: "Cannot evict pod as it would violate the pod's disruption budget.", reason: 'TooManyRequests',
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web-budget needs 2 healthy pods and has 2 currently' }] }, code: 429,
    });
    const budget = await new k8sPolicy().read('web-budget');
    expect(budget.status).toMatchObject({ currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: 0, expectedPods: 2 });
    server.addPod({ name: 'web-3', namespace: 'agents', labels: { app: 'web' }, nodeName: 'pdb-node' });
    await server.settle();
    await eviction('web-1');
    expect(server.pod('agents', 'web-1')).toBeUndefined();
  });
});

/** policy/v1 through the client, for the budget status. */
class k8sPolicy {
  private readonly api = (() => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(join(dir, 'kubeconfig'));
    return kc.makeApiClient(k8s.PolicyV1Api);
  })();
  read(name: string) {
    return this.api.readNamespacedPodDisruptionBudget({ name, namespace: 'agents' });
  }
}

describe('faults and access', () => {
  it('injects a 429 with Retry-After once; the client sees the header and the retry succeeds', async () => {
    const f = server.inject({ verb: 'list', resource: 'nodes', status: 429, retryAfterSeconds: 3, times: 1 });
    const r = await failure(core.listNode());
    expect(r.code).toBe(429);
    expect(r.headers['retry-after']).toBe('3');
    expect(r.body).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 3 } });
    expect((await core.listNode()).items.length).toBeGreaterThan(0);
    expect(f.hits).toBe(1);
    const log = server.requestsFor('list', 'nodes').slice(-2);
    expect(log.map((x) => x.status)).toEqual([429, 200]);
  });

  it('injects 500 and 503 by path pattern and latency', async () => {
    server.inject({ method: 'GET', path: '/api/v1/namespaces/*/pods', status: 503, times: 1 });
    expect((await failure(core.listNamespacedPod({ namespace: 'agents' }))).code).toBe(503);
    server.inject({ path: /\/nodes$/, status: 500, times: 1 });
    expect((await failure(core.listNode())).body.reason).toBe('InternalError');
    const slow = server.inject({ verb: 'get', resource: 'namespaces', latencyMs: 30, times: 1 });
    await core.readNamespace({ name: 'agents' });
    expect(slow.hits).toBe(1);
    expect(server.requestsFor('get', 'namespaces').at(-1)!.ms).toBeGreaterThanOrEqual(25);
  });

  it('answers 401 for a wrong token', async () => {
    const { core: wrong } = clients('wrong-token', 'kubeconfig-wrong');
    const f = await failure(wrong.listNode());
    expect(f.code).toBe(401);
  });

  it('answers 403 with the authorizer message for a denied verb and resource', async () => {
    server.deny({ verbs: ['create'], resources: ['pods'], apiGroups: [''], namespaces: ['agents'] });
    const f = await failure(core.createNamespacedPod({ namespace: 'agents', body: pod('denied') }));
    expect(f.code).toBe(403);
    expect(f.body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', details: { kind: 'pods' }, code: 403,
      message: 'pods is forbidden: User "system:serviceaccount:qm:qm" cannot create resource "pods" in API group "" in the namespace "agents"',
    });
    server.allowOnly([{ verbs: ['get', 'list'], resources: ['pods'] }]);
    const ev = await failure(core.createNamespacedPodEviction({ name: 'x', namespace: 'agents', body: { metadata: { name: 'x' } } }));
    expect(ev.body.message).toBe('pods "x" is forbidden: User "system:serviceaccount:qm:qm" cannot create resource "pods/eviction" in API group "" in the namespace "agents"');
    const nodes = await failure(core.listNode());
    expect(nodes.body.message).toBe('nodes is forbidden: User "system:serviceaccount:qm:qm" cannot list resource "nodes" in API group "" at the cluster scope');
  });
});

describe('simulated kubelet', () => {
  it('rejects a pod its node cannot hold (OutOfcpu) and admits it once capacity is freed first', async () => {
    server.addNode({ name: 'small', allocatable: { cpu: '2', memory: '4Gi', 'nvidia.com/gpu': '1' } });
    await core.createNamespacedPod({ namespace: 'agents', body: pod('old', {}, { cpu: '1500m' }, 'small') });
    // Apply order matters: created before the old pod is gone, the new one does not fit.
    await core.createNamespacedPod({ namespace: 'agents', body: pod('new-early', {}, { cpu: '1' }, 'small') });
    const early = await core.readNamespacedPod({ name: 'new-early', namespace: 'agents' });
    expect(early.status).toMatchObject({ phase: 'Failed', reason: 'OutOfcpu', message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000" });
    await core.deleteNamespacedPod({ name: 'old', namespace: 'agents' });
    await core.createNamespacedPod({ namespace: 'agents', body: pod('new-late', {}, { cpu: '1' }, 'small') });
    expect((await core.readNamespacedPod({ name: 'new-late', namespace: 'agents' })).status!.phase).toBe('Running');
    await core.createNamespacedPod({ namespace: 'agents', body: pod('gpus', {}, { 'nvidia.com/gpu': '2' }, 'small') });
    expect((await core.readNamespacedPod({ name: 'gpus', namespace: 'agents' })).status!.reason).toBe('OutOfnvidia.com/gpu');
  });

  it('keeps a pod pending on a node that is not ready and runs it when the node turns ready', async () => {
    server.addNode({ name: 'late', ready: false });
    await core.createNamespacedPod({ namespace: 'agents', body: pod('waiting', {}, { cpu: '100m' }, 'late') });
    await server.settle();
    expect(server.pod('agents', 'waiting')!.status.phase).toBe('Pending');
    server.setNodeReady('late', true);
    await server.settle();
    expect(server.pod('agents', 'waiting')!.status.phase).toBe('Running');
    server.deleteNode('late');
    await server.settle();
    expect(server.pod('agents', 'waiting')).toBeUndefined();
  });
});

describe('Cluster API', () => {
  it('scales a MachineDeployment through the scale subresource: machines, then nodes by zone; scale-down deletes marked machines first', async () => {
    server.addMachineDeployment({ name: 'pool-a', namespace: 'clusters', replicas: 1, zones: ['z1', 'z2'], region: 'r1', allocatable: { cpu: '8' } });
    const args = { group: 'cluster.x-k8s.io', version: 'v1beta1', namespace: 'clusters', plural: 'machinedeployments', name: 'pool-a' };
    await server.settle();
    const original = server.machines('clusters')[0]!;
    const scale = await custom.getNamespacedCustomObjectScale(args);
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 1 } });
    await custom.patchNamespacedCustomObjectScale({ ...args, body: [{ op: 'replace', path: '/spec/replicas', value: 3 }] });
    await server.settle();
    const machines = server.machines('clusters');
    expect(machines).toHaveLength(3);
    const nodes = server.nodes().filter((n) => n.metadata.labels?.['quartermaster.dev/pool'] === 'pool-a');
    expect(nodes.map((n) => n.metadata.labels!['topology.kubernetes.io/zone']).sort()).toEqual(['z1', 'z1', 'z2']);
    expect(nodes.every((n) => n.spec.providerID.startsWith('test:///z') && n.metadata.labels!['topology.kubernetes.io/region'] === 'r1')).toBe(true);
    for (const m of machines) expect(server.node(m.status.nodeRef.name)).toBeDefined();
    const md = await custom.getNamespacedCustomObjectStatus(args) as { status: Record<string, unknown> };
    expect(md.status).toMatchObject({ replicas: 3, readyReplicas: 3, phase: 'Running' });

    // Marked machines go first, then the oldest: the one created with the MachineDeployment.
    const [victim, survivor] = machines.filter((m) => m.metadata.uid !== original.metadata.uid) as [typeof original, typeof original];
    await custom.patchNamespacedCustomObject({ group: 'cluster.x-k8s.io', version: 'v1beta1', namespace: 'clusters', plural: 'machines', name: victim.metadata.name,
      body: [{ op: 'add', path: '/metadata/annotations/cluster.x-k8s.io~1delete-machine', value: 'yes' }] });
    await custom.replaceNamespacedCustomObjectScale({ ...args, body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'pool-a', namespace: 'clusters' }, spec: { replicas: 1 } } });
    await server.settle();
    const left = server.machines('clusters').map((m) => m.metadata.name);
    expect(left).toEqual([survivor.metadata.name]);
    expect(server.node(victim.metadata.name)).toBeUndefined();
    expect(server.node(original.metadata.name)).toBeUndefined();
    expect(server.node(survivor.metadata.name)).toBeDefined();
  });
});

describe('metrics.k8s.io', () => {
  it('serves node metrics set by the test', async () => {
    server.addNode({ name: 'metered' });
    server.setNodeMetrics('metered', { cpu: '250m', memory: '1Gi' });
    const list = await custom.listClusterCustomObject({ group: 'metrics.k8s.io', version: 'v1beta1', plural: 'nodes' }) as { items: { metadata: { name: string }; usage: Record<string, string> }[] };
    expect(list.items.find((i) => i.metadata.name === 'metered')!.usage).toEqual({ cpu: '250m', memory: '1Gi' });
  });
});
