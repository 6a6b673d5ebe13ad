/**
 * The docker driver's pure parts (endpoints, settings, container specs, assembling an observation)
 * and its per-engine concurrency bound against a fake engine on a unix socket. No dockerd needed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { containerConfig, instanceFromLabels, labelsFor } from '../../src/drivers/docker/container-spec.js';
import type { InstanceSpec } from '../../src/drivers/docker/container-spec.js';
import { DriverError } from '../../src/drivers/contract.js';
import { DockerDriver } from '../../src/drivers/docker/driver.js';
import { parseEndpoint } from '../../src/drivers/docker/endpoint.js';
import { EngineClient, EngineError } from '../../src/drivers/docker/engine-client.js';
import { waitRunning } from '../../src/drivers/docker/containers.js';
import { assemble, readEngine } from '../../src/drivers/docker/observe.js';
import { defaultAddress, dockerOptions, resolveEnvRefs } from '../../src/drivers/docker/options.js';
import { nodeTargets } from '../../src/drivers/docker/nodes.js';
import { Semaphore } from '../../src/drivers/docker/semaphore.js';
import { sshArgs } from '../../src/drivers/docker/ssh.js';
import { DRIVERS } from '../../src/drivers/registry.js';
import { validateFiles } from '../../src/config/validate.js';
import type { AgentDoc, DriverDoc, PolicySet } from '../../src/model/documents.js';

function policyOf(files: Record<string, string>): PolicySet {
  const r = validateFiles(Object.entries(files).map(([path, text]) => ({ path, text })));
  if (!r.policy) throw new Error(JSON.stringify(r.diagnostics));
  return r.policy;
}

const pool = (name: string, nodes: string) => `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: ${name}}
spec:
  driver: docker
  zones: [z-a, z-b]
  node: {capacity: {cpu: 2, memory: 2Gi, gpu: 1}}
${nodes}`;

describe('docker endpoints', () => {
  it.each([
    ['unix:///var/run/docker.sock', { kind: 'unix', socketPath: '/var/run/docker.sock' }],
    ['/run/user/1000/docker.sock', { kind: 'unix', address: 'unix:///run/user/1000/docker.sock', socketPath: '/run/user/1000/docker.sock' }],
    ['tcp://docker-1.example.com:2376', { kind: 'tcp', host: 'docker-1.example.com', port: 2376 }],
    ['tcp://10.0.0.5', { kind: 'tcp', host: '10.0.0.5', port: 2375 }],
    ['tcp://[::1]:2376', { kind: 'tcp', host: '::1', port: 2376 }],
    ['ssh://ops@host-b', { kind: 'ssh', target: 'ops@host-b' }],
    ['ssh://host-c:2222', { kind: 'ssh', target: 'host-c', port: 2222 }],
  ])('%s', (address, expected) => {
    const p = parseEndpoint(address);
    expect(p.ok && p.endpoint).toMatchObject(expected);
  });

  it('uses 2376 for tcp with TLS', () => {
    const p = parseEndpoint('tcp://docker-1', { ca: 'ca.pem', cert: 'cert.pem', key: 'key.pem' });
    expect(p.ok && p.endpoint).toMatchObject({ port: 2376, tls: { ca: 'ca.pem' } });
  });

  it.each([
    ['npipe:////./pipe/docker_engine', /does not speak; use unix:\/\/, tcp:\/\/, http:\/\/, https:\/\/, ssh:\/\//],
    ['unxi:///var/run/docker.sock', /scheme unxi:\/\/, which the docker driver does not speak/],
    ['docker-1:2376', /not a Docker endpoint/],
    ['unix://relative.sock', /absolute socket path/],
  ])('refuses %s', (address, message) => {
    const p = parseEndpoint(address);
    expect(p.ok).toBe(false);
    expect(!p.ok && p.message).toMatch(message);
  });

  it('speaks ssh in batch mode, as the docker CLI does', () => {
    expect(sshArgs('ops@host', 2222)).toEqual(['-o', 'BatchMode=yes', '-p', '2222', '--', 'ops@host', 'docker', 'system', 'dial-stdio']);
  });
});

describe('docker settings', () => {
  const doc = (docker: Record<string, unknown>): DriverDoc => policyOf({ 'pools/d.yaml': `apiVersion: quartermaster.dev/v1alpha1\nkind: Driver\nmetadata: {name: d}\nspec:\n  type: docker\n  docker: ${JSON.stringify(docker)}\n` }).drivers[0]!;

  it('has defaults, and finds the local engine as the docker CLI does', () => {
    expect(dockerOptions(undefined, {})).toEqual({ endpoints: [], concurrency: 4, stopGracePeriod: 10, startTimeout: 60, network: 'none', problems: [] });
    expect(defaultAddress({})).toBe('unix:///var/run/docker.sock');
    expect(defaultAddress({ DOCKER_HOST: 'tcp://h:2375' })).toBe('tcp://h:2375');
  });

  it('reads a Driver document, resolving ${env:…}', () => {
    const o = dockerOptions(doc({ endpoints: ['tcp://h:2376'], concurrency: 8, stopGracePeriod: '1m', tls: { ca: '${env:CERTS}/ca.pem', cert: '${env:CERTS}/cert.pem', key: '${env:CERTS}/key.pem' } }), { CERTS: '/etc/qm' });
    expect(o).toMatchObject({ endpoints: ['tcp://h:2376'], concurrency: 8, stopGracePeriod: 60, tls: { ca: '/etc/qm/ca.pem', key: '/etc/qm/key.pem' }, problems: [] });
  });

  it('reports an unset variable as a problem naming the field, without throwing', () => {
    const o = dockerOptions(doc({ endpoints: ['${env:NOPE}'] }), {});
    expect(o.problems).toEqual(["Driver 'd' spec.docker.endpoints[0] references the environment variable NOPE, which is not set"]);
  });

  it('falls back to DOCKER_TLS_VERIFY and DOCKER_CERT_PATH', () => {
    expect(dockerOptions(undefined, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs/' }).tls).toEqual({ ca: '/certs/ca.pem', cert: '/certs/cert.pem', key: '/certs/key.pem' });
  });

  it('resolves references, listing the missing ones', () => {
    const missing: string[] = [];
    expect(resolveEnvRefs('a=${env:A} b=${env:B}', { A: '1' }, missing)).toBe('a=1 b=');
    expect(missing).toEqual(['B']);
  });
});

describe('docker nodes', () => {
  it('maps static nodes to their addresses, and pools without static nodes to the endpoints', () => {
    const policy = policyOf({
      'pools/a.yaml': pool('edge', '  nodes: [{name: e1, address: "ssh://ops@e1"}, {name: e2}]\n'),
      'pools/b.yaml': pool('core', ''),
    });
    const t = nodeTargets(policy.pools, ['unix:///a.sock', 'unix:///b.sock'], 'unix:///var/run/docker.sock');
    expect(t.map((x) => [x.node.name, x.node.zone, x.address])).toEqual([
      ['core-0', 'z-a', 'unix:///a.sock'],
      ['core-1', 'z-b', 'unix:///b.sock'],
      ['e1', 'z-a', 'ssh://ops@e1'],
      ['e2', 'z-a', 'unix:///a.sock'],
    ]);
    expect(nodeTargets(policy.pools.filter((p) => p.metadata.name === 'core'), [], 'unix:///local.sock').map((x) => [x.node.name, x.address])).toEqual([['core-0', 'unix:///local.sock']]);
  });

  it('takes a provisioned pool\'s nodes from its provisioner\'s machines (named by them, pool shape, providerID), never a static pool\'s', () => {
    const policy = policyOf({
      'pools/a.yaml': pool('edge', '  nodes: [{name: e1, address: "ssh://ops@e1"}]\n'),
      'pools/b.yaml': pool('core', ''),
    });
    const machines = new Map([
      ['core', [{ name: 'i-0b', zone: 'z-b', address: 'tcp://10.0.0.7:2376', providerId: 'aws:///z-b/i-0b' }, { name: 'i-0a', zone: 'z-a', address: 'tcp://10.0.0.6:2376' }]],
      ['edge', [{ name: 'i-0c', zone: 'z-a', address: 'tcp://10.0.0.8:2376' }]],
    ]);
    const t = nodeTargets(policy.pools, ['unix:///a.sock'], 'unix:///var/run/docker.sock', machines);
    expect(t.map((x) => [x.node.name, x.node.pool, x.node.zone, x.address, x.node.address, x.node.providerId])).toEqual([
      ['e1', 'edge', 'z-a', 'ssh://ops@e1', 'ssh://ops@e1', undefined],
      ['i-0a', 'core', 'z-a', 'tcp://10.0.0.6:2376', 'tcp://10.0.0.6:2376', undefined],
      ['i-0b', 'core', 'z-b', 'tcp://10.0.0.7:2376', 'tcp://10.0.0.7:2376', 'aws:///z-b/i-0b'],
    ]);
    expect(t[1]!.node.capacity).toEqual(policy.pools.find((p) => p.metadata.name === 'core')!.spec.node.capacity);
    // No machines (the group is empty): no nodes, not the endpoints.
    expect(nodeTargets(policy.pools, ['unix:///a.sock'], 'unix:///x.sock', new Map([['core', []]])).map((x) => x.node.name)).toEqual(['e1']);
  });

  it('observes a provisioned pool through its provisioner: machines read on every observation, failures are the provisioner\'s sentence', async () => {
    const policy = policyOf({ 'pools/b.yaml': pool('core', '') });
    const d = new DockerDriver('dock', { scalingHistory: async () => [], appendScaling: async () => undefined }, dockerOptions(undefined, {}), {}, () => undefined);
    let calls = 0;
    let fail = false;
    d.provisionedBy('core', 'aws-east', async (p) => {
      calls++;
      expect(p.metadata.name).toBe('core');
      if (fail) throw new DriverError('aws-east', 'Auto Scaling group agents-core', 'list the machines of pool core', 'AWS denied ec2:DescribeInstances');
      return [{ name: 'i-0a', zone: 'z-a', address: 'tcp://127.0.0.1:1', providerId: 'aws:///z-a/i-0a' }];
    });
    const ctx = { policy, pools: policy.pools, now: '2026-11-28T10:00:00Z' };
    try {
      const obs = await d.observe(ctx);
      expect(obs.nodes.map((n) => [n.name, n.ready, n.providerId])).toEqual([['i-0a', false, 'aws:///z-a/i-0a']]); // its engine does not answer
      expect(obs.warnings.join(' ')).toContain('docker engine tcp://127.0.0.1:1 is unreachable');
      await d.observe(ctx);
      expect(calls).toBe(2);
      await Promise.all([d.observe(ctx), d.observe(ctx)]); // reads in flight are shared
      expect(calls).toBe(3);
      fail = true;
      const e = await d.observe(ctx).then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(DriverError);
      expect((e as DriverError).message).toBe('driver aws-east: list the machines of pool core on Auto Scaling group agents-core failed: AWS denied ec2:DescribeInstances');
      expect((await d.health(ctx)).ok).toBe(false);
    } finally {
      await d.close();
    }
  });

  it('assembles an observation: unreachable engines, capacity and GPU warnings, duplicates newest first, foreign labels left alone', () => {
    const policy = policyOf({ 'pools/a.yaml': pool('edge', '  nodes: [{name: n0, address: "unix:///0.sock"}, {name: n1, address: "unix:///1.sock"}, {name: n2, address: "unix:///2.sock"}]\n') });
    const targets = nodeTargets(policy.pools, [], 'unix:///x.sock');
    const labels = (instance: string, node: string) => ({ 'quartermaster.dev/instance': instance, 'quartermaster.dev/agent': 'bot', 'quartermaster.dev/node': node, 'quartermaster.dev/requests': '{"cpuMillis":500}' });
    const info = { NCPU: 1, MemTotal: 4 * 2 ** 30, ServerVersion: '20.10', Name: 'h' };
    const r = assemble(targets, [
      { address: 'unix:///0.sock', info, containers: [
        { Id: 'a', Names: ['/bot-0'], Labels: labels('bot-0', 'n0'), State: 'running', Created: 100 },
        { Id: 'b', Names: ['/bot-9'], Labels: labels('bot-9', 'n0'), State: 'exited', Created: 100 },
        { Id: 'c', Names: ['/bot-5'], Labels: labels('bot-5', 'elsewhere'), State: 'running', Created: 100 },
      ] },
      { address: 'unix:///1.sock', info: { ...info, NCPU: 8 }, containers: [{ Id: 'd', Names: ['/bot-0'], Labels: labels('bot-0', 'n1'), State: 'running', Created: 200 }] },
      { address: 'unix:///2.sock', error: 'connect ENOENT /2.sock' },
    ]);
    expect(r.nodes.map((n) => [n.name, n.ready])).toEqual([['n0', true], ['n1', true], ['n2', false]]);
    expect(r.instances.map((i) => [i.name, i.node, i.requests.cpuMillis])).toEqual([['bot-0', 'n1', 500], ['bot-0', 'n0', 500]]);
    expect(r.warnings).toEqual([
      expect.stringMatching(/^docker engine unix:\/\/\/0.sock \(node n0 \(pool edge\)\) is smaller than declared: it reports 1 CPUs where the pool declares 2 cpu;/),
      expect.stringMatching(/^docker engine unix:\/\/\/0.sock has no NVIDIA runtime, but node n0 declare/),
      expect.stringMatching(/^container bot-5 on docker engine unix:\/\/\/0.sock .* node 'elsewhere' is not a node of this engine/),
      expect.stringMatching(/^docker engine unix:\/\/\/1.sock has no NVIDIA runtime/),
      'docker engine unix:///2.sock is unreachable (connect ENOENT /2.sock): node n2 marked not ready; check the engine (docker -H unix:///2.sock info)',
    ]);
  });

  it('attaches measured use to instances by container id, and turns unreadable stats into one warning per engine', () => {
    const policy = policyOf({ 'pools/a.yaml': pool('edge', '  nodes: [{name: n0, address: "unix:///0.sock"}]\n') });
    const targets = nodeTargets(policy.pools, [], 'unix:///x.sock');
    const labels = (instance: string) => ({ 'quartermaster.dev/instance': instance, 'quartermaster.dev/agent': 'bot', 'quartermaster.dev/node': 'n0', 'quartermaster.dev/requests': '{"cpuMillis":500}' });
    const info = { NCPU: 2, MemTotal: 4 * 2 ** 30, ServerVersion: '20.10', Name: 'h', Runtimes: { nvidia: {} } };
    const usage = { at: '2026-12-06T12:00:01Z', use: { cpuMillis: 420, memoryBytes: 1000 } };
    const r = assemble(targets, [{
      address: 'unix:///0.sock', info,
      containers: [{ Id: 'a', Names: ['/bot-0'], Labels: labels('bot-0'), State: 'running', Created: 1 }, { Id: 'b', Names: ['/bot-1'], Labels: labels('bot-1'), State: 'running', Created: 1 }],
      usage: new Map([['a', usage]]),
      usageFailed: { count: 1, error: 'no answer within 5s' },
    }]);
    expect(r.instances.map((i) => [i.name, i.usage])).toEqual([['bot-0', usage], ['bot-1', undefined]]);
    expect(r.warnings.filter((w) => /real use/.test(w))).toEqual(['docker engine unix:///0.sock: the real use of 1 container could not be read (no answer within 5s); it is shown unmeasured (docker -H unix:///0.sock stats --no-stream)']);
  });

  it('says an address the driver cannot speak is wrong, rather than asking to check an engine behind it', async () => {
    const policy = policyOf({ 'pools/a.yaml': pool('edge', '  nodes: [{name: n0}]\n') });
    const targets = nodeTargets(policy.pools, [], 'unxi:///var/run/docker.sock');
    const p = parseEndpoint('unxi:///var/run/docker.sock');
    const reading = await readEngine('unxi:///var/run/docker.sock', { error: p.ok ? '' : p.message });
    const r = assemble(targets, [reading]);
    expect(r.nodes.map((n) => [n.name, n.ready])).toEqual([['n0', false]]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^docker engine address 'unxi:\/\/\/var\/run\/docker.sock' uses the scheme unxi:\/\/, which the docker driver does not speak; .*: node n0 marked not ready; correct the address/);
    expect(r.warnings[0]).not.toMatch(/docker -H/);
  });
});

describe('docker containers', () => {
  const agent = (runtime: string, resources = 'requests: {cpu: 500m, memory: 128Mi}'): AgentDoc =>
    policyOf({ 'agents/a.yaml': `apiVersion: quartermaster.dev/v1alpha1\nkind: Agent\nmetadata: {name: bot}\nspec:\n  owner: t\n  resources: {${resources}}\n  runtime: ${runtime}\n` }).agents[0]!;
  const spec: InstanceSpec = { instance: 'bot-0', agent: 'bot', pool: 'p', node: 'n0', planId: 'sha256:x', requests: { memoryBytes: 128 * 2 ** 20, cpuMillis: 500 }, gpuDevices: [1, 3], startedAt: '2026-11-28T10:00:00Z' };

  it('builds the create body: image, command, env, limits, GPUs, labels', () => {
    const r = containerConfig(spec, agent('{image: "agent:local", command: [sleep, "60"], env: {B: "${env:TOKEN}", A: x}}'), { network: 'none' }, { TOKEN: 't0k' });
    expect(r.ok && r.config).toEqual({
      Image: 'agent:local',
      Cmd: ['sleep', '60'],
      Hostname: 'bot-0',
      Env: ['A=x', 'B=t0k'],
      Labels: labelsFor(spec),
      HostConfig: {
        NetworkMode: 'none', Init: true, RestartPolicy: { Name: 'unless-stopped' }, NanoCpus: 500_000_000, Memory: 128 * 2 ** 20,
        DeviceRequests: [{ Driver: 'nvidia', DeviceIDs: ['1', '3'], Capabilities: [['gpu']] }],
      },
    });
    expect(labelsFor(spec)).toEqual({
      'quartermaster.dev/agent': 'bot', 'quartermaster.dev/instance': 'bot-0', 'quartermaster.dev/pool': 'p', 'quartermaster.dev/plan': 'sha256:x', 'quartermaster.dev/node': 'n0',
      'quartermaster.dev/requests': '{"cpuMillis":500,"memoryBytes":134217728}', 'quartermaster.dev/gpu-devices': '1,3', 'quartermaster.dev/started-at': '2026-11-28T10:00:00Z',
    });
  });

  it('takes limits over requests, and the driver\'s image when the agent names none', () => {
    const r = containerConfig(spec, agent('{}', 'requests: {cpu: 500m, memory: 128Mi}, limits: {cpu: 2, memory: 1Gi}'), { image: 'default:1', network: 'agents' }, {});
    expect(r.ok && r.config).toMatchObject({ Image: 'default:1', HostConfig: { NanoCpus: 2_000_000_000, Memory: 2 ** 30, NetworkMode: 'agents' } });
  });

  it('caps a CPU limit taken from overcommitted requests at the node\'s CPUs (Docker refuses more)', () => {
    const big = { ...spec, requests: { cpuMillis: 3000, memoryBytes: 2 ** 30 }, nodeCpuMillis: 2000 };
    expect(containerConfig(big, agent('{image: x}', 'requests: {cpu: 3, memory: 1Gi}'), { network: 'none' }, {})).toMatchObject({ ok: true, config: { HostConfig: { NanoCpus: 2_000_000_000, Memory: 2 ** 30 } } });
    expect(containerConfig({ ...big, nodeCpuMillis: 4000 }, agent('{image: x}', 'requests: {cpu: 3, memory: 1Gi}'), { network: 'none' }, {})).toMatchObject({ config: { HostConfig: { NanoCpus: 3_000_000_000 } } });
  });

  it('says how to fix a missing image or variable', () => {
    expect(containerConfig(spec, agent('{}'), { network: 'none' }, {})).toEqual({ ok: false, message: "Agent 'bot' has no spec.runtime.image and the driver has no spec.docker.image: set one of them" });
    const r = containerConfig(spec, agent('{image: x, env: {T: "${env:API_TOKEN}"}}'), { network: 'none' }, {});
    expect(!r.ok && r.message).toBe("Agent 'bot' spec.runtime.env references ${env:API_TOKEN}, not set in the environment of qm apply: export API_TOKEN");
  });

  it('reads an instance back from its labels', () => {
    expect(instanceFromLabels(labelsFor(spec), 'n0')).toEqual({ name: 'bot-0', agent: 'bot', node: 'n0', requests: spec.requests, startedAt: spec.startedAt, gpuDevices: [1, 3] });
    expect(instanceFromLabels({ 'quartermaster.dev/instance': 'x' }, 'n0')).toBeUndefined();
  });
});

describe('docker driver wiring', () => {
  it('is registered, cannot scale nodes, and refuses scalePool naming the pool', async () => {
    const driver = DRIVERS.get('docker')!({ name: 'docker', store: { simGet: async () => ({ nodes: [], instances: [], pools: [] }), simApply: async () => undefined, scalingHistory: async () => [], appendScaling: async () => undefined } });
    expect(driver.capabilities).toEqual({ scaleNodes: false, placeOnNode: true });
    const policy = policyOf({ 'pools/a.yaml': pool('edge', '') });
    const err = await driver.apply({ id: 'a1', type: 'scalePool', pool: 'edge', from: 1, to: 2, addNodes: ['edge-1'], removeNodes: [], reason: 't' }, { policy, pools: policy.pools, now: 'x', planId: 'p' }).then(() => undefined, (e: unknown) => e);
    expect((err as Error).message).toBe('driver docker: scale pool edge from 1 to 2 on pool edge failed: the docker driver cannot add or remove nodes');
    await driver.close();
  });

  it('never has more than `concurrency` engine calls per action in flight on one engine', async () => {
    // A fake engine on a unix socket that counts concurrent container creations.
    const dir = mkdtempSync('/tmp/qmd-fake-');
    const sock = `${dir}/docker.sock`;
    let inFlight = 0;
    let peak = 0;
    let ids = 0;
    const server = http.createServer((req, res) => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      req.resume();
      if (req.url?.includes('/containers/json')) return reply(200, []);
      if (req.url?.includes('/containers/create')) {
        inFlight++;
        peak = Math.max(peak, inFlight);
        setTimeout(() => {
          inFlight--;
          reply(201, { Id: `id-${ids++}` });
        }, 30);
        return;
      }
      if (req.url?.includes('/start')) return reply(204, {});
      return reply(404, { message: 'not faked' });
    });
    await new Promise<void>((r) => server.listen(sock, r));
    const policy = policyOf({
      'pools/a.yaml': pool('edge', `  nodes: [{name: f0, address: "unix://${sock}"}]\n`),
      'agents/bot.yaml': 'apiVersion: quartermaster.dev/v1alpha1\nkind: Agent\nmetadata: {name: bot}\nspec:\n  owner: t\n  resources: {requests: {cpu: 100m}}\n  runtime: {image: x}\n',
    });
    const driver = new DockerDriver('docker', { scalingHistory: async () => [], appendScaling: async () => undefined }, { ...dockerOptions(undefined, {}), concurrency: 3 }, {}, () => undefined);
    try {
      const ctx = { policy, pools: policy.pools, now: '2026-11-28T10:00:00Z', planId: 'p' };
      await Promise.all(Array.from({ length: 12 }, (_, i) => driver.apply({ id: `a${i}`, type: 'place', instance: `bot-${i}`, agent: 'bot', pool: 'edge', node: 'f0', requests: { cpuMillis: 100 }, score: 1, reason: 't' }, ctx)));
      expect(peak).toBe(3);
      expect(driver.throughput.report().map((r) => r.started)).toEqual([12]);
    } finally {
      await driver.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['an engine that shuts down is blamed, not the container it stopped', true],
    ['a container that stops on a live engine is blamed', false],
  ])('%s', async (_title, shutdown) => {
    // A fake engine whose container runs, then stops with 143 (SIGTERM); with `shutdown`, the engine then stops answering.
    const dir = mkdtempSync('/tmp/qmd-fake-');
    const sock = `${dir}/docker.sock`;
    let inspects = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      if (req.url?.includes('/info')) return res.end(JSON.stringify({ NCPU: 2, MemTotal: 1, ServerVersion: '24', Name: 'h' }));
      const running = inspects++ === 0;
      if (!running && shutdown) res.on('finish', () => {
        server.close();
        server.closeAllConnections();
      });
      res.end(JSON.stringify({ Id: 'c1', Name: '/bot-0', RestartCount: 0, State: { Status: running ? 'running' : 'exited', Running: running, Restarting: false, ExitCode: running ? 0 : 143, StartedAt: 't0' }, HostConfig: { NanoCpus: 0, Memory: 0 }, Config: { Labels: {} } }));
    });
    await new Promise<void>((r) => server.listen(sock, r));
    const client = new EngineClient({ kind: 'unix', address: `unix://${sock}`, socketPath: sock }, { maxSockets: 2 });
    try {
      const err = await waitRunning(client, 'c1', 5).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(EngineError);
      if (shutdown) {
        expect((err as EngineError).unreachable).toBe(true);
        expect((err as Error).message).toMatch(new RegExp(`^the docker engine unix://${sock} went away while the new container was starting \\(the container stopped with exit code 143, as when the engine shuts down\\), and it no longer answers: `));
      } else {
        expect((err as EngineError).unreachable).toBe(false);
        expect((err as Error).message).toBe('the new container keeps stopping (restarted 0 times, last exit code 143)');
      }
    } finally {
      client.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Semaphore runs at most `limit` tasks at once, in arrival order', async () => {
    const s = new Semaphore(2);
    const order: number[] = [];
    let active = 0;
    let peak = 0;
    await Promise.all([0, 1, 2, 3, 4].map((i) => s.run(async () => {
      active++;
      peak = Math.max(peak, active);
      order.push(i);
      await new Promise((r) => setTimeout(r, 5));
      active--;
    })));
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });
});
