/**
 * The kubernetes driver and the clusterapi provisioner against the Kubernetes API test server
 * (test/kubernetes, in this process): the conformance suite, then what SPEC §8 promises —
 * paginated lists and no per-node calls, unmanaged requests off capacity, create-or-adopt,
 * make-before-break moves, evictions held by a PodDisruptionBudget, 429/500 retried, 403 named,
 * MachineDeployment scaling with the chosen Machines marked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startKubeServer } from '../kubernetes/server.js';
import type { KubeServer, KubeServerOptions } from '../kubernetes/server.js';
import { writeKubeconfig } from '../kubernetes/kubeconfig.js';
import { T } from '../kubernetes/api.js';
import { KubernetesDriver } from '../../src/drivers/kubernetes/driver.js';
import { kubernetesOptions } from '../../src/drivers/kubernetes/options.js';
import { ClusterApiDriver } from '../../src/drivers/clusterapi/driver.js';
import { clusterapiOptions } from '../../src/drivers/clusterapi/options.js';
import { DriverError } from '../../src/drivers/contract.js';
import type { ApplyContext } from '../../src/drivers/contract.js';
import type { DriverDoc } from '../../src/model/documents.js';
import type { ScalingEvent } from '../../src/model/state.js';
import { conformancePolicy, describeDriverConformance } from './conformance.js';

const POOL = 'quartermaster.dev/pool';
const policy = conformancePolicy('kubernetes');
const NOW = '2026-11-28T10:00:00Z';
const FAST = { baseMs: 5, maxMs: 50 };

function memoryStore() {
  const history: ScalingEvent[] = [];
  return { scalingHistory: async () => [...history], appendScaling: async (e: ScalingEvent) => void history.push(e) };
}

interface Rig {
  server: KubeServer;
  dir: string;
  kubeconfig: string;
  driver: KubernetesDriver;
  close(): Promise<void>;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

function driverDoc(type: 'kubernetes' | 'clusterapi', block: Record<string, unknown>): DriverDoc {
  return { apiVersion: 'quartermaster.dev/v1alpha1', kind: 'Driver', metadata: { name: 'k8s', labels: {} }, spec: { type, [type]: block } } as unknown as DriverDoc;
}

async function rig(opts: KubeServerOptions = {}, nodes = 2, settings: Record<string, unknown> = {}): Promise<Rig> {
  const server = await startKubeServer({ namespaces: ['agents'], ...opts });
  for (let i = 0; i < nodes; i++) server.addNode({ name: `work-${i}`, zone: i % 2 ? 'z-b' : 'z-a', region: 'r', labels: { [POOL]: 'work' }, allocatable: { cpu: '4', memory: '8Gi', pods: '5000' } });
  const dir = mkdtempSync(path.join(tmpdir(), 'qm-k8s-'));
  const kubeconfig = writeKubeconfig(dir, server.url, { namespace: 'agents', ...(opts.token ? { token: opts.token } : {}) });
  const driver = new KubernetesDriver('k8s', memoryStore(), kubernetesOptions(driverDoc('kubernetes', { kubeconfig, ...settings })), { retry: FAST, log: () => undefined });
  const r: Rig = {
    server, dir, kubeconfig, driver,
    async close() {
      await driver.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  rigs.push(r);
  return r;
}

describeDriverConformance('kubernetes', async () => {
  const r = await rig();
  rigs.splice(rigs.indexOf(r), 1);
  return { driver: r.driver, policy, cleanup: () => r.close() };
});

const ctx = (): ApplyContext => ({ policy, pools: policy.pools, now: NOW, planId: 'sha256:test' });
const place = (instance: string, node: string) => ({ id: 'a1', type: 'place' as const, instance, agent: 'bot', pool: 'work', node, requests: { cpuMillis: 500, memoryBytes: 256 * 2 ** 20 }, score: 50, reason: 'test' });
const managedPods = (s: KubeServer) => s.pods('agents').filter((p) => p.metadata.labels?.['app.kubernetes.io/managed-by'] === 'quartermaster');

describe('kubernetes driver against the API test server', { timeout: 30_000 }, () => {
  it('observes with paginated lists (no per-node calls) and takes unmanaged pods\' requests off capacity', async () => {
    const r = await rig({}, 3);
    for (let i = 0; i < 1200; i++) r.server.addPod({ name: `web-${i}`, namespace: 'default', nodeName: 'work-0', requests: { cpu: '1m', memory: '1Mi' }, labels: { app: 'web' } });
    r.server.addPod({ name: 'done', namespace: 'default', nodeName: 'work-1', requests: { cpu: '3' }, phase: 'Succeeded' });
    r.server.addNode({ name: 'other-0', labels: { [POOL]: 'elsewhere' } });
    r.server.clearRequests();
    const obs = await r.driver.observe(ctx());
    expect(obs.nodes.map((n) => [n.name, n.zone, n.ready])).toEqual([['work-0', 'z-a', true], ['work-1', 'z-b', true], ['work-2', 'z-a', true]]);
    expect(obs.nodes[0]!.capacity).toMatchObject({ cpuMillis: 4000 - 1200, memoryBytes: 8 * 2 ** 30 - 1200 * 2 ** 20 });
    // A terminated pod holds nothing.
    expect(obs.nodes[1]!.capacity.cpuMillis).toBe(4000);
    const lists = r.server.requests.filter((q) => q.method === 'GET');
    expect(lists.every((q) => q.verb === 'list')).toBe(true);
    const podLists = r.server.requestsFor('list', 'pods');
    expect(podLists.every((q) => q.query.limit === '500' && q.query.fieldSelector?.endsWith('status.phase!=Succeeded,status.phase!=Failed'))).toBe(true);
    // The driver's namespace in one list, every other namespace in another (1,200 pods: three pages).
    expect(podLists.filter((q) => q.namespace === 'agents')).toHaveLength(1);
    const others = podLists.filter((q) => q.namespace === undefined);
    expect(others.map((q) => q.query.fieldSelector)).toEqual(Array(3).fill('metadata.namespace!=agents,status.phase!=Succeeded,status.phase!=Failed'));
    expect(others.map((q) => Boolean(q.query.continue))).toEqual([false, true, true]);
    expect(r.server.requestsFor('list', 'nodes').map((q) => q.query.labelSelector)).toEqual([`${POOL} in (work)`]);
  });

  it('reports a cordoned or NotReady node as not ready, with its taints and providerID', async () => {
    const r = await rig({}, 0);
    r.server.addNode({ name: 'work-0', zone: 'z-a', labels: { [POOL]: 'work' }, unschedulable: true, providerID: 'aws:///z-a/i-0abc' });
    r.server.addNode({ name: 'work-1', zone: 'z-b', labels: { [POOL]: 'work' }, ready: false, taints: [{ key: 'dedicated', value: 'ml', effect: 'NoSchedule' }] });
    const obs = await r.driver.observe(ctx());
    expect(obs.nodes.map((n) => [n.name, n.ready, n.providerId ?? null])).toEqual([['work-0', false, 'aws:///z-a/i-0abc'], ['work-1', false, null]]);
    expect(obs.nodes[1]!.taints).toEqual([{ key: 'dedicated', value: 'ml', effect: 'NoSchedule' }]);
  });

  it('creates the pod bound to the planned node, and adopts it on a re-run (409 with the same labels)', async () => {
    const r = await rig();
    await r.driver.observe(ctx());
    await r.driver.apply(place('bot-0', 'work-1'), ctx());
    const again = new KubernetesDriver('k8s', memoryStore(), r.driver.opts, { retry: FAST, log: () => undefined });
    await again.apply(place('bot-0', 'work-1'), ctx());
    await again.close();
    const pods = managedPods(r.server);
    expect(pods).toHaveLength(1);
    const p = pods[0]!;
    expect(p.spec.nodeName).toBe('work-1');
    expect(p.metadata.labels).toMatchObject({ 'quartermaster.dev/agent': 'bot', 'quartermaster.dev/instance': 'bot-0', 'quartermaster.dev/template': expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(p.spec.containers[0].resources.requests).toEqual({ cpu: '500m', memory: String(256 * 2 ** 20) });
    expect(p.spec.containers[0].image).toBe('agent:local');
    expect(r.server.requestsFor('create', 'pods').map((q) => q.status)).toEqual([201, 409]);
  });

  it('refuses to adopt a pod of the same name that Quartermaster does not manage', async () => {
    const r = await rig();
    const { podName } = await import('../../src/drivers/kubernetes/pod-spec.js');
    r.server.addPod({ name: podName('bot-0', 'work-0'), namespace: 'agents', nodeName: 'work-0', labels: { app: 'mine' } });
    const err = await r.driver.apply(place('bot-0', 'work-0'), ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect((err as Error).message).toMatch(/not managed by Quartermaster\) already exists in namespace agents/);
  });

  it('moves make-before-break, and keeps the old pod when the new one does not become ready', async () => {
    const r = await rig({}, 3, { startTimeout: '1s' });
    await r.driver.apply(place('bot-0', 'work-0'), ctx());
    await r.driver.apply({ id: 'a2', type: 'move', instance: 'bot-0', agent: 'bot', fromNode: 'work-0', toNode: 'work-1', reason: 'test' }, ctx());
    expect(managedPods(r.server).map((p) => p.spec.nodeName)).toEqual(['work-1']);
    // The old pod was deleted only after the new one was seen Running and Ready, and the move
    // finished only once the old pod was gone (its room is free for what depends on the move).
    const log = r.server.requests.map((q) => `${q.verb} ${q.resource}`);
    const deleted = log.indexOf('delete pods');
    expect(deleted).toBeGreaterThan(log.indexOf('get pods'));
    expect(log.indexOf('get pods')).toBeGreaterThan(-1);
    expect(log.slice(deleted + 1)).toContain('get pods');
    r.server.setNodeReady('work-2', false);
    const err = await r.driver.apply({ id: 'a3', type: 'move', instance: 'bot-0', agent: 'bot', fromNode: 'work-1', toNode: 'work-2', reason: 'test' }, ctx()).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/move bot-0 from work-1 to work-2 on http:\/\/127\.0\.0\.1:\d+ failed: the new pod bot-0-\w+ is not Running and Ready after 1s/);
    expect(managedPods(r.server).map((p) => p.spec.nodeName)).toEqual(['work-1']);
  });

  it('evicts through the Eviction API: a PodDisruptionBudget that forbids it fails the action naming the budget', async () => {
    const r = await rig();
    await r.driver.apply(place('bot-0', 'work-0'), ctx());
    await r.driver.apply(place('bot-1', 'work-1'), ctx());
    r.server.addPdb({ name: 'bot-budget', namespace: 'agents', matchLabels: { 'quartermaster.dev/agent': 'bot' }, minAvailable: 2 });
    const err = await r.driver.apply({ id: 'a3', type: 'evict', instance: 'bot-0', agent: 'bot', node: 'work-0', reason: 'preempted' }, ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect((err as Error).message).toMatch(/evict bot-0 from work-0 on .* failed: the PodDisruptionBudget bot-budget forbids evicting pod bot-0-\w+ now \(The disruption budget bot-budget needs 2 healthy pods and has 2 currently\)/);
    // Not retried as a rate limit: one refusal, then the budget is looked up.
    expect(r.server.requestsFor('create', 'pods/eviction')).toHaveLength(1);
    r.server.store.delete(T.pdbs, r.server.store.get(T.pdbs, 'agents', 'bot-budget')!);
    await r.driver.apply({ id: 'a3', type: 'evict', instance: 'bot-0', agent: 'bot', node: 'work-0', reason: 'preempted' }, ctx());
    await r.server.settle();
    expect(managedPods(r.server).map((p) => p.metadata.labels?.['quartermaster.dev/instance'])).toEqual(['bot-1']);
  });

  it('retries 429 (honouring Retry-After) and 500, and names a refused permission in one sentence', async () => {
    const r = await rig();
    const throttled = r.server.inject({ verb: 'create', resource: 'pods', status: 429, retryAfterSeconds: 0, times: 2 });
    const broken = r.server.inject({ verb: 'list', resource: 'pods', status: 500, times: 1 });
    await r.driver.observe(ctx());
    await r.driver.apply(place('bot-0', 'work-0'), ctx());
    expect([throttled.hits, broken.hits]).toEqual([2, 1]);
    expect(managedPods(r.server)).toHaveLength(1);
    r.server.deny({ verbs: ['delete'], resources: ['pods'] });
    const err = await r.driver.apply({ id: 'a2', type: 'remove', instance: 'bot-0', agent: 'bot', node: 'work-0', reason: 'test' }, ctx()).catch((e: unknown) => e);
    expect((err as DriverError).message).toMatch(/^driver k8s: remove bot-0 from work-0 on http:\/\/127\.0\.0\.1:\d+ failed: the API server refused permission to delete pods in namespace agents to system:anonymous$/);
    expect((err as DriverError).hint).toMatch(/Role in namespace agents with apiGroups \[""\], resources \["pods"\], verbs \["delete"\]/);
  });

  it('speaks https with the kubeconfig\'s certificate authority and bearer token; a wrong token is a 401 said plainly', async () => {
    const server = await startKubeServer({ namespaces: ['agents'], tls: true, token: 's3cret' });
    const dir = mkdtempSync(path.join(tmpdir(), 'qm-k8s-tls-'));
    try {
      server.addNode({ name: 'work-0', zone: 'z-a', labels: { [POOL]: 'work' } });
      const good = new KubernetesDriver('k8s', memoryStore(), kubernetesOptions(driverDoc('kubernetes', { kubeconfig: server.writeKubeconfig(dir, { token: 's3cret' }) })), { retry: FAST });
      expect(server.url).toMatch(/^https:/);
      expect((await good.observe(ctx())).nodes.map((n) => n.name)).toEqual(['work-0']);
      await good.close();
      const bad = new KubernetesDriver('k8s', memoryStore(), kubernetesOptions(driverDoc('kubernetes', { kubeconfig: server.writeKubeconfig(path.join(dir, 'bad'), { token: 'wrong' }) })), { retry: FAST });
      const err = await bad.observe(ctx()).catch((e: unknown) => e);
      await bad.close();
      expect((err as Error).message).toMatch(/observe on https:\/\/127\.0\.0\.1:\d+ failed: the API server did not accept the credentials of the kubeconfig \(401 Unauthorized\)/);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up on an API server that keeps failing, naming it', async () => {
    const r = await rig();
    r.server.inject({ verb: 'list', resource: 'nodes', status: 503 });
    const err = await r.driver.observe(ctx()).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/driver k8s: observe on http:\/\/127\.0\.0\.1:\d+ failed: the API server kept answering 503/);
  });
});

describe('clusterapi provisioner against the API test server', { timeout: 30_000 }, () => {
  it('scales the pool\'s MachineDeployment through its scale subresource, marking the chosen Machines first on the way down', async () => {
    const r = await rig({ namespaces: ['agents', 'clusters'] }, 0);
    r.server.addMachineDeployment({ name: 'work', namespace: 'clusters', replicas: 2, zones: ['z-a', 'z-b'], pool: 'work' });
    await r.server.settle();
    const capi = new ClusterApiDriver('capi', memoryStore(), clusterapiOptions(driverDoc('clusterapi', { kubeconfig: r.kubeconfig, namespace: 'clusters' })), { retry: FAST });
    try {
      expect(capi.capabilities).toEqual({ scaleNodes: true, placeOnNode: false });
      const obs = await r.driver.observe(ctx());
      expect(obs.nodes.map((n) => n.zone).sort()).toEqual(['z-a', 'z-b']);
      await capi.apply({ id: 'a1', type: 'scalePool', pool: 'work', from: 2, to: 3, addNodes: ['work-2'], removeNodes: [], reason: 'test' }, { ...ctx(), pools: [] });
      expect(r.server.machineDeployment('clusters', 'work')!.spec.replicas).toBe(3);
      await r.server.settle();
      const three = await r.driver.observe(ctx());
      expect(three.nodes).toHaveLength(3);
      const victim = three.nodes[0]!.name;
      await capi.apply({ id: 'a2', type: 'scalePool', pool: 'work', from: 3, to: 2, addNodes: [], removeNodes: [victim], reason: 'test' }, { ...ctx(), pools: [], poolNodes: three.nodes });
      expect(r.server.requestsFor('patch', 'machines')).toHaveLength(1);
      expect(r.server.requestsFor('patch', 'machinedeployments/scale')).toHaveLength(2);
      await r.server.settle();
      const after = (await r.driver.observe(ctx())).nodes.map((n) => n.name);
      expect(after).toHaveLength(2);
      expect(after).not.toContain(victim);
      const missing = await capi.apply({ id: 'a3', type: 'scalePool', pool: 'gpu', from: 1, to: 2, addNodes: ['gpu-1'], removeNodes: [], reason: 'test' }, { ...ctx(), pools: [] }).catch((e: unknown) => e);
      expect((missing as Error).message).toMatch(/the MachineDeployment gpu does not exist in namespace clusters/);
    } finally {
      await capi.close();
    }
  });
});
