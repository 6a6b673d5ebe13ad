/**
 * Real use through the resource metrics API (metrics.k8s.io/v1beta1) of the Kubernetes API test
 * server: PodMetrics summed over containers into canonical units, attached to the instances; a
 * cluster without the API has no usage and no warning; an API that fails leaves usage unset with
 * a warning and never fails observation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startKubeServer } from '../kubernetes/server.js';
import type { KubeServer } from '../kubernetes/server.js';
import { writeKubeconfig } from '../kubernetes/kubeconfig.js';
import { KubernetesDriver } from '../../src/drivers/kubernetes/driver.js';
import { kubernetesOptions } from '../../src/drivers/kubernetes/options.js';
import { podUsage } from '../../src/drivers/kubernetes/usage.js';
import type { ApplyContext } from '../../src/drivers/contract.js';
import type { DriverDoc } from '../../src/model/documents.js';
import { conformancePolicy } from './conformance.js';

const POOL = 'quartermaster.dev/pool';
const policy = conformancePolicy('kubernetes');
const NOW = '2026-11-28T10:00:00Z';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function rig(metrics: boolean): Promise<{ server: KubeServer; driver: KubernetesDriver }> {
  const server = await startKubeServer({ namespaces: ['agents'], metrics });
  for (let i = 0; i < 2; i++) server.addNode({ name: `work-${i}`, zone: 'z-a', region: 'r', labels: { [POOL]: 'work' }, allocatable: { cpu: '4', memory: '8Gi', pods: '110' } });
  const dir = mkdtempSync(path.join(tmpdir(), 'qm-k8s-usage-'));
  const kubeconfig = writeKubeconfig(dir, server.url, { namespace: 'agents' });
  const doc = { apiVersion: 'quartermaster.dev/v1alpha1', kind: 'Driver', metadata: { name: 'k8s', labels: {} }, spec: { type: 'kubernetes', kubernetes: { kubeconfig } } } as unknown as DriverDoc;
  const driver = new KubernetesDriver('k8s', { scalingHistory: async () => [], appendScaling: async () => undefined }, kubernetesOptions(doc), { retry: { baseMs: 5, maxMs: 50 }, log: () => undefined });
  cleanups.push(async () => {
    await driver.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { server, driver };
}

const ctx = (): ApplyContext => ({ policy, pools: policy.pools, now: NOW, planId: 'sha256:test' });
const place = (instance: string, node: string) => ({ id: 'a1', type: 'place' as const, instance, agent: 'bot', pool: 'work', node, requests: { cpuMillis: 500, memoryBytes: 256 * 2 ** 20 }, score: 50, reason: 'test' });
const podOf = (s: KubeServer, instance: string) => s.pods('agents').find((p) => p.metadata.labels?.['quartermaster.dev/instance'] === instance)!.metadata.name;

describe('kubernetes driver: real use from metrics.k8s.io', { timeout: 30_000 }, () => {
  it('parses PodMetrics quantities (nanocores, Ki) and sums containers', () => {
    expect(podUsage({ timestamp: '2026-11-28T09:59:50Z', window: '10.062s', containers: [{ name: 'agent', usage: { cpu: '123456789n', memory: '1234Ki' } }, { name: 'sidecar', usage: { cpu: '5m', memory: '1Mi' } }] }))
      .toEqual({ at: '2026-11-28T09:59:50Z', use: { cpuMillis: 128, memoryBytes: 1234 * 1024 + 2 ** 20 } });
    // No containers or no timestamp: nothing measured (never zeros).
    expect(podUsage({ timestamp: '2026-11-28T09:59:50Z', containers: [] })).toBeUndefined();
    expect(podUsage({ containers: [{ usage: { cpu: '1' } }] })).toBeUndefined();
  });

  it('attaches each managed pod\'s usage to its instance; only when asked, in one list of the namespace', async () => {
    const { server, driver } = await rig(true);
    await driver.observe(ctx());
    await driver.apply(place('bot-0', 'work-0'), ctx());
    await driver.apply(place('bot-1', 'work-1'), ctx());
    await server.settle();
    server.setPodMetrics('agents', podOf(server, 'bot-0'), [{ name: 'agent', usage: { cpu: '250000000n', memory: '131072Ki' } }]);
    // bot-1 has no metrics yet (metrics-server scrapes every 15 s): it stays unmeasured.
    server.clearRequests();
    const plain = await driver.observe(ctx());
    expect(plain.instances.every((i) => i.usage === undefined)).toBe(true);
    expect(server.requests.filter((q) => q.path.startsWith('/apis/metrics.k8s.io'))).toEqual([]);

    const obs = await driver.observe({ ...ctx(), usage: true });
    const byName = new Map(obs.instances.map((i) => [i.name, i]));
    expect(byName.get('bot-0')!.usage!.use).toEqual({ cpuMillis: 250, memoryBytes: 128 * 2 ** 20 });
    expect(Number.isFinite(Date.parse(byName.get('bot-0')!.usage!.at))).toBe(true);
    expect(byName.get('bot-1')!.usage).toBeUndefined();
    expect(obs.warnings).toEqual([]);
    const metricLists = server.requests.filter((q) => q.path.startsWith('/apis/metrics.k8s.io') && q.verb === 'list');
    expect(metricLists.map((q) => [q.path, q.query.labelSelector])).toEqual([['/apis/metrics.k8s.io/v1beta1/namespaces/agents/pods', 'quartermaster.dev/instance']]);
  });

  it('a cluster without metrics.k8s.io: no usage, no warning', async () => {
    const { driver } = await rig(false);
    await driver.observe(ctx());
    await driver.apply(place('bot-0', 'work-0'), ctx());
    const obs = await driver.observe({ ...ctx(), usage: true });
    expect(obs.instances.map((i) => [i.name, i.usage])).toEqual([['bot-0', undefined]]);
    expect(obs.warnings).toEqual([]);
  });

  it('metrics-server failing (503): usage unset, one warning naming the API, observation still succeeds, no retries', async () => {
    const { server, driver } = await rig(true);
    await driver.observe(ctx());
    await driver.apply(place('bot-0', 'work-0'), ctx());
    await server.settle();
    server.setPodMetrics('agents', podOf(server, 'bot-0'), [{ name: 'agent', usage: { cpu: '1', memory: '1Gi' } }]);
    const fault = server.inject({ path: /^\/apis\/metrics\.k8s\.io\/v1beta1\/namespaces\/agents\/pods$/, status: 503, message: 'the server is currently unable to handle the request' });
    const obs = await driver.observe({ ...ctx(), usage: true });
    expect(obs.instances.map((i) => [i.name, i.usage])).toEqual([['bot-0', undefined]]);
    expect(obs.warnings).toHaveLength(1);
    expect(obs.warnings[0]).toMatch(/^driver k8s: the resource metrics API \(metrics\.k8s\.io\) of http:\/\/127\.0\.0\.1:\d+ did not answer \(503 .*unable to handle the request\); real use is not measured this time/);
    expect(fault.hits).toBe(1);
  });
});
