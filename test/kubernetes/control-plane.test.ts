/**
 * The test server's simulated control plane and streams: graceful termination holding capacity,
 * nodes that register later, and watches through @kubernetes/client-node's Watch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeServer } from './server.js';
import { startKubeServer } from './server.js';

const dir = mkdtempSync(join(tmpdir(), 'qm-kube-cp-'));
let server: KubeServer;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  server = await startKubeServer({ namespaces: ['agents'], kubelet: { terminationMs: 150 } });
  kc = new k8s.KubeConfig();
  kc.loadFromFile(server.writeKubeconfig(dir, { namespace: 'agents' }));
  core = kc.makeApiClient(k8s.CoreV1Api);
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const body = (name: string, nodeName: string, cpu: string): k8s.V1Pod => ({
  metadata: { name }, spec: { nodeName, containers: [{ name: 'a', image: 'busybox:1.36', resources: { requests: { cpu } } }] },
});

describe('simulated control plane', () => {
  it('a terminating pod keeps its resources until it is gone: a replacement created meanwhile is rejected', async () => {
    server.addNode({ name: 'tight', allocatable: { cpu: '1' } });
    await core.createNamespacedPod({ namespace: 'agents', body: body('first', 'tight', '800m') });
    const deleted = await core.deleteNamespacedPod({ name: 'first', namespace: 'agents' });
    expect(deleted.metadata!.deletionTimestamp).toBeTruthy();
    expect(server.pod('agents', 'first')).toBeDefined();
    await core.createNamespacedPod({ namespace: 'agents', body: body('too-soon', 'tight', '800m') });
    expect(server.pod('agents', 'too-soon')!.status.reason).toBe('OutOfcpu');
    await server.settle();
    expect(server.pod('agents', 'first')).toBeUndefined();
    await core.createNamespacedPod({ namespace: 'agents', body: body('after', 'tight', '800m') });
    expect(server.pod('agents', 'after')!.status.phase).toBe('Running');
  });

  it('registers a node later, NotReady first, then Ready', async () => {
    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    const ctl = await watch.watch('/api/v1/nodes', { fieldSelector: 'metadata.name=later' }, (phase, obj: k8s.V1Node) => {
      seen.push(`${phase}:${obj.status?.conditions?.find((c) => c.type === 'Ready')?.status}`);
    }, () => undefined);
    // The watch is established (the client resolved on the response headers) before the node exists.
    server.registerNodeLater({ name: 'later', zone: 'z', providerID: 'aws:///z/i-0abc' }, { afterMs: 20, readyAfterMs: 20 });
    expect(server.node('later')).toBeUndefined();
    await server.settle();
    for (let i = 0; i < 500 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    ctl.abort();
    expect(seen).toEqual(['ADDED:False', 'MODIFIED:True']);
    expect(server.node('later')!.spec.providerID).toBe('aws:///z/i-0abc');
  });
});
