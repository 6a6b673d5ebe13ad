/**
 * Real use from a real Docker engine (issue #15): one dockerd started by this file (stopped by PID
 * afterwards), a managed container that burns CPU under a CPU limit, another that idles. Observing
 * with `usage` measures both through the stats endpoint; without it, nothing is measured. Outside
 * CI these tests skip when dockerd is missing; in CI they fail instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyContext } from '../../src/drivers/contract.js';
import { DockerDriver } from '../../src/drivers/docker/driver.js';
import { dockerOptions } from '../../src/drivers/docker/options.js';
import { validateFiles } from '../../src/config/validate.js';
import type { PolicySet } from '../../src/model/documents.js';
import type { PlaceAction } from '../../src/model/plan.js';
import type { Daemon } from './docker-helpers.js';
import { dockerCli, removeRootfs, SKIP_DOCKER, startDaemons, stopDaemons } from './docker-helpers.js';

const NOW = '2026-11-28T10:00:00Z';
let daemons: Daemon[] = [];

beforeAll(async () => {
  if (SKIP_DOCKER) return;
  daemons = await startDaemons(1);
}, 120_000);

afterAll(async () => {
  await stopDaemons(daemons);
  removeRootfs();
}, 120_000);

function policyOn(address: string): PolicySet {
  const agent = (name: string, cpu: string, command: string) => ({
    path: `agents/${name}.yaml`,
    text: `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: ${name}}
spec:
  owner: team
  replicas: 1
  resources:
    requests: {cpu: ${cpu}, memory: 64Mi}
  runtime:
    image: "agent:local"
    command: ${command}
`,
  });
  const r = validateFiles([
    {
      path: 'pools/local.yaml',
      text: `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: local}
spec:
  driver: docker
  node:
    capacity: {cpu: 2, memory: 2Gi}
  nodes:
    - {name: n0, address: "${address}"}
`,
    },
    agent('burner', '500m', `["sh", "-c", "while :; do :; done"]`),
    agent('idler', '250m', `["sleep", "3600"]`),
  ]);
  if (!r.policy) throw new Error(JSON.stringify(r.diagnostics));
  return r.policy;
}

const place = (instance: string, agent: string, cpuMillis: number): PlaceAction => ({ id: 'a1', type: 'place', instance, agent, pool: 'local', node: 'n0', requests: { cpuMillis, memoryBytes: 64 * 2 ** 20 }, score: 50, reason: 'test' });

describe.skipIf(SKIP_DOCKER)('docker driver: real use from the stats endpoint', { timeout: 120_000 }, () => {
  it('measures the CPU of a busy container within its limit, an idle one near zero, and memory of both', async () => {
    const policy = policyOn(daemons[0]!.address);
    const ctx: ApplyContext = { policy, pools: policy.pools, now: NOW, planId: 'sha256:test' };
    const warnings: string[] = [];
    const driver = new DockerDriver('docker', { scalingHistory: () => Promise.resolve([]), appendScaling: () => Promise.resolve() }, dockerOptions(undefined, {}), {}, () => undefined);
    try {
      await driver.apply(place('burner-0', 'burner', 500), ctx);
      await driver.apply(place('idler-0', 'idler', 250), ctx);
      // Without `usage`, observation stays as fast as before: nothing is measured.
      const plain = await driver.observe(ctx);
      expect(plain.instances.map((i) => i.name)).toEqual(['burner-0', 'idler-0']);
      expect(plain.instances.every((i) => i.usage === undefined)).toBe(true);

      const before = Date.now();
      const obs = await driver.observe({ ...ctx, usage: true });
      warnings.push(...obs.warnings);
      const burner = obs.instances.find((i) => i.name === 'burner-0')!;
      const idler = obs.instances.find((i) => i.name === 'idler-0')!;
      expect(burner.usage, JSON.stringify(obs.warnings)).toBeDefined();
      expect(idler.usage).toBeDefined();
      // The limit is 500m (NanoCpus): a busy loop uses most of it (the machine is shared: the floor is low), never much more.
      expect(burner.usage!.use.cpuMillis).toBeGreaterThan(100);
      expect(burner.usage!.use.cpuMillis).toBeLessThanOrEqual(600);
      expect(idler.usage!.use.cpuMillis).toBeLessThan(50);
      expect(burner.usage!.use.memoryBytes).toBeGreaterThan(0);
      expect(idler.usage!.use.memoryBytes).toBeGreaterThan(0);
      expect(burner.usage!.use.memoryBytes).toBeLessThanOrEqual(64 * 2 ** 20);
      // Docker does not report GPU use: the key is absent (not measured), never 0.
      expect('gpuMillis' in burner.usage!.use).toBe(false);
      expect(Date.parse(burner.usage!.at)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(warnings).toEqual([]);
    } finally {
      await driver.close();
      const ids = dockerCli(daemons[0]!, ['ps', '-aq', '--filter', 'label=quartermaster.dev/instance']).split('\n').filter(Boolean);
      if (ids.length) dockerCli(daemons[0]!, ['rm', '-f', ...ids]);
    }
  });

  it('a container whose stats cannot be read is left unmeasured with one warning; observe still succeeds', async () => {
    const policy = policyOn(daemons[0]!.address);
    const ctx: ApplyContext = { policy, pools: policy.pools, now: NOW, planId: 'sha256:test' };
    const driver = new DockerDriver('docker', { scalingHistory: () => Promise.resolve([]), appendScaling: () => Promise.resolve() }, dockerOptions(undefined, {}), {}, () => undefined);
    try {
      await driver.apply(place('idler-0', 'idler', 250), ctx);
      // A stats call that fails (the container is gone between the list and the reading): counted, never thrown.
      const { measure } = await import('../../src/drivers/docker/stats.js');
      const { EngineClient } = await import('../../src/drivers/docker/engine-client.js');
      const { parseEndpoint } = await import('../../src/drivers/docker/endpoint.js');
      const p = parseEndpoint(daemons[0]!.address);
      if (!p.ok) throw new Error(p.message);
      const client = new EngineClient(p.endpoint, { maxSockets: 4 });
      try {
        const m = await measure(client, ['0000000000000000000000000000000000000000000000000000000000000000'], { gapMs: 10 });
        expect(m.usage.size).toBe(0);
        expect(m.failed).toBe(1);
        expect(m.firstError).toMatch(/no such container/i);
      } finally {
        client.close();
      }
      const obs = await driver.observe({ ...ctx, usage: true });
      expect(obs.instances.find((i) => i.name === 'idler-0')!.usage).toBeDefined();
    } finally {
      await driver.close();
      const ids = dockerCli(daemons[0]!, ['ps', '-aq', '--filter', 'label=quartermaster.dev/instance']).split('\n').filter(Boolean);
      if (ids.length) dockerCli(daemons[0]!, ['rm', '-f', ...ids]);
    }
  });
});
