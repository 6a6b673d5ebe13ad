/**
 * The docker driver against real Docker engines: three dockerd daemons started by this file (their
 * own roots and sockets = three nodes), stopped by PID afterwards. Runs the conformance suite, then
 * checks what the issue asks: limits really apply, a move keeps the agent running throughout,
 * unmanaged containers are never touched, an unreachable engine marks its node not ready.
 * Outside CI these tests skip when dockerd is missing; in CI they fail instead.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyContext, DriverContext } from '../../src/drivers/contract.js';
import { DriverError } from '../../src/drivers/contract.js';
import { DockerDriver } from '../../src/drivers/docker/driver.js';
import { templateDigest } from '../../src/model/digest.js';
import { dockerOptions } from '../../src/drivers/docker/options.js';
import { createDriver } from '../../src/drivers/registry.js';
import type { DriverDoc, PolicySet } from '../../src/model/documents.js';
import type { PlaceAction } from '../../src/model/plan.js';
import type { ScalingEvent } from '../../src/model/state.js';
import { validateFiles } from '../../src/config/validate.js';
import { conformancePolicy, describeDriverConformance } from './conformance.js';
import type { Daemon } from './docker-helpers.js';
import { dockerCli, HAVE_OPENSSL, IMAGE, removeRootfs, SKIP_DOCKER, startDaemons, stopDaemons } from './docker-helpers.js';

const NOW = '2026-11-28T10:00:00Z';
let daemons: Daemon[] = [];

beforeAll(async () => {
  if (SKIP_DOCKER) return;
  daemons = await startDaemons(3, { tls: HAVE_OPENSSL || Boolean(process.env.CI) });
}, 120_000);

afterAll(async () => {
  await stopDaemons(daemons);
  removeRootfs();
}, 120_000);

/** The scaling history a driver keeps in the state store, in memory. */
function memoryStore() {
  const events: ScalingEvent[] = [];
  return {
    simGet: () => Promise.resolve({ nodes: [], instances: [], pools: [] }),
    simApply: () => Promise.resolve(),
    scalingHistory: () => Promise.resolve([...events]),
    appendScaling: (e: ScalingEvent) => Promise.resolve(void events.push(e)),
  };
}

/** Remove every managed container from the daemons (unmanaged ones stay). */
function removeManaged(): void {
  for (const d of daemons) {
    const ids = dockerCli(d, ['ps', '-aq', '--filter', 'label=quartermaster.dev/instance']).split('\n').filter(Boolean);
    if (ids.length) dockerCli(d, ['rm', '-f', ...ids]);
  }
}

/** Managed containers on a daemon: name, instance, node, state. */
function managed(d: Daemon): { name: string; instance: string; node: string; state: string }[] {
  const out = dockerCli(d, ['ps', '-a', '--filter', 'label=quartermaster.dev/instance', '--format', '{{.Names}}\t{{.Label "quartermaster.dev/instance"}}\t{{.Label "quartermaster.dev/node"}}\t{{.State}}']);
  return out.split('\n').filter(Boolean).map((l) => {
    const [name, instance, node, state] = l.split('\t') as [string, string, string, string];
    return { name, instance, node, state };
  });
}

function inspect(d: Daemon, name: string): { HostConfig: Record<string, unknown>; Config: { Env: string[]; Labels: Record<string, string> }; State: { Running: boolean } } {
  return JSON.parse(dockerCli(d, ['inspect', name]))[0];
}

const driverDoc = (endpoints: string[], extra = '') => `apiVersion: quartermaster.dev/v1alpha1
kind: Driver
metadata: {name: dock}
spec:
  type: docker
  docker:
    endpoints: [${endpoints.map((e) => JSON.stringify(e)).join(', ')}]
    stopGracePeriod: 5s
${extra}`;

describeDriverConformance('docker on three local engines', async () => {
  const policy = conformancePolicy('dock', [{ path: 'pools/driver.yaml', text: driverDoc(daemons.slice(0, 2).map((d) => d.address)) }]);
  const doc = policy.drivers[0]!;
  return {
    driver: createDriver({ name: 'dock', doc, store: memoryStore() }),
    policy,
    cleanup: async () => removeManaged(),
  };
}, { skip: SKIP_DOCKER });

/** A policy of static pools whose nodes are the daemons (or other addresses). */
function staticPolicy(nodes: { name: string; address: string }[], agentExtra = '', capacity = '{cpu: 2, memory: 2Gi}'): PolicySet {
  const r = validateFiles([
    {
      path: 'pools/local.yaml',
      text: `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: local}
spec:
  driver: docker
  node:
    capacity: ${capacity}
  nodes:
${nodes.map((n) => `    - {name: ${n.name}, address: "${n.address}"}`).join('\n')}
`,
    },
    {
      path: 'agents/bot.yaml',
      text: `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: bot}
spec:
  owner: team
  replicas: 2
  resources:
    requests: {cpu: 500m, memory: 128Mi}
${agentExtra}  runtime:
    image: "agent:local"
    command: ["sleep", "3600"]
    env: {MODE: test, TOKEN: "\${env:QM_DOCKER_TEST_TOKEN}"}
`,
    },
  ]);
  if (!r.policy) throw new Error(JSON.stringify(r.diagnostics));
  return r.policy;
}

const ctxOf = (policy: PolicySet): ApplyContext => ({ policy, pools: policy.pools, now: NOW, planId: 'sha256:test' });
const place = (instance: string, node: string, requests = { cpuMillis: 500, memoryBytes: 128 * 2 ** 20 }): PlaceAction => ({ id: 'a1', type: 'place', instance, agent: 'bot', pool: 'local', node, requests, score: 50, reason: 'test' });

describe.skipIf(SKIP_DOCKER)('docker driver on real engines', { timeout: 120_000 }, () => {
  const threeNodes = () => daemons.map((d, i) => ({ name: `n${i}`, address: d.address }));
  const newDriver = (env: Record<string, string | undefined> = { QM_DOCKER_TEST_TOKEN: 's3cret' }, concurrency = 4) => new DockerDriver('docker', memoryStore(), { ...dockerOptions(undefined, env), concurrency }, env, () => undefined);

  it('gives each container the plan\'s CPU and memory (NanoCpus, Memory), the labels, no network, and env with ${env:…} resolved but never in labels', async () => {
    const policy = staticPolicy(threeNodes());
    const driver = newDriver();
    try {
      await driver.apply(place('bot-0', 'n1'), ctxOf(policy));
      const c = inspect(daemons[1]!, 'bot-0');
      expect(c.State.Running).toBe(true);
      expect(c.HostConfig.NanoCpus).toBe(500_000_000);
      expect(c.HostConfig.Memory).toBe(128 * 2 ** 20);
      expect(c.HostConfig.NetworkMode).toBe('none');
      expect(c.Config.Labels).toMatchObject({ 'quartermaster.dev/agent': 'bot', 'quartermaster.dev/instance': 'bot-0', 'quartermaster.dev/pool': 'local', 'quartermaster.dev/plan': 'sha256:test', 'quartermaster.dev/node': 'n1' });
      expect(c.Config.Env).toEqual(expect.arrayContaining(['MODE=test', 'TOKEN=s3cret']));
      expect(JSON.stringify(c.Config.Labels)).not.toContain('s3cret');
      const obs = await driver.observe(ctxOf(policy));
      // The agent's template travels in a label, so a later change of its runtime or resources is seen.
      expect(obs.instances).toEqual([{ name: 'bot-0', agent: 'bot', node: 'n1', requests: { cpuMillis: 500, memoryBytes: 128 * 2 ** 20 }, startedAt: NOW, template: templateDigest(policy.agents.find((a) => a.metadata.name === 'bot')!) }]);
    } finally {
      await driver.close();
      removeManaged();
    }
  });

  it('uses the Agent\'s limits when it gives them', async () => {
    const policy = staticPolicy(threeNodes(), '    limits: {cpu: 1, memory: 256Mi}\n');
    const driver = newDriver();
    try {
      await driver.apply(place('bot-0', 'n0'), ctxOf(policy));
      const c = inspect(daemons[0]!, 'bot-0');
      expect([c.HostConfig.NanoCpus, c.HostConfig.Memory]).toEqual([1_000_000_000, 256 * 2 ** 20]);
    } finally {
      await driver.close();
      removeManaged();
    }
  });

  it('refuses to start an agent whose ${env:…} is not set, naming the variable', async () => {
    const policy = staticPolicy(threeNodes());
    const driver = newDriver({});
    try {
      const err = await driver.apply(place('bot-0', 'n0'), ctxOf(policy)).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(DriverError);
      expect((err as Error).message).toMatch(/place bot-0 on n0.*QM_DOCKER_TEST_TOKEN/);
      expect(managed(daemons[0]!)).toEqual([]);
    } finally {
      await driver.close();
    }
  });

  it('moves make-before-break: the agent runs throughout, then only on the new node', async () => {
    const policy = staticPolicy(threeNodes());
    const driver = newDriver();
    const running = async () => {
      let n = 0;
      for (const d of daemons.slice(0, 2)) n += managed(d).filter((c) => c.instance === 'bot-0' && c.state === 'running').length;
      return n;
    };
    try {
      await driver.apply(place('bot-0', 'n0'), ctxOf(policy));
      const counts: number[] = [];
      let moving = true;
      const watcher = (async () => {
        while (moving) {
          counts.push(await running());
          await sleep(10);
        }
      })();
      await driver.apply({ id: 'a2', type: 'move', instance: 'bot-0', agent: 'bot', fromNode: 'n0', toNode: 'n1', reason: 'test' }, ctxOf(policy));
      moving = false;
      await watcher;
      counts.push(await running());
      expect(counts.length).toBeGreaterThan(2);
      expect(Math.min(...counts), `running copies seen during the move: ${counts.join(',')}`).toBeGreaterThanOrEqual(1);
      expect(counts).toContain(2); // both ran at once: make before break
      expect(managed(daemons[0]!)).toEqual([]);
      expect(managed(daemons[1]!).map((c) => [c.name, c.node, c.state])).toEqual([['bot-0', 'n1', 'running']]);
      // the requests travelled with the instance
      expect(inspect(daemons[1]!, 'bot-0').HostConfig.NanoCpus).toBe(500_000_000);
    } finally {
      await driver.close();
      removeManaged();
    }
  });

  it('moves between two nodes that share one engine, and the container keeps its name', async () => {
    const policy = staticPolicy([{ name: 'left', address: daemons[2]!.address }, { name: 'right', address: daemons[2]!.address }]);
    const driver = newDriver();
    try {
      await driver.apply(place('bot-1', 'left'), ctxOf(policy));
      await driver.apply({ id: 'a2', type: 'move', instance: 'bot-1', agent: 'bot', fromNode: 'left', toNode: 'right', reason: 'test' }, ctxOf(policy));
      expect(managed(daemons[2]!).map((c) => [c.name, c.node, c.state])).toEqual([['bot-1', 'right', 'running']]);
      expect((await driver.observe(ctxOf(policy))).instances.map((i) => [i.name, i.node])).toEqual([['bot-1', 'right']]);
    } finally {
      await driver.close();
      removeManaged();
    }
  });

  it('never touches unmanaged containers, and refuses a name an unmanaged container holds', async () => {
    const policy = staticPolicy(threeNodes());
    const driver = newDriver();
    for (const d of daemons) dockerCli(d, ['run', '-d', '--init', '--network', 'none', '--name', 'bystander', IMAGE, 'sleep', '3600']);
    dockerCli(daemons[2]!, ['run', '-d', '--init', '--network', 'none', '--name', 'bot-1', IMAGE, 'sleep', '3600']);
    try {
      await driver.apply(place('bot-0', 'n0'), ctxOf(policy));
      const err = await driver.apply(place('bot-1', 'n2'), ctxOf(policy)).then(() => undefined, (e: unknown) => e);
      expect((err as Error).message).toMatch(/place bot-1 on n2 on unix:\/\/\/tmp\/qmd-.*a container named bot-1 that Quartermaster does not manage/);
      expect((await driver.observe(ctxOf(policy))).instances.map((i) => i.name)).toEqual(['bot-0']);
      await driver.apply({ id: 'a3', type: 'remove', instance: 'bot-1', agent: 'bot', node: 'n2', reason: 'test' }, ctxOf(policy));
      await driver.apply({ id: 'a4', type: 'evict', instance: 'bot-0', agent: 'bot', node: 'n0', reason: 'test' }, ctxOf(policy));
      for (const d of daemons) expect(dockerCli(d, ['inspect', '-f', '{{.State.Running}}', 'bystander']).trim()).toBe('true');
      expect(dockerCli(daemons[2]!, ['inspect', '-f', '{{.State.Running}}', 'bot-1']).trim()).toBe('true');
    } finally {
      await driver.close();
      for (const d of daemons) dockerCli(d, ['rm', '-f', 'bystander']);
      dockerCli(daemons[2]!, ['rm', '-f', 'bot-1']);
      removeManaged();
    }
  });

  it('marks the node of an unreachable engine not ready with a warning naming it, and warns when an engine is smaller than the shape', async () => {
    const gone = 'unix:///tmp/qmd-gone/docker.sock';
    const policy = staticPolicy([{ name: 'n0', address: daemons[0]!.address }, { name: 'lost', address: gone }], '', '{cpu: 512, memory: 2Gi}');
    const driver = newDriver();
    try {
      const obs = await driver.observe(ctxOf(policy));
      expect(obs.nodes.map((n) => [n.name, n.ready])).toEqual([['lost', false], ['n0', true]]);
      expect(obs.warnings.join('\n')).toContain(`docker engine ${gone} is unreachable`);
      expect(obs.warnings.join('\n')).toMatch(/docker engine unix:\/\/\/tmp\/qmd-\S+ \(node n0 \(pool local\)\) is smaller than declared: it reports \d+ CPUs where the pool declares 512 cpu/);
      const health = await driver.health(ctxOf(policy) as DriverContext);
      expect(health.ok).toBe(false);
      expect(health.message).toContain(gone);
      const err = await driver.apply(place('bot-0', 'lost'), ctxOf(policy)).then(() => undefined, (e: unknown) => e);
      expect((err as Error).message).toContain(`driver docker: place bot-0 on lost on ${gone} (node lost) failed: cannot reach the docker engine`);
      expect((err as DriverError).hint).toContain(`docker -H ${gone} info`);
    } finally {
      await driver.close();
    }
  });

  it('reaches an engine over ssh:// with `ssh HOST docker system dial-stdio`', async () => {
    // A stand-in ssh on PATH that dials the local daemon, as sshd + docker would on a remote host.
    const bin = mkdtempSync('/tmp/qmd-ssh-');
    writeFileSync(`${bin}/ssh`, `#!/bin/sh\nfor last; do :; done\nexec docker -H ${daemons[1]!.address} system dial-stdio\n`);
    chmodSync(`${bin}/ssh`, 0o755);
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    const policy = staticPolicy([{ name: 'remote', address: 'ssh://ops@docker-host' }]);
    const driver = newDriver();
    try {
      const obs = await driver.observe(ctxOf(policy));
      expect(obs.nodes.map((n) => [n.name, n.ready, n.address])).toEqual([['remote', true, 'ssh://ops@docker-host']]);
      await driver.apply(place('bot-0', 'remote'), ctxOf(policy));
      expect(managed(daemons[1]!).map((c) => [c.instance, c.node, c.state])).toEqual([['bot-0', 'remote', 'running']]);
      expect((await driver.observe(ctxOf(policy))).instances.map((i) => i.node)).toEqual(['remote']);
    } finally {
      await driver.close();
      process.env.PATH = oldPath;
      rmSync(bin, { recursive: true, force: true });
      removeManaged();
    }
  });

  it.skipIf(!HAVE_OPENSSL && !process.env.CI)('reaches an engine over tcp:// with TLS client certificates from the Driver document', async () => {
    const d = daemons[0]!;
    const address = `tcp://127.0.0.1:${d.tcp!.port}`;
    const policy = staticPolicy([{ name: 'secure', address }]);
    const env = { QM_DOCKER_TEST_TOKEN: 'x', QM_CERTS: d.tcp!.certs };
    const doc = { spec: { type: 'docker', docker: { tls: { ca: '${env:QM_CERTS}/ca.pem', cert: '${env:QM_CERTS}/cert.pem', key: '${env:QM_CERTS}/key.pem' } } }, metadata: { name: 'tls' } } as unknown as DriverDoc;
    const driver = new DockerDriver('tls', memoryStore(), dockerOptions(doc, env), env, () => undefined);
    const anonymous = newDriver();
    try {
      const first = await driver.observe(ctxOf(policy));
      expect(first.nodes.map((n) => [n.name, n.ready]), first.warnings.join('\n')).toEqual([['secure', true]]);
      await driver.apply(place('bot-0', 'secure'), ctxOf(policy));
      expect(managed(d).map((c) => [c.instance, c.node, c.state])).toEqual([['bot-0', 'secure', 'running']]);
      // Without the client certificate the engine refuses us: not ready, with the reason.
      const obs = await anonymous.observe(ctxOf(policy));
      expect(obs.nodes.map((n) => n.ready)).toEqual([false]);
      expect(obs.warnings[0]).toContain(`docker engine ${address} is unreachable`);
    } finally {
      await driver.close();
      await anonymous.close();
      removeManaged();
    }
  });

  it('keeps the old container when the new one of a move exits, and removes the failed copy', async () => {
    const policy = staticPolicy(threeNodes());
    const broken = staticPolicy(threeNodes()).agents.map((a) => ({ ...a, spec: { ...a.spec, runtime: { ...a.spec.runtime, command: ['sh', '-c', 'exit 3'] } } }));
    const driver = newDriver();
    try {
      await driver.apply(place('bot-0', 'n0'), ctxOf(policy));
      const err = await driver.apply({ id: 'a2', type: 'move', instance: 'bot-0', agent: 'bot', fromNode: 'n0', toNode: 'n1', reason: 'test' }, { ...ctxOf(policy), policy: { ...policy, agents: broken } }).then(() => undefined, (e: unknown) => e);
      expect((err as Error).message).toMatch(/move bot-0 from n0 to n1 on unix:\/\/\/tmp\/qmd-\S+ \(node n1\) failed: the new container (exited with code 3|keeps stopping \(restarted \d+ times?)/);
      expect(managed(daemons[0]!).map((c) => [c.instance, c.state])).toEqual([['bot-0', 'running']]);
      expect(managed(daemons[1]!)).toEqual([]);
    } finally {
      await driver.close();
      removeManaged();
    }
  });

  it('places many instances with bounded concurrency per engine and records containers started per second', async () => {
    const policy = staticPolicy(threeNodes());
    const driver = newDriver({ QM_DOCKER_TEST_TOKEN: 'x' }, 2);
    try {
      const actions = Array.from({ length: 12 }, (_, i) => place(`bot-${i}`, `n${i % 3}`, { cpuMillis: 100, memoryBytes: 16 * 2 ** 20 }));
      await Promise.all(actions.map((a) => driver.apply(a, ctxOf(policy))));
      // idempotent: again, nothing new starts
      await Promise.all(actions.map((a) => driver.apply(a, ctxOf(policy))));
      const report = driver.throughput.report();
      expect(report.map((r) => r.started)).toEqual([4, 4, 4]);
      for (const r of report) expect(r.perSecond).toBeGreaterThan(0);
      expect(driver.throughput.summary()).toMatch(/^started 12 containers: unix:\/\/\/tmp\/qmd-/);
      expect(daemons.map((d) => managed(d).length)).toEqual([4, 4, 4]);
    } finally {
      await driver.close();
      removeManaged();
    }
  });
});
