/**
 * The kubernetes driver's pure parts: quantities and GPU resources, the pod it creates and reads
 * back, observation assembly (unmanaged requests off capacity, cordon, taints, zones, duplicates),
 * error sentences, and the shared retry helper.
 */
import { describe, expect, it } from 'vitest';
import { backoffMs, parseRetryAfter, withRetry } from '../../src/drivers/retry.js';
import { fromKube, podRequests, quantity, toKube } from '../../src/drivers/kubernetes/resources.js';
import { instanceFromPod, podFor, podName, viewPod } from '../../src/drivers/kubernetes/pod-spec.js';
import { assemble, viewNode } from '../../src/drivers/kubernetes/observe.js';
import { explain } from '../../src/drivers/kubernetes/errors.js';
import { KubeApiError } from '../../src/drivers/kubernetes/rest.js';
import { kubernetesOptions } from '../../src/drivers/kubernetes/options.js';
import { conformancePolicy } from './conformance.js';

describe('retry', () => {
  it('retries what the classifier allows, waits at least Retry-After, and gives up after the attempts', async () => {
    const waits: number[] = [];
    let calls = 0;
    const out = await withRetry(async () => {
      calls++;
      if (calls < 3) throw Object.assign(new Error('busy'), { after: 2000 });
      return 'ok';
    }, { classify: (e) => ({ retry: true, afterMs: (e as { after: number }).after }), random: () => 0.5, wait: async (ms) => void waits.push(ms) });
    expect(out).toBe('ok');
    expect(waits).toEqual([2000, 2000]);
    calls = 0;
    await expect(withRetry(async () => { calls++; throw new Error('down'); }, { attempts: 4, classify: () => ({ retry: true }), random: () => 0, wait: async () => undefined })).rejects.toThrow('down');
    expect(calls).toBe(4);
    calls = 0;
    await expect(withRetry(async () => { calls++; throw new Error('no'); }, { classify: () => ({ retry: false }), wait: async () => undefined })).rejects.toThrow('no');
    expect(calls).toBe(1);
  });

  it('backs off exponentially with full jitter under a cap, and reads Retry-After as seconds or a date', () => {
    expect(backoffMs(0, 200, 10_000, () => 0.999)).toBe(199);
    expect(backoffMs(3, 200, 10_000, () => 0.5)).toBe(800);
    expect(backoffMs(10, 200, 10_000, () => 0.5)).toBe(5000);
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', Date.parse('2026-01-01T00:00:00Z'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('resources', () => {
  it('reads Kubernetes quantities and maps allocatable onto canonical resources, shared GPU slots by replicas', () => {
    expect(quantity('3800m')).toBeCloseTo(3.8);
    expect(quantity('15720320Ki')).toBe(15720320 * 1024);
    expect(quantity('1e3')).toBe(1000);
    expect(quantity('garbage')).toBeUndefined();
    expect(fromKube({ cpu: '3800m', memory: '16Gi', 'ephemeral-storage': '100Gi', 'nvidia.com/gpu': '4', pods: '110', 'hugepages-2Mi': '0', 'example.com/fpga': '2' }, 1, true)).toEqual({
      cpuMillis: 3800, memoryBytes: 16 * 2 ** 30, storageBytes: 100 * 2 ** 30, gpuMillis: 4000, 'example.com/fpga': 2,
    });
    expect(fromKube({ 'nvidia.com/gpu.shared': '8' }, 4, true)).toEqual({ gpuMillis: 2000 });
    expect(fromKube({ 'nvidia.com/gpu.shared': '1' }, 4)).toEqual({ gpuMillis: 250 });
  });

  it('writes whole GPUs as nvidia.com/gpu and a share as one nvidia.com/gpu.shared slot', () => {
    expect(toKube({ cpuMillis: 500, memoryBytes: 2 ** 28, gpuMillis: 2000, networkMbps: 100 })).toEqual({ cpu: '500m', memory: String(2 ** 28), 'nvidia.com/gpu': '2' });
    expect(toKube({ cpuMillis: 2000, gpuMillis: 250 })).toEqual({ cpu: '2', 'nvidia.com/gpu.shared': '1' });
  });

  it('counts an unmanaged pod as kube-scheduler does: containers summed, the largest init container, overhead', () => {
    const spec = {
      containers: [{ resources: { requests: { cpu: '250m', memory: '1Gi' } } }, { resources: { requests: { cpu: '250m' } } }],
      initContainers: [{ resources: { requests: { cpu: '2', memory: '512Mi' } } }],
      overhead: { cpu: '100m' },
    };
    expect(podRequests(spec)).toEqual({ cpuMillis: 2100, memoryBytes: 2 ** 30 });
  });
});

const policy = conformancePolicy('kubernetes', [{
  path: 'pools/gpu.yaml',
  text: `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: gpu}
spec:
  driver: kubernetes
  node: {capacity: {cpu: 8, memory: 32Gi, gpu: 2}}
`,
}, {
  path: 'agents/gpu.yaml',
  text: `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: trainer}
spec:
  owner: team
  class: guaranteed
  resources:
    requests: {cpu: 2, memory: 4Gi, gpu: 1}
  placement:
    tolerations: [{key: dedicated, operator: Equal, value: ml, effect: NoSchedule}]
  runtime: {image: "trainer:1", command: [python, train.py], env: {TOKEN: "\${env:QM_TEST_TOKEN}", MODE: fast}}
`,
}]);
const trainer = policy.agents.find((a) => a.metadata.name === 'trainer')!;

describe('pod spec', () => {
  const id = { instance: 'trainer-0', agent: 'trainer', pool: 'work', node: 'n1', planId: 'sha256:p', requests: { cpuMillis: 2000, memoryBytes: 4 * 2 ** 30, gpuMillis: 1000 }, gpuDevices: [1], startedAt: '2026-11-28T10:00:00Z', template: 'abc' };

  it('binds the pod to the planned node with labels, requests, limits, env and command from the Agent', () => {
    const b = podFor(id, 'agents', trainer, {}, { QM_TEST_TOKEN: 's3cret' });
    if (!b.ok) throw new Error(b.message);
    const p = b.pod;
    expect(p.metadata.name).toBe(podName('trainer-0', 'n1'));
    expect(p.metadata.name).not.toBe(podName('trainer-0', 'n2'));
    expect(p.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'quartermaster', 'quartermaster.dev/agent': 'trainer', 'quartermaster.dev/instance': 'trainer-0', 'quartermaster.dev/pool': 'work', 'quartermaster.dev/template': 'abc' });
    expect(p.spec.nodeName).toBe('n1');
    const c = (p.spec.containers as Record<string, unknown>[])[0]!;
    expect(c.image).toBe('trainer:1');
    expect(c.command).toEqual(['python', 'train.py']);
    expect(c.env).toEqual([{ name: 'MODE', value: 'fast' }, { name: 'TOKEN', value: 's3cret' }]);
    // Guaranteed: limits equal requests; the GPU is an extended resource in both.
    expect(c.resources).toEqual({ requests: { cpu: '2', memory: String(4 * 2 ** 30), 'nvidia.com/gpu': '1' }, limits: { cpu: '2', memory: String(4 * 2 ** 30), 'nvidia.com/gpu': '1' } });
    expect(p.spec.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' }]);
    // Secrets resolved from the environment never reach labels or annotations.
    expect(JSON.stringify(p.metadata)).not.toContain('s3cret');
  });

  it('refuses an unset ${env:} reference and an agent without an image, naming the fix', () => {
    const b = podFor(id, 'agents', trainer, {}, {});
    expect(b.ok).toBe(false);
    expect(!b.ok && b.message).toMatch(/QM_TEST_TOKEN/);
    const bot = policy.agents.find((a) => a.metadata.name === 'bot')!;
    const noImage = { ...bot, spec: { ...bot.spec, runtime: {} } };
    const r = podFor({ ...id, agent: 'bot' }, 'agents', noImage, {}, {});
    expect(!r.ok && r.message).toMatch(/spec.runtime.image/);
    expect(podFor({ ...id, agent: 'bot' }, 'agents', noImage, { image: 'fallback:1' }, {}).ok).toBe(true);
  });

  it('reads the instance back from a created pod', () => {
    const b = podFor(id, 'agents', trainer, {}, { QM_TEST_TOKEN: 'x' });
    if (!b.ok) throw new Error(b.message);
    const v = viewPod({ ...b.pod, metadata: { ...b.pod.metadata, uid: 'u1', creationTimestamp: '2026-11-28T10:00:01Z' }, status: { phase: 'Running' } }, () => undefined);
    expect(instanceFromPod(v)).toEqual({ name: 'trainer-0', agent: 'trainer', node: 'n1', requests: id.requests, startedAt: id.startedAt, template: 'abc', gpuDevices: [1] });
  });
});

describe('observation', () => {
  const node = (name: string, extra: Record<string, unknown> = {}, labels: Record<string, string> = {}) => viewNode({
    metadata: { name, labels: { 'quartermaster.dev/pool': 'work', 'topology.kubernetes.io/zone': 'z-b', ...labels } },
    spec: { providerID: `aws:///z-b/i-${name}`, ...extra },
    status: { allocatable: { cpu: '4', memory: '8Gi' }, conditions: [{ type: 'Ready', status: 'True' }] },
  }, 'quartermaster.dev/pool');
  const pod = (name: string, nodeName: string, labels: Record<string, string>, ns = 'agents', created = '2026-11-28T10:00:00Z') => viewPod({
    metadata: { name, namespace: ns, labels, annotations: {}, creationTimestamp: created, uid: name },
    spec: { nodeName, containers: [{ resources: { requests: { cpu: '1', memory: '1Gi' } } }] },
    status: { phase: 'Running' },
  }, (s) => podRequests(s as never));
  const managed = (inst: string) => ({ 'app.kubernetes.io/managed-by': 'quartermaster', 'quartermaster.dev/agent': 'bot', 'quartermaster.dev/instance': inst, 'quartermaster.dev/pool': 'work' });

  it('takes unmanaged requests off capacity, reads zone, taints, cordon and providerID, and lists the newest copy of an instance first', () => {
    const a = assemble({
      nodes: [node('n1'), node('n2', { unschedulable: true, taints: [{ key: 'gpu', effect: 'NoExecute' }] }), node('n3', {}, { 'topology.kubernetes.io/zone': '' })],
      pods: [
        pod('web', 'n1', { app: 'web' }, 'default'),
        pod('other-qm', 'n1', managed('x-0'), 'elsewhere'),
        pod('bot-0-old', 'n1', managed('bot-0')),
        pod('bot-0-new', 'n2', managed('bot-0'), 'agents', '2026-11-28T11:00:00Z'),
        pod('far', 'outside', { app: 'x' }, 'default'),
      ],
    }, policy.pools.filter((p) => p.metadata.name === 'work'), 'agents');
    const n1 = a.nodes.find((n) => n.name === 'n1')!;
    expect(n1.capacity).toEqual({ cpuMillis: 2000, memoryBytes: 6 * 2 ** 30 });
    expect(n1.zone).toBe('z-b');
    expect(n1.providerId).toBe('aws:///z-b/i-n1');
    expect(n1.ready).toBe(true);
    const n2 = a.nodes.find((n) => n.name === 'n2')!;
    expect(n2.ready).toBe(false);
    expect(n2.taints).toEqual([{ key: 'gpu', effect: 'NoSchedule' }]);
    expect(a.instances.map((i) => i.node)).toEqual(['n2', 'n1']);
    expect(a.podsByInstance.get('bot-0')!.map((p) => p.name).sort()).toEqual(['bot-0-new', 'bot-0-old']);
  });
});

describe('errors and options', () => {
  it('names verb, resource and namespace of a refused permission in one sentence, with the rule to grant', () => {
    const e = new KubeApiError(403, 'pods "bot-0" is forbidden: User "system:serviceaccount:qm:qm" cannot create resource "pods/eviction" in API group "" in the namespace "agents"', { verb: 'create', resource: 'pods/eviction', namespace: 'agents' }, 'Forbidden');
    const x = explain(e);
    expect(x.detail).toBe('the API server refused permission to create pods/eviction in namespace agents to system:serviceaccount:qm:qm');
    expect(x.hint).toMatch(/resources \["pods\/eviction"\], verbs \["create"\]/);
    expect(explain(new KubeApiError(403, 'forbidden', { verb: 'list', resource: 'nodes' })).detail).toBe('the API server refused permission to list nodes cluster-wide');
  });

  it('applies the documented defaults and reports a bad duration without throwing', () => {
    const o = kubernetesOptions(undefined);
    expect([o.poolLabel, o.concurrency, o.startTimeout]).toEqual(['quartermaster.dev/pool', 20, 300]);
    const doc = { ...policy.pools[0]!, kind: 'Driver', metadata: { name: 'k', labels: {} }, spec: { type: 'kubernetes', kubernetes: { startTimeout: '2 minutes', namespace: '${env:QM_NS}' } } } as never;
    const bad = kubernetesOptions(doc, { QM_NS: 'agents' });
    expect(bad.namespace).toBe('agents');
    expect(bad.startTimeout).toBe(300);
    expect(bad.problems.join()).toMatch(/startTimeout/);
  });
});
