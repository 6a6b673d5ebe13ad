/** The real AWS SDK client (through src/drivers/aws/client.ts) against the Auto Scaling test server. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AutoScalingClient, DescribeScalingActivitiesCommand } from '@aws-sdk/client-auto-scaling';
import { AutoScalingApi, AwsCallError } from '../../src/drivers/aws/client.js';
import { AutoScalingServer } from './autoscaling-server.js';
import { awsEnv, setEnv, TEST_ACCESS_KEY, TEST_SECRET } from './helpers.js';

let server: AutoScalingServer;
let restore: () => void;
let api: AutoScalingApi;

beforeAll(async () => {
  server = new AutoScalingServer({ accessKeyIds: [TEST_ACCESS_KEY] });
  restore = setEnv(awsEnv(await server.start()));
  api = new AutoScalingApi({ region: 'us-east-1' });
});
afterAll(async () => {
  api.close();
  restore();
  await server.stop();
});
afterEach(() => {
  server.groups.clear();
  server.requests.length = 0;
  server.activities.length = 0;
});

const rejection = async (p: Promise<unknown>): Promise<AwsCallError> => {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(AwsCallError);
  return e as AwsCallError;
};

describe('AWS SDK client against the Auto Scaling test server', () => {
  it('describes groups with sizes, zones and instances, signed with the environment credentials', async () => {
    server.addGroup('agents-gpu', { min: 1, max: 5, desired: 3, zones: ['us-east-1a', 'us-east-1b'] });
    server.addGroup('agents-cpu', { min: 0, max: 2, desired: 0, zones: ['us-east-1a'] });
    const groups = await api.describeGroups(['agents-gpu', 'agents-missing']);
    expect([...groups.keys()]).toEqual(['agents-gpu']);
    const g = groups.get('agents-gpu')!;
    expect({ min: g.min, max: g.max, desired: g.desired, zones: g.zones }).toEqual({ min: 1, max: 5, desired: 3, zones: ['us-east-1a', 'us-east-1b'] });
    expect(g.instances.map((i) => i.zone)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1a']);
    expect(g.instances.every((i) => /^i-0[0-9a-f]{16}$/.test(i.id) && i.lifecycle === 'InService')).toBe(true);
    const r = server.requests[0]!;
    expect(r.action).toBe('DescribeAutoScalingGroups');
    expect(r.params).toMatchObject({ Version: '2011-01-01', 'AutoScalingGroupNames.member.1': 'agents-gpu', 'AutoScalingGroupNames.member.2': 'agents-missing', MaxRecords: '50' });
    expect(r.accessKeyId).toBe(TEST_ACCESS_KEY);
    expect(JSON.stringify(server.requests)).not.toContain(TEST_SECRET);
  });

  it('follows NextToken across pages', async () => {
    for (let i = 0; i < 60; i++) server.addGroup(`g-${String(i).padStart(2, '0')}`, { min: 0, max: 1, desired: 0, zones: ['us-east-1a'] });
    const names = [...server.groups.keys()];
    const groups = await api.describeGroups(names);
    expect(groups.size).toBe(60);
    // Two batches of 50 names; each fits one page.
    expect(server.actions()).toEqual(['DescribeAutoScalingGroups', 'DescribeAutoScalingGroups']);
  });

  it('sets the desired capacity without honouring the cooldown, and launches instances round-robin over zones', async () => {
    server.addGroup('agents-gpu', { min: 1, max: 5, desired: 1, zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] });
    await api.setDesiredCapacity('agents-gpu', 4);
    expect(server.requests[0]!.params).toMatchObject({ Action: 'SetDesiredCapacity', AutoScalingGroupName: 'agents-gpu', DesiredCapacity: '4', HonorCooldown: 'false' });
    const g = server.groups.get('agents-gpu')!;
    expect(g.desired).toBe(4);
    expect(g.instances.map((i) => i.zone)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1a']);
  });

  it('terminates one instance, decrementing the desired capacity, and reads the Activity back', async () => {
    const g = server.addGroup('agents-gpu', { min: 1, max: 5, desired: 3, zones: ['us-east-1a'] });
    const victim = g.instances[1]!.id;
    const act = await api.terminateInstance(victim);
    expect(act.activityId).toMatch(/^[0-9a-f-]{36}$/);
    expect(act.description).toBe(`Terminating EC2 instance: ${victim}`);
    expect(server.requests[0]!.params).toMatchObject({ Action: 'TerminateInstanceInAutoScalingGroup', InstanceId: victim, ShouldDecrementDesiredCapacity: 'true' });
    expect(g.desired).toBe(2);
    expect(g.instances.map((i) => i.id)).not.toContain(victim);
  });

  it('answers DescribeScalingActivities with the activities it started, newest first (the raw SDK client)', async () => {
    const g = server.addGroup('agents-gpu', { min: 0, max: 5, desired: 2, zones: ['us-east-1a'] });
    await api.setDesiredCapacity('agents-gpu', 3);
    await api.terminateInstance(g.instances[0]!.id);
    const raw = new AutoScalingClient({ region: 'us-east-1' });
    try {
      const res = await raw.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'agents-gpu' }));
      expect(res.Activities?.map((a) => [a.Description?.split(':')[0], a.StatusCode, a.StartTime instanceof Date])).toEqual([['Terminating EC2 instance', 'InProgress', true], ['Launching 1 new EC2 instance(s)', 'InProgress', true]]);
      expect(res.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      raw.destroy();
    }
  });

  it('maps ValidationError (desired above max) with AWS\'s message', async () => {
    server.addGroup('agents-gpu', { min: 1, max: 3, desired: 1, zones: ['us-east-1a'] });
    const e = await rejection(api.setDesiredCapacity('agents-gpu', 9));
    expect(e.kind).toBe('validation');
    expect(e.awsCode).toBe('ValidationError');
    expect(e.operation).toBe('SetDesiredCapacity');
    expect(e.message).toBe('New SetDesiredCapacity value 9 is above max value 3 for the AutoScalingGroup.');
    expect(server.requests).toHaveLength(1); // a client error is not retried by the SDK
  });

  it('maps ScalingActivityInProgress (not retried by the SDK)', async () => {
    server.addGroup('agents-gpu', { min: 1, max: 3, desired: 1, zones: ['us-east-1a'] });
    server.inject('SetDesiredCapacity', { code: 'ScalingActivityInProgress', message: 'Scaling activity 1234 is in progress and blocks this action.' });
    const e = await rejection(api.setDesiredCapacity('agents-gpu', 2));
    expect(e.kind).toBe('in-progress');
    expect(server.requests).toHaveLength(1);
  });

  it('lets the SDK retry throttling, and maps throttling that persists', async () => {
    server.addGroup('agents-gpu', { min: 1, max: 3, desired: 1, zones: ['us-east-1a'] });
    server.inject('SetDesiredCapacity', { code: 'Throttling', message: 'Rate exceeded', times: 2 });
    await api.setDesiredCapacity('agents-gpu', 2);
    expect(server.actions()).toEqual(['SetDesiredCapacity', 'SetDesiredCapacity', 'SetDesiredCapacity']);
    expect(server.requests.map((r) => r.status)).toEqual([400, 400, 200]);
    server.requests.length = 0;
    server.inject('SetDesiredCapacity', { code: 'Throttling', message: 'Rate exceeded', times: 10 });
    const e = await rejection(api.setDesiredCapacity('agents-gpu', 3));
    expect(e.kind).toBe('throttled');
    expect(server.requests.length).toBe(3); // the SDK's standard mode: 3 attempts
  });

  it('maps AccessDenied (403) and an unknown access key', async () => {
    server.addGroup('agents-gpu', { min: 1, max: 3, desired: 1, zones: ['us-east-1a'] });
    server.inject('TerminateInstanceInAutoScalingGroup', { code: 'AccessDenied', status: 403, message: 'User: arn:aws:iam::123456789012:user/qm is not authorized to perform: autoscaling:TerminateInstanceInAutoScalingGroup' });
    const e = await rejection(api.terminateInstance('i-0000000000000001'));
    expect(e.kind).toBe('denied');
    expect(e.operation).toBe('TerminateInstanceInAutoScalingGroup');
    const restoreKey = setEnv({ AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN000000000' });
    const other = new AutoScalingApi({ region: 'us-east-1' });
    try {
      const e2 = await rejection(other.describeGroups(['agents-gpu']));
      expect(e2.kind).toBe('denied');
      expect(e2.awsCode).toBe('InvalidClientTokenId');
    } finally {
      other.close();
      restoreKey();
    }
  });

  it('reports missing credentials as such, without contacting the server', async () => {
    const restoreCreds = setEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_PROFILE: undefined });
    const noCreds = new AutoScalingApi({ region: 'us-east-1', maxAttempts: 1 });
    try {
      const e = await rejection(noCreds.describeGroups(['agents-gpu']));
      expect(e.kind).toBe('credentials');
      expect(server.requests).toHaveLength(0);
    } finally {
      noCreds.close();
      restoreCreds();
    }
  });
});
