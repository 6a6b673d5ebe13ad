// Benchmark: the kubernetes driver against the Kubernetes API test server (a separate process).
//   - observe 5,000 nodes + 50,000 pods (40,000 managed, 10,000 unmanaged), median of 3 (target ≤ 3 s);
//   - apply 5,000 place actions with 20 in flight (as `qm apply --concurrency 20`) and the driver's
//     API concurrency 20: pods/s, against the sim driver placing 5,000 instances on its SQLite store;
//   - peak RSS of this process (the driver) and of the server (target ≤ 1 GiB).
// Run by `npm run bench -- kubernetes` (compiled to bench/out/tsc first), or
//   node bench/out/tsc/bench/kubernetes/bench.js [--nodes 5000] [--pods 50000] [--creates 5000]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { validateFiles } from '../../src/config/validate.js';
import type { ApplyContext, Driver } from '../../src/drivers/contract.js';
import { KubernetesDriver } from '../../src/drivers/kubernetes/driver.js';
import { kubernetesOptions } from '../../src/drivers/kubernetes/options.js';
import { SimDriver } from '../../src/drivers/sim/driver.js';
import { StorePort } from '../../src/engine/store-port.js';
import type { DriverDoc } from '../../src/model/documents.js';
import type { PlaceAction } from '../../src/model/plan.js';
import type { ScalingEvent } from '../../src/model/state.js';
import { openStateStore } from '../../src/state/index.js';
import { writeKubeconfig } from '../../test/kubernetes/kubeconfig.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { nodes: { type: 'string', default: '5000' }, pods: { type: 'string', default: '50000' }, creates: { type: 'string', default: '5000' }, json: { type: 'boolean', default: false } } });
const NODES = Number(values.nodes);
const PODS = Number(values.pods);
const CREATES = Number(values.creates);
const IN_FLIGHT = 20;

interface Server { url: string; stop(): Promise<{ maxRssMiB: number; cpuSeconds: number }> }

async function startServer(args: string[]): Promise<Server> {
  const child = spawn(process.execPath, [path.join(HERE, 'server.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const it = lines[Symbol.asyncIterator]();
  const first = await it.next();
  const { url } = JSON.parse(String(first.value)) as { url: string };
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      const last = await it.next();
      return JSON.parse(String(last.value)) as { maxRssMiB: number; cpuSeconds: number };
    },
  };
}

// Compiled beside the sources (bench/out/tsc), the validator looks for the schemas two levels up.
const schemas = path.join(HERE, '..', '..', 'schemas');
if (!existsSync(schemas)) symlinkSync(path.join(HERE, '..', '..', '..', '..', '..', 'schemas'), schemas);
const policy = validateFiles([
  { path: 'pools/work.yaml', text: `apiVersion: quartermaster.dev/v1alpha1\nkind: Pool\nmetadata: {name: work}\nspec:\n  zones: [z-a, z-b, z-c]\n  node: {capacity: {cpu: 64, memory: 256Gi}}\n  size: {min: 1, max: ${NODES}, initial: ${NODES}}\n` },
  { path: 'agents/bot.yaml', text: `apiVersion: quartermaster.dev/v1alpha1\nkind: Agent\nmetadata: {name: bot}\nspec:\n  owner: team\n  replicas: ${CREATES}\n  resources: {requests: {cpu: 500m, memory: 256Mi}}\n  runtime: {image: "registry.local/bot:1", command: [sleep, "3600"]}\n` },
]).policy!;
const ctx = (): ApplyContext => ({ policy, pools: policy.pools, now: '2026-11-28T10:00:00Z', planId: `sha256:${'1'.repeat(64)}` });
const history: ScalingEvent[] = [];
const memStore = { scalingHistory: async () => history, appendScaling: async (e: ScalingEvent) => void history.push(e) };

function kubeDriver(kubeconfig: string): KubernetesDriver {
  const doc = { apiVersion: 'quartermaster.dev/v1alpha1', kind: 'Driver', metadata: { name: 'bench', labels: {} }, spec: { type: 'kubernetes', kubernetes: { kubeconfig, namespace: 'agents', concurrency: IN_FLIGHT } } } as unknown as DriverDoc;
  return new KubernetesDriver('bench', memStore, kubernetesOptions(doc), { log: () => undefined });
}

/** The engine's loop, reduced: `count` place actions, `IN_FLIGHT` at a time; returns seconds. */
async function placeAll(driver: Driver, nodeNames: string[], count: number): Promise<number> {
  const actions: PlaceAction[] = Array.from({ length: count }, (_, i) => ({ id: `a${i + 1}`, type: 'place', instance: `bot-${i}`, agent: 'bot', pool: 'work', node: nodeNames[i % nodeNames.length]!, requests: { cpuMillis: 500, memoryBytes: 268435456 }, score: 50, reason: 'bench' }));
  let next = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < actions.length) await driver.apply(actions[next++]!, ctx());
  }));
  return (performance.now() - t) / 1000;
}

const tmp = mkdtempSync(path.join(tmpdir(), 'qm-kbench-'));
const results: Record<string, number | string> = {};
let observed = { nodes: 0, instances: 0 };
try {
  // Observe.
  const big = await startServer(['--nodes', String(NODES), '--managed', String(Math.round(PODS * 0.8)), '--unmanaged', String(Math.round(PODS * 0.2))]);
  const bigConfig = writeKubeconfig(path.join(tmp, 'big'), big.url, { namespace: 'agents' });
  const times: number[] = [];
  let clientCpu = 0;
  await import('@kubernetes/client-node'); // loaded once, as by any qm command; not part of the timing
  for (let run = 0; run < 3; run++) {
    const d = kubeDriver(bigConfig);
    const t = performance.now();
    const cpu = process.cpuUsage();
    const obs = await d.observe(ctx());
    const used = process.cpuUsage(cpu);
    clientCpu += (used.user + used.system) / 1e6 / 3;
    times.push((performance.now() - t) / 1000);
    observed = { nodes: obs.nodes.length, instances: obs.instances.length };
    await d.close();
  }
  times.sort((a, b) => a - b);
  results.observeSeconds = times[1]!;
  results.observeNodes = observed.nodes;
  results.observeInstances = observed.instances;
  const bigStats = await big.stop();
  results.serverObserveRssMiB = bigStats.maxRssMiB;
  results.observeClientCpuSeconds = clientCpu;
  results.observeServerCpuSeconds = bigStats.cpuSeconds / 3;

  // Apply: 5,000 creations.
  const empty = await startServer(['--nodes', String(NODES)]);
  const emptyConfig = writeKubeconfig(path.join(tmp, 'empty'), empty.url, { namespace: 'agents' });
  const d = kubeDriver(emptyConfig);
  const obs = await d.observe(ctx());
  const kubeSeconds = await placeAll(d, obs.nodes.map((n) => n.name), CREATES);
  results.kubeCreates = CREATES;
  results.kubeApplySeconds = kubeSeconds;
  results.kubePodsPerSecond = CREATES / kubeSeconds;
  await d.close();
  results.serverApplyRssMiB = (await empty.stop()).maxRssMiB;

  // The sim driver, same actions, on a SQLite state store.
  const store = await openStateStore(path.join(tmp, 'state.db'));
  const sim = new SimDriver('sim', new StorePort(store));
  const simObs = await sim.observe({ policy, pools: policy.pools, now: ctx().now });
  const simSeconds = await placeAll(sim, simObs.nodes.map((n) => n.name), CREATES);
  results.simApplySeconds = simSeconds;
  results.simPlacesPerSecond = CREATES / simSeconds;
  await store.close();
  results.driverPeakRssMiB = process.resourceUsage().maxRSS / 1024;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

if (values.json) process.stdout.write(`${JSON.stringify(results)}\n`);
else {
  const f = (n: unknown, d = 2) => (typeof n === 'number' ? n.toFixed(d) : String(n));
  process.stdout.write([
    `| benchmark | result | target |`,
    `|---|---:|---|`,
    `| observe ${NODES.toLocaleString('en')} nodes + ${PODS.toLocaleString('en')} pods (${observed.instances.toLocaleString('en')} instances), median of 3 | ${f(results.observeSeconds)} s wall; CPU ${f(results.observeClientCpuSeconds)} s driver + ${f(results.observeServerCpuSeconds)} s API server | ≤ 3 s |`,
    `| apply ${CREATES.toLocaleString('en')} pod creations, ${IN_FLIGHT} in flight (kubernetes driver) | ${f(results.kubeApplySeconds)} s, ${f(results.kubePodsPerSecond, 0)} pods/s | |`,
    `| apply ${CREATES.toLocaleString('en')} placements, ${IN_FLIGHT} in flight (sim driver, SQLite) | ${f(results.simApplySeconds)} s, ${f(results.simPlacesPerSecond, 0)} places/s | |`,
    `| peak RSS: driver process / API server (observe) / API server (apply) | ${f(results.driverPeakRssMiB, 0)} / ${f(results.serverObserveRssMiB, 0)} / ${f(results.serverApplyRssMiB, 0)} MiB | ≤ 1024 MiB |`,
  ].join('\n') + '\n');
}
writeFileSync(path.join(HERE, '..', '..', '..', 'kubernetes.json'), JSON.stringify(results, null, 2));
