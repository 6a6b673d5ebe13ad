/**
 * The Kubernetes API test server under Quartermaster-sized load, through @kubernetes/client-node:
 * observe 5,000 nodes and 50,000 pods with paginated lists (limit 500), then 5,000 pod creations
 * at concurrency 20. Client and server share this process: `*ServerMs` is the server's own handling
 * time (sum over requests), `*CpuMs` the process CPU of both. Run: node scripts/k8s-test-server.mjs --bench
 * (compiles, then runs this). Prints one JSON line of figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startKubeServer } from '../test/kubernetes/server.js';

const NODES = Number(process.argv[2] ?? 5000);
const PODS = Number(process.argv[3] ?? 50000);
const CREATES = Number(process.argv[4] ?? 5000);

const server = await startKubeServer({ namespaces: ['agents'] });
const dir = mkdtempSync(join(tmpdir(), 'qm-kube-bench-'));
try {
  let t = performance.now();
  const zones = ['a', 'b', 'c'];
  server.addNodes(Array.from({ length: NODES }, (_, i) => ({ name: `node-${String(i).padStart(5, '0')}`, zone: zones[i % 3], labels: { 'quartermaster.dev/pool': `pool-${i % 10}` }, allocatable: { cpu: '64', memory: '256Gi', pods: '110' } })));
  for (let i = 0; i < PODS; i++) {
    server.addPod({ name: `pod-${String(i).padStart(6, '0')}`, namespace: 'agents', nodeName: `node-${String(i % NODES).padStart(5, '0')}`, requests: { cpu: '100m', memory: '128Mi' },
      labels: i % 2 ? { 'app.kubernetes.io/managed-by': 'quartermaster', 'quartermaster.dev/agent': `agent-${i % 50}`, 'quartermaster.dev/instance': String(i) } : { app: 'other' } });
  }
  await server.settle();
  const seedMs = performance.now() - t;

  const kc = new k8s.KubeConfig();
  kc.loadFromFile(server.writeKubeconfig(dir));
  const core = kc.makeApiClient(k8s.CoreV1Api);
  server.clearRequests();
  t = performance.now();
  let cpu = process.cpuUsage();
  let nodes = 0;
  let cont: string | undefined;
  do {
    const page = await core.listNode({ limit: 500, _continue: cont });
    nodes += page.items.length;
    cont = page.metadata?._continue;
  } while (cont);
  let pods = 0;
  do {
    const page = await core.listPodForAllNamespaces({ limit: 500, _continue: cont });
    pods += page.items.length;
    cont = page.metadata?._continue;
  } while (cont);
  const observeMs = performance.now() - t;
  const observeServerMs = server.requests.reduce((a, r) => a + r.handleMs, 0);
  const observeServerCpuMs = server.requests.reduce((a, r) => a + r.handleCpuMs, 0);
  const observeCpuMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000;
  const observeRequests = server.requests.length;

  // The same lists again with a plain HTTP client (no client-side decoding): the server's cost alone.
  const rawObserve = async () => {
    server.clearRequests();
    const started = performance.now();
    for (const path of ['/api/v1/nodes', '/api/v1/pods']) {
      let c = '';
      do {
        const r = await fetch(`${server.url}${path}?limit=500${c ? `&continue=${encodeURIComponent(c)}` : ''}`);
        const body = (await r.json()) as { metadata: { continue?: string } };
        c = body.metadata.continue ?? '';
      } while (c);
    }
    return { wallMs: Math.round(performance.now() - started), serverMs: Math.round(server.requests.reduce((a, r) => a + r.handleMs, 0)), serverCpuMs: Math.round(server.requests.reduce((a, r) => a + r.handleCpuMs, 0)) };
  };
  const rawObserve1 = await rawObserve();
  const rawObserve2 = await rawObserve();

  server.clearRequests();
  t = performance.now();
  cpu = process.cpuUsage();
  let next = 0;
  const worker = async () => {
    while (next < CREATES) {
      const i = next++;
      await core.createNamespacedPod({ namespace: 'agents', body: { metadata: { name: `new-${i}`, labels: { 'app.kubernetes.io/managed-by': 'quartermaster' } },
        spec: { nodeName: `node-${String(i % NODES).padStart(5, '0')}`, containers: [{ name: 'agent', image: 'busybox:1.36', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] } } });
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
  const createMs = performance.now() - t;
  const createServerMs = server.requests.reduce((a, r) => a + r.handleMs, 0);
  const createServerCpuMs = server.requests.reduce((a, r) => a + r.handleCpuMs, 0);
  const createCpuMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000;
  console.log(JSON.stringify({
    nodes, pods, seedMs: Math.round(seedMs), observeMs: Math.round(observeMs), observeServerMs: Math.round(observeServerMs), observeServerCpuMs: Math.round(observeServerCpuMs), observeCpuMs: Math.round(observeCpuMs), observeRequests,
    creates: CREATES, createMs: Math.round(createMs), createsPerSecond: Math.round(CREATES / (createMs / 1000)), createServerMs: Math.round(createServerMs), createServerCpuMs: Math.round(createServerCpuMs), createCpuMs: Math.round(createCpuMs),
    rawObserve1, rawObserve2, rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  }));
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
