/** The aws provisioner (src/drivers/aws) with the real SDK against the Auto Scaling test server. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DriverError } from '../../src/drivers/contract.js';
import type { ApplyContext } from '../../src/drivers/contract.js';
import { AwsDriver } from '../../src/drivers/aws/driver.js';
import type { AwsDeps } from '../../src/drivers/aws/driver.js';
import { awsOptions } from '../../src/drivers/aws/options.js';
import { createDriver } from '../../src/drivers/registry.js';
import type { PolicySet } from '../../src/model/documents.js';
import type { ScalePoolAction } from '../../src/model/plan.js';
import type { ObservedNode, ScalingEvent } from '../../src/model/state.js';
import { AutoScalingServer } from './autoscaling-server.js';
import type { TestInstance } from './autoscaling-server.js';
import { awsEnv, awsPolicy, setEnv, TEST_SECRET } from './helpers.js';

const NOW = '2026-11-28T10:00:00Z';

class MemoryHistory {
  readonly events: ScalingEvent[] = [];
  scalingHistory = async () => [...this.events];
  appendScaling = async (e: ScalingEvent) => void this.events.push({ target: e.target, at: e.at, from: e.from, to: e.to });
}

let server: AutoScalingServer;
let restore: () => void;
const drivers: AwsDriver[] = [];

beforeAll(async () => {
  server = new AutoScalingServer();
  restore = setEnv(awsEnv(await server.start()));
});
afterAll(async () => {
  restore();
  await server.stop();
});
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close();
  server.groups.clear();
  server.requests.length = 0;
});

function make(policy = awsPolicy(), deps: AwsDeps = { retry: { attempts: 4, baseMs: 5, maxMs: 20 }, privateIps: undefined }) {
  const history = new MemoryHistory();
  const d = new AwsDriver('aws-east', history, awsOptions(policy.drivers[0]), deps);
  drivers.push(d);
  return { d, history, policy };
}

const nodeOf = (i: TestInstance, name: string, extra: Partial<ObservedNode> = {}): ObservedNode => ({
  name, pool: 'gpu', region: 'us-east-1', zone: i.zone, labels: {}, taints: [], ready: true, capacity: { cpuMillis: 8000 }, costPerHour: 0, powerWatts: 0, providerId: `aws:///${i.zone}/${i.id}`, ...extra,
});
const scale = (from: number, to: number, addNodes: string[] = [], removeNodes: string[] = []): ScalePoolAction => ({ id: 'a1', type: 'scalePool', pool: 'gpu', from, to, addNodes, removeNodes, reason: 'test' });
const ctx = (policy: PolicySet, poolNodes?: ObservedNode[]): ApplyContext => ({ policy, pools: [], now: NOW, planId: 'sha256:test', ...(poolNodes ? { poolNodes } : {}) });
const failure = async (p: Promise<unknown>): Promise<DriverError> => {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(DriverError);
  return e as DriverError;
};

describe('aws provisioner', () => {
  it('is registered as a provisioner that cannot place, with the Driver\'s startTimeout', () => {
    const policy = awsPolicy();
    const d = createDriver({ name: 'aws-east', doc: policy.drivers[0]!, store: new MemoryHistory() as never });
    expect(d.type).toBe('aws');
    expect(d.capabilities).toEqual({ scaleNodes: true, placeOnNode: false });
    expect((d as AwsDriver).startTimeout).toBe(120);
    return d.close();
  });

  it('observes no nodes, and warns naming both ranges when the group\'s MinSize/MaxSize disagree with the pool\'s size', async () => {
    const { d, policy } = make();
    server.addGroup('agents-gpu', { min: 2, max: 4, desired: 2, zones: ['us-east-1a'] });
    const obs = await d.observe({ policy, pools: policy.pools, now: NOW });
    expect(obs.nodes).toEqual([]);
    expect(obs.instances).toEqual([]);
    expect(obs.warnings).toEqual([
      "driver aws-east: pool gpu allows 1–6 nodes (spec.size) but its Auto Scaling group agents-gpu allows 2–4 (MinSize/MaxSize): scaling above 4 nodes will fail and scaling below 2 nodes will be refused; make them agree (set the group's MinSize ≤ 1 and MaxSize ≥ 6, or narrow the pool's spec.size)",
    ]);
    server.groups.get('agents-gpu')!.min = 0;
    server.groups.get('agents-gpu')!.max = 10;
    expect((await d.observe({ policy, pools: policy.pools, now: NOW })).warnings).toEqual([]);
    expect((await d.health({ policy, pools: policy.pools, now: NOW })).ok).toBe(true);
  });

  it('warns when the pool\'s group does not exist, and when the API cannot be read (never failing the plan)', async () => {
    const { d, policy } = make();
    const obs = await d.observe({ policy, pools: policy.pools, now: NOW });
    expect(obs.warnings).toEqual(['driver aws-east: the Auto Scaling group agents-gpu of pool gpu does not exist in us-east-1; scaling the pool will fail: create it, or correct spec.aws.autoScalingGroup (and region)']);
    expect((await d.health({ policy, pools: policy.pools, now: NOW })).ok).toBe(false);
    server.inject('DescribeAutoScalingGroups', { code: 'AccessDenied', status: 403, message: 'User: arn:aws:iam::123456789012:user/qm is not authorized to perform: autoscaling:DescribeAutoScalingGroups' });
    const denied = await d.observe({ policy, pools: policy.pools, now: NOW });
    expect(denied.warnings[0]).toMatch(/^driver aws-east: could not read the Auto Scaling groups agents-gpu \(AWS denied autoscaling:DescribeAutoScalingGroups on them/);
  });

  it('scales up with SetDesiredCapacity to the plan\'s count, returning once AWS accepted; a re-run changes nothing', async () => {
    const { d, history, policy } = make();
    const g = server.addGroup('agents-gpu', { min: 1, max: 6, desired: 2, zones: ['us-east-1a', 'us-east-1b'] });
    await d.apply(scale(2, 4, ['gpu-2', 'gpu-3']), ctx(policy));
    expect(server.actions()).toEqual(['DescribeAutoScalingGroups', 'SetDesiredCapacity']);
    expect(server.requests[1]!.params).toMatchObject({ AutoScalingGroupName: 'agents-gpu', DesiredCapacity: '4', HonorCooldown: 'false' });
    expect(g.desired).toBe(4);
    expect(history.events).toEqual([{ target: { kind: 'Pool', name: 'gpu' }, at: NOW, from: 2, to: 4 }]);
    server.requests.length = 0;
    await d.apply(scale(2, 4, ['gpu-2', 'gpu-3']), ctx(policy));
    expect(server.actions()).toEqual(['DescribeAutoScalingGroups']); // desired is already 4: never lowered
  });

  it('scales down by terminating exactly the chosen nodes\' instances (providerID), decrementing the desired capacity', async () => {
    const { d, policy } = make();
    const g = server.addGroup('agents-gpu', { min: 1, max: 6, desired: 4, zones: ['us-east-1a', 'us-east-1b'] });
    const [i0, i1, i2, i3] = g.instances as [TestInstance, TestInstance, TestInstance, TestInstance];
    const nodes = [nodeOf(i0, 'ip-10-0-0-5'), nodeOf(i1, 'ip-10-0-0-6'), nodeOf(i2, 'ip-10-0-0-7'), nodeOf(i3, 'ip-10-0-0-8')];
    await d.apply(scale(4, 2, [], ['ip-10-0-0-6', 'ip-10-0-0-8']), ctx(policy, nodes));
    expect(server.actions()).toEqual(['DescribeAutoScalingGroups', 'TerminateInstanceInAutoScalingGroup', 'TerminateInstanceInAutoScalingGroup']);
    expect(server.requests.slice(1).map((r) => [r.params.InstanceId, r.params.ShouldDecrementDesiredCapacity])).toEqual([[i1.id, 'true'], [i3.id, 'true']]);
    expect(g.instances.map((i) => i.id)).toEqual([i0.id, i2.id]);
    expect(g.desired).toBe(2);
    // A re-run (the Node objects linger a while after their instances left the group) converges.
    server.requests.length = 0;
    await d.apply(scale(4, 2, [], ['ip-10-0-0-6', 'ip-10-0-0-8']), ctx(policy, nodes));
    expect(server.actions()).toEqual(['DescribeAutoScalingGroups']);
  });

  it('maps Docker-placed nodes through the address template ({instanceId} without EC2, {privateIp} with an EC2 lookup)', async () => {
    const byId = make(awsPolicy('{region: us-east-1, address: "ssh://ubuntu@{instanceId}"}'));
    const g = server.addGroup('agents-gpu', { min: 0, max: 6, desired: 3, zones: ['us-east-1a'] });
    const addr = (i: TestInstance, a: string): ObservedNode => {
      const { providerId: _none, ...n } = nodeOf(i, `gpu-${i.id.slice(-2)}`, { address: a });
      return n;
    };
    const nodes = g.instances.map((i) => addr(i, `ssh://ubuntu@${i.id}`));
    const first = g.instances[0]!.id;
    await byId.d.apply(scale(3, 2, [], [nodes[0]!.name]), ctx(byId.policy, nodes));
    expect(server.requests.at(-1)!.params).toMatchObject({ Action: 'TerminateInstanceInAutoScalingGroup', InstanceId: first });
    expect(g.instances.map((i) => i.id)).not.toContain(first);

    const lookup = async (ids: readonly string[]) => new Map(ids.map((id) => [id, g.instances.find((i) => i.id === id)!.privateIp] as const));
    const byIp = make(awsPolicy('{region: us-east-1}'), { privateIps: lookup });
    const ipNodes = g.instances.map((i) => addr(i, `ssh://ubuntu@${i.privateIp}`));
    const target = g.instances[1]!;
    await byIp.d.apply(scale(2, 1, [], [ipNodes[1]!.name]), ctx(byIp.policy, ipNodes));
    expect(server.requests.at(-1)!.params).toMatchObject({ Action: 'TerminateInstanceInAutoScalingGroup', InstanceId: target.id });

    // {privateIp} without EC2: nothing is terminated, and the sentence says how to map instead.
    const noEc2 = make(awsPolicy('{region: us-east-1}'));
    server.requests.length = 0;
    const e = await failure(noEc2.d.apply(scale(1, 0, [], [ipNodes[0]!.name]), ctx(noEc2.policy, ipNodes)));
    expect(e.message).toContain('{privateIp}, which needs EC2 DescribeInstances');
    expect(e.message).toContain('use {instanceId} in spec.aws.address');
    expect(server.actions()).not.toContain('TerminateInstanceInAutoScalingGroup');
  });

  it('refuses to terminate anything when one chosen node cannot be mapped', async () => {
    const { d, policy } = make();
    const g = server.addGroup('agents-gpu', { min: 0, max: 6, desired: 2, zones: ['us-east-1a'] });
    const nodes = [nodeOf(g.instances[0]!, 'a'), { ...nodeOf(g.instances[1]!, 'b'), providerId: 'gce://project/zone/b' }];
    const e = await failure(d.apply(scale(2, 0, [], ['a', 'b']), ctx(policy, nodes)));
    expect(e.message).toBe("driver aws-east: scale pool gpu from 2 to 0 on Auto Scaling group agents-gpu (us-east-1) failed: cannot tell which instance node b is (its providerID 'gce://project/zone/b' is not an EC2 instance (aws:///<zone>/i-…))");
    expect(server.actions()).toEqual(['DescribeAutoScalingGroups']);
    const e2 = await failure(d.apply(scale(2, 1, [], ['a']), ctx(policy)));
    expect(e2.message).toContain("qm did not pass the pool's observed nodes");
  });

  it('fails a scale beyond the group\'s MaxSize with one sentence naming driver, group and action, and a hint', async () => {
    const { d, policy } = make();
    server.addGroup('agents-gpu', { min: 1, max: 3, desired: 2, zones: ['us-east-1a'] });
    const e = await failure(d.apply(scale(2, 5, ['x', 'y', 'z']), ctx(policy)));
    expect(e.message).toBe('driver aws-east: scale pool gpu from 2 to 5 on Auto Scaling group agents-gpu (us-east-1) failed: AWS refused SetDesiredCapacity (ValidationError: New SetDesiredCapacity value 5 is above max value 3 for the AutoScalingGroup.)');
    expect(e.hint).toBe("raise the group's MaxSize to at least 5, or lower the pool's spec.size.max");
    expect(e.message).not.toContain(TEST_SECRET);
  });

  it('names the action and the group when AWS denies it', async () => {
    const { d, policy } = make();
    server.addGroup('agents-gpu', { min: 1, max: 6, desired: 2, zones: ['us-east-1a'] });
    server.inject('SetDesiredCapacity', { code: 'AccessDenied', status: 403, message: 'User: arn:aws:iam::123456789012:user/qm is not authorized to perform: autoscaling:SetDesiredCapacity on resource: agents-gpu' });
    const e = await failure(d.apply(scale(2, 3, ['x']), ctx(policy)));
    expect(e.message).toMatch(/^driver aws-east: scale pool gpu from 2 to 3 on Auto Scaling group agents-gpu \(us-east-1\) failed: AWS denied autoscaling:SetDesiredCapacity on agents-gpu \(AccessDenied: User: arn:aws:iam::123456789012:user\/qm is not authorized/);
    expect(e.hint).toContain('docs/aws.md');
  });

  it('retries ScalingActivityInProgress with backoff, and gives up with a sentence after the attempts', async () => {
    const { d, policy } = make();
    const g = server.addGroup('agents-gpu', { min: 1, max: 6, desired: 2, zones: ['us-east-1a'] });
    server.inject('SetDesiredCapacity', { code: 'ScalingActivityInProgress', message: 'Scaling activity 42 is in progress and blocks this action.', times: 2 });
    await d.apply(scale(2, 3, ['x']), ctx(policy));
    expect(server.actions()).toEqual(['DescribeAutoScalingGroups', 'SetDesiredCapacity', 'SetDesiredCapacity', 'SetDesiredCapacity']);
    expect(g.desired).toBe(3);
    server.inject('TerminateInstanceInAutoScalingGroup', { code: 'ScalingActivityInProgress', times: 10 });
    const e = await failure(d.apply(scale(3, 2, [], ['n']), ctx(policy, [nodeOf(g.instances[0]!, 'n')])));
    expect(e.message).toContain('the group was still busy with another scaling activity after 4 attempts of TerminateInstanceInAutoScalingGroup (ScalingActivityInProgress)');
  });

  it('takes credentials from spec.aws.profile in the shared files (standard chain), never printing the secret', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qm-aws-profile-'));
    writeFileSync(path.join(dir, 'credentials'), `[ops]\naws_access_key_id = AKIAQMPROFILEKEY0001\naws_secret_access_key = ${TEST_SECRET}\n`);
    writeFileSync(path.join(dir, 'config'), '[profile ops]\nregion = us-east-1\n');
    const undo = setEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'), AWS_CONFIG_FILE: path.join(dir, 'config') });
    try {
      const { d, policy } = make(awsPolicy('{profile: ops}'));
      server.addGroup('agents-gpu', { min: 1, max: 6, desired: 1, zones: ['us-east-1a'] });
      await d.apply(scale(1, 2, ['x']), ctx(policy));
      expect(server.requests.map((r) => r.accessKeyId)).toEqual(['AKIAQMPROFILEKEY0001', 'AKIAQMPROFILEKEY0001']);
      const { d: other } = make(awsPolicy('{profile: nosuch}'));
      const e = await failure(other.apply(scale(2, 3, ['y']), ctx(policy)));
      expect(e.message).toContain('no AWS credentials were found for DescribeAutoScalingGroups');
      expect(e.message + (e.hint ?? '')).not.toContain(TEST_SECRET);
    } finally {
      undo();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops retrying at once when the apply is interrupted', async () => {
    const { d, policy } = make(awsPolicy(), { retry: { attempts: 10, baseMs: 60_000, maxMs: 60_000 }, privateIps: undefined });
    server.addGroup('agents-gpu', { min: 1, max: 6, desired: 1, zones: ['us-east-1a'] });
    server.inject('SetDesiredCapacity', { code: 'ScalingActivityInProgress', times: 10 });
    const abort = new AbortController();
    const p = d.apply(scale(1, 2, ['x']), { ...ctx(policy), signal: abort.signal });
    // Once AWS answered "busy", qm waits a minute before retrying: interrupt it then.
    while (server.requests.find((r) => r.action === 'SetDesiredCapacity')?.status !== 400) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    abort.abort();
    const e = await failure(p);
    // (Usually "… while waiting to retry it (the group was busy …)"; on a slow machine the abort may still find the answer in flight.)
    expect(e.message).toContain('failed: the apply was interrupted during SetDesiredCapacity');
    expect(server.actions().filter((a) => a === 'SetDesiredCapacity')).toHaveLength(1);
  });

  it('fails when the group does not exist, and refuses actions other than scalePool', async () => {
    const { d, policy } = make();
    const e = await failure(d.apply(scale(0, 1, ['x']), ctx(policy)));
    expect(e.message).toBe('driver aws-east: scale pool gpu from 0 to 1 on Auto Scaling group agents-gpu (us-east-1) failed: the group does not exist in us-east-1');
    const p = await failure(d.apply({ id: 'a1', type: 'place', instance: 'bot-0', agent: 'bot', pool: 'gpu', node: 'n', requests: {}, score: 1, reason: 'x' }, ctx(policy)));
    expect(p.message).toContain('the aws driver only changes node counts');
  });
});
