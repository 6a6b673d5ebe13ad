/** Pure parts of the aws provisioner: providerIDs, templates, settings, bounds. */
import { describe, expect, it } from 'vitest';
import { boundsWarning } from '../../src/drivers/aws/bounds.js';
import { instanceIdOf, mapNodes } from '../../src/drivers/aws/mapping.js';
import { awsOptions, groupOf, regionOf } from '../../src/drivers/aws/options.js';
import { placeholders, render } from '../../src/drivers/aws/template.js';
import type { DriverDoc, PoolDoc } from '../../src/model/documents.js';
import type { ObservedNode } from '../../src/model/state.js';
import { awsPolicy } from './helpers.js';

const doc = (aws: Record<string, unknown>) => ({ apiVersion: 'quartermaster.dev/v1alpha1', kind: 'Driver', metadata: { name: 'aws-east', labels: {}, annotations: {} }, spec: { type: 'aws', aws } }) as unknown as DriverDoc;

describe('aws provisioner, pure parts', () => {
  it('reads the instance id out of a providerID', () => {
    expect(instanceIdOf('aws:///us-east-1a/i-0abc123def4567890')).toBe('i-0abc123def4567890');
    expect(instanceIdOf('aws://us-east-1a/i-0abc1234')).toBe('i-0abc1234');
    expect(instanceIdOf('aws:///i-0abc1234')).toBe('i-0abc1234');
    expect(instanceIdOf('gce://proj/zone/vm-1')).toBeUndefined();
    expect(instanceIdOf('aws:///us-east-1a/fargate-ip-10-0-0-1')).toBeUndefined();
  });

  it('renders templates, leaving ${env:…} references alone', () => {
    expect(render('agents-{pool}-{region}', { pool: 'gpu', region: 'eu-west-1' })).toBe('agents-gpu-eu-west-1');
    expect(placeholders('${env:PREFIX}-{pool}').map((p) => p.name)).toEqual(['pool']);
    expect(render('{unknown}-{pool}', { pool: 'gpu' })).toBe('{unknown}-gpu');
  });

  it('reads settings with defaults, ${env:…} resolved, problems collected (never thrown)', () => {
    const o = awsOptions(doc({ region: '${env:QM_TEST_REGION}', autoScalingGroup: 'asg-${env:QM_TEST_ENV}-{pool}', startTimeout: '90s' }), { QM_TEST_REGION: 'eu-west-1', QM_TEST_ENV: 'prod' });
    expect(o).toEqual({ region: 'eu-west-1', autoScalingGroup: 'asg-prod-{pool}', address: 'ssh://ubuntu@{privateIp}', startTimeout: 90, problems: [] });
    const bad = awsOptions(doc({ region: '${env:NOPE}', startTimeout: '5 minutes' }), {});
    expect(bad.problems).toEqual([`Driver 'aws-east' spec.aws.startTimeout '5 minutes' is not a duration (write "5m")`, "Driver 'aws-east' spec.aws.region references the environment variable NOPE, which is not set"]);
    const pool = awsPolicy().pools[0]!;
    const defaults = awsOptions(undefined, {});
    expect(groupOf(defaults, pool)).toBe('agents-gpu');
    expect(regionOf(defaults, pool)).toBe('us-east-1'); // the pool's region, an AWS region
    expect(regionOf(defaults, { ...pool, spec: { ...pool.spec, region: 'local' } } as PoolDoc)).toBeUndefined(); // the SDK decides
  });

  it('warns only when the pool may ask for what the group refuses', () => {
    const pool = awsPolicy().pools[0]!; // size 1–6
    const g = (min: number, max: number) => ({ name: 'agents-gpu', min, max, desired: min, zones: [], instances: [] });
    expect(boundsWarning('aws-east', pool, g(0, 10))).toBeUndefined();
    expect(boundsWarning('aws-east', pool, g(1, 6))).toBeUndefined();
    expect(boundsWarning('aws-east', pool, g(1, 5))).toContain('scaling above 5 nodes will fail;');
    expect(boundsWarning('aws-east', pool, g(2, 6))).toContain('scaling below 2 nodes will be refused;');
  });

  it('maps nodes: gone when absent or already leaving, unmapped when unknown, in the plan\'s order', async () => {
    const node = (name: string, extra: Partial<ObservedNode>): ObservedNode => ({ name, pool: 'gpu', region: 'r', zone: 'z', labels: {}, taints: [], ready: true, capacity: {}, costPerHour: 0, powerWatts: 0, ...extra });
    const group = { name: 'agents-gpu', min: 0, max: 9, desired: 3, zones: ['z'], instances: [
      { id: 'i-0000000000000001', zone: 'z', lifecycle: 'InService', health: 'Healthy' },
      { id: 'i-0000000000000002', zone: 'z', lifecycle: 'Terminating', health: 'Healthy' },
      { id: 'i-0000000000000003', zone: 'z', lifecycle: 'InService', health: 'Healthy' },
    ] };
    const m = await mapNodes({
      chosen: ['c', 'a', 'b', 'gone', 'other', 'bare'],
      poolNodes: [
        node('a', { providerId: 'aws:///z/i-0000000000000001' }),
        node('b', { providerId: 'aws:///z/i-0000000000000002' }),
        node('c', { address: 'tcp://i-0000000000000003:2376' }),
        node('other', { providerId: 'aws:///z/i-00000000000000ff' }),
        node('bare', {}),
      ],
      group, pool: 'gpu', addressTemplate: 'tcp://{instanceId}:2376',
    });
    expect(m.found).toEqual([{ node: 'c', instanceId: 'i-0000000000000003' }, { node: 'a', instanceId: 'i-0000000000000001' }]);
    expect(m.gone).toEqual(['b', 'gone', 'other']);
    expect(m.unmapped).toEqual([{ node: 'bare', why: 'it has neither a providerID nor an address to find its instance by' }]);
  });
});
