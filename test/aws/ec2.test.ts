/**
 * EC2 DescribeInstances through the real @aws-sdk/client-ec2 (src/drivers/aws/ec2.ts) against the
 * EC2 half of the AWS test server, and the aws provisioner's list of a Docker pool's machines.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { DriverError } from '../../src/drivers/contract.js';
import { AwsDriver } from '../../src/drivers/aws/driver.js';
import { AwsCallError } from '../../src/drivers/aws/client.js';
import { Ec2Api } from '../../src/drivers/aws/ec2.js';
import { awsOptions } from '../../src/drivers/aws/options.js';
import { AutoScalingServer } from './autoscaling-server.js';
import { awsEnv, awsPolicy, setEnv, TEST_ACCESS_KEY, TEST_SECRET } from './helpers.js';

const IPS = ['127.0.0.2', '127.0.0.3', '10.1.0.4', '10.1.0.5', '10.1.0.6', '10.1.0.7', '10.1.0.8'];
let server: AutoScalingServer;
let restore: () => void;
const FAST = { attempts: 3, baseMs: 1, maxMs: 5 };
const closers: (() => unknown)[] = [];

beforeAll(async () => {
  server = new AutoScalingServer({ accessKeyIds: [TEST_ACCESS_KEY], privateIps: IPS, ec2PageSize: 5 });
  restore = setEnv(awsEnv(await server.start()));
});
afterAll(async () => {
  restore();
  await server.stop();
});
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  server.requests.length = 0;
});

const ec2 = () => {
  // maxAttempts 1: the SDK's own retries off, so qm's throttling retries are what is measured.
  const api = new Ec2Api({ region: 'us-east-1', maxAttempts: 1 }, FAST);
  closers.push(() => api.close());
  return api;
};

describe('EC2 DescribeInstances (real SDK, ec2 query protocol)', () => {
  it('reads private addresses and zones by an instance-id filter, following NextToken, signed with the environment credentials', async () => {
    const g = server.addGroup('agents-a', { min: 0, max: 10, desired: 7, zones: ['us-east-1a', 'us-east-1b'] });
    const ids = g.instances.map((i) => i.id);
    const found = await ec2().describeInstances([...ids, 'i-0ffffffffffffffff']); // an unknown id is absent, not an error
    expect([...found.values()].map((i) => [i.id, i.privateIp, i.zone, i.state])).toEqual(g.instances.map((i) => [i.id, i.privateIp, i.zone, 'running']));
    expect(g.instances.slice(0, 2).map((i) => i.privateIp)).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(server.actions()).toEqual(['DescribeInstances', 'DescribeInstances']); // 8 ids, pages of 5
    const [p1, p2] = server.requests;
    expect(p1!.params).toMatchObject({ Version: '2016-11-15', 'Filter.1.Name': 'instance-id', 'Filter.1.Value.1': ids[0], MaxResults: '200' });
    expect(p1!.params.NextToken).toBeUndefined();
    expect(p2!.params.NextToken).toBe('5');
    expect(p1!.accessKeyId).toBe(TEST_ACCESS_KEY);
    expect(JSON.stringify(server.requests)).not.toContain(TEST_SECRET);
    server.groups.clear();
  });

  it('asks in batches of 200 ids', async () => {
    const many = Array.from({ length: 450 }, (_, k) => `i-0${(0xa000 + k).toString(16).padStart(16, '0')}`);
    expect((await ec2().describeInstances(many)).size).toBe(0);
    expect(server.requests.map((r) => Object.keys(r.params).filter((k) => k.startsWith('Filter.1.Value.')).length)).toEqual([200, 200, 50]);
  });

  it('retries throttling with backoff, and classifies a denial', async () => {
    const g = server.addGroup('agents-b', { min: 0, max: 3, desired: 1, zones: ['us-east-1a'] });
    server.inject('DescribeInstances', { code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.', times: 2 });
    const found = await ec2().describeInstances([g.instances[0]!.id]);
    expect(found.get(g.instances[0]!.id)?.privateIp).toBeDefined();
    expect(server.requests.map((r) => r.status)).toEqual([503, 503, 200]);

    server.inject('DescribeInstances', { code: 'UnauthorizedOperation', status: 403, message: 'You are not authorized to perform this operation.' });
    const e = await ec2().describeInstances([g.instances[0]!.id]).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(AwsCallError);
    expect(e).toMatchObject({ kind: 'denied', awsCode: 'UnauthorizedOperation', operation: 'DescribeInstances' });
    server.groups.clear();
  });
});

describe('loading the EC2 SDK', () => {
  it('happens on the first EC2 call, not when qm loads and creates its drivers', () => {
    // A fresh process (dist/): the SDK is CommonJS, so what Node loaded is in require.cache.
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).some((p) => p.includes('client-ec2'));
      const { createDriver } = await import(${JSON.stringify(path.join(ROOT, 'dist/drivers/registry.js'))});
      const { Ec2Api } = await import(${JSON.stringify(path.join(ROOT, 'dist/drivers/aws/ec2.js'))});
      const d = createDriver({ name: 'aws', store: {} });
      await d.health({ policy: { pools: [] }, pools: [], now: '' });
      const before = loaded();
      const api = new Ec2Api({ region: 'us-east-1', endpoint: 'http://127.0.0.1:1', maxAttempts: 1, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }, { attempts: 1, baseMs: 1, maxMs: 1 });
      const kind = await api.describeInstances(['i-0123456789abcdef0']).then(() => 'ok', (e) => e.kind);
      api.close();
      await d.close();
      console.log(JSON.stringify({ before, after: loaded(), kind }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ before: false, after: true, kind: 'unreachable' });
  });
});

describe('aws provisioner: the machines of a Docker-placed pool', () => {
  const policy = awsPolicy('{region: us-east-1, address: "tcp://{privateIp}:2375"}');
  const make = () => {
    const d = new AwsDriver('aws-east', { scalingHistory: async () => [], appendScaling: async () => undefined }, awsOptions(policy.drivers[0]), { throttleRetry: FAST, clientConfig: { maxAttempts: 1 } });
    closers.push(() => d.close());
    return d;
  };

  it('lists the group\'s InService instances at the templated private address, named by instance id, with their providerID', async () => {
    const g = server.addGroup('agents-gpu', { min: 0, max: 6, desired: 3, zones: ['us-east-1a', 'us-east-1b'] });
    g.instances[2]!.lifecycle = 'Pending';
    const machines = await make().machines(policy.pools[0]!);
    expect(machines).toEqual(g.instances.slice(0, 2).map((i) => ({ name: i.id, zone: i.zone, address: `tcp://${i.privateIp}:2375`, providerId: `aws:///${i.zone}/${i.id}` })));
    expect(server.actions()).toEqual(['DescribeAutoScalingGroups', 'DescribeInstances']);
    expect(Object.keys(server.requests[1]!.params).filter((k) => k.startsWith('Filter.1.Value.')).length).toBe(2); // only those in service
    server.groups.clear();
  });

  it('fails with one sentence naming the driver, the group and the EC2 action, never the secret', async () => {
    server.addGroup('agents-gpu', { min: 0, max: 6, desired: 1, zones: ['us-east-1a'] });
    server.inject('DescribeInstances', { code: 'UnauthorizedOperation', status: 403, message: 'You are not authorized to perform this operation.' });
    const e = await make().machines(policy.pools[0]!).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(DriverError);
    const err = e as DriverError;
    expect(err.message).toBe('driver aws-east: list the machines of pool gpu on Auto Scaling group agents-gpu (us-east-1) failed: AWS denied ec2:DescribeInstances for the instances of agents-gpu (UnauthorizedOperation: You are not authorized to perform this operation.)');
    expect(err.hint).toContain('allow ec2:DescribeInstances');
    expect(err.message + (err.hint ?? '')).not.toContain(TEST_SECRET);
    server.groups.clear();
    const missing = await make().machines(policy.pools[0]!).then(() => undefined, (x: unknown) => x);
    expect((missing as DriverError).message).toBe('driver aws-east: list the machines of pool gpu on Auto Scaling group agents-gpu (us-east-1) failed: the group does not exist in us-east-1');
  });
});
