/** qm validate knows spec.aws: a closed block, region names, template placeholders, durations, one group per pool. */
import { describe, expect, it } from 'vitest';
import { validateFiles } from '../../src/config/validate.js';

const driver = (aws: string, name = 'aws-east') => ({ path: `drivers/${name}.yaml`, text: `apiVersion: quartermaster.dev/v1alpha1\nkind: Driver\nmetadata: {name: ${name}}\nspec:\n  type: aws\n  aws: ${aws}\n` });
const pool = (name: string, extra = 'driver: kubernetes\n  provisioner: aws-east') => ({
  path: `pools/${name}.yaml`,
  text: `apiVersion: quartermaster.dev/v1alpha1\nkind: Pool\nmetadata: {name: ${name}}\nspec:\n  ${extra}\n  region: us-east-1\n  node: {capacity: {cpu: 8, memory: 32Gi}}\n  size: {min: 1, max: 6}\n`,
});
const problems = (files: { path: string; text: string }[]) =>
  validateFiles(files).diagnostics.filter((d) => d.severity === 'error').map((d) => ({ code: d.code, at: `${d.file}:${d.line}:${d.column}`, pointer: d.jsonPointer, message: d.message, hint: d.hint }));

describe('qm validate: spec.aws', () => {
  it('accepts a complete block, templates and ${env:…} references', () => {
    expect(problems([driver('{region: us-east-1, profile: ops, autoScalingGroup: "agents-{pool}-{region}", address: "tcp://{privateIp}:2376", startTimeout: 10m}'), pool('gpu')])).toEqual([]);
    expect(problems([driver('{region: "${env:AWS_REGION}", address: "ssh://ubuntu@{instanceId}"}'), pool('gpu')])).toEqual([]);
  });

  it('is a closed block with did-you-mean', () => {
    const p = problems([driver('{region: us-east-1, autoscalingGroup: "agents-{pool}"}'), pool('gpu')]);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ code: 'UnknownField', pointer: '/spec/aws/autoscalingGroup', at: 'drivers/aws-east.yaml:6:28', hint: "did you mean 'autoScalingGroup'?" });
  });

  it('checks the region\'s format, suggesting the likely spelling', () => {
    const p = problems([driver('{region: us-east1}'), pool('gpu')]);
    expect(p).toEqual([{ code: 'InvalidValue', at: 'drivers/aws-east.yaml:6:17', pointer: '/spec/aws/region', message: "Driver 'aws-east': spec.aws.region 'us-east1' is not an AWS region name", hint: "did you mean 'us-east-1'?" }]);
    expect(problems([driver('{region: mars}'), pool('gpu')])[0]!.hint).toBe('write it as AWS does: us-east-1, eu-central-1, ap-southeast-2');
  });

  it('checks template placeholders', () => {
    const p = problems([driver('{autoScalingGroup: "agents-{pol}", address: "ssh://ubuntu@{privateIP}"}'), pool('gpu')]);
    expect(p.map((x) => [x.pointer, x.message, x.hint])).toEqual([
      ['/spec/aws/autoScalingGroup', "Driver 'aws-east': spec.aws.autoScalingGroup 'agents-{pol}' uses the placeholder {pol}, which is not one of {pool}, {region}", 'did you mean {pool}?'],
      ['/spec/aws/address', "Driver 'aws-east': spec.aws.address 'ssh://ubuntu@{privateIP}' uses the placeholder {privateIP}, which is not one of {privateIp}, {instanceId}, {zone}, {pool}", 'did you mean {privateIp}?'],
    ]);
  });

  it('rejects an address that does not tell instances apart, or that is no Docker endpoint', () => {
    expect(problems([driver('{address: "ssh://ubuntu@{zone}"}'), pool('gpu')])[0]!.message).toBe("Driver 'aws-east': spec.aws.address 'ssh://ubuntu@{zone}' is the same for every instance, so no node can be told from another");
    expect(problems([driver('{address: "npipe://{privateIp}"}'), pool('gpu')])[0]!.message).toBe("Driver 'aws-east': spec.aws.address 'npipe://{privateIp}' is not a Docker endpoint the docker driver can reach");
  });

  it('checks startTimeout as a duration', () => {
    const p = problems([driver('{startTimeout: 5 minutes}'), pool('gpu')]);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ code: 'InvalidQuantity', pointer: '/spec/aws/startTimeout', hint: 'write "5m"' });
  });

  it('refuses one group for two pools, and an aws driver asked to place', () => {
    const shared = problems([driver('{autoScalingGroup: agents}'), pool('gpu'), pool('cpu')]);
    expect(shared).toEqual([{ code: 'InvalidValue', at: 'pools/cpu.yaml:6:16', pointer: '/spec/provisioner', message: "Pool 'cpu': its Auto Scaling group 'agents' (Driver 'aws-east' spec.aws.autoScalingGroup 'agents') is also the group of Pool 'gpu'; two pools cannot share one group", hint: "put {pool} in the Driver's spec.aws.autoScalingGroup, as in agents-{pool}" }]);
    const placer = problems([driver('{region: us-east-1}'), pool('gpu', 'driver: aws-east')]);
    expect(placer).toEqual([{ code: 'InvalidValue', at: 'pools/gpu.yaml:5:11', pointer: '/spec/driver', message: "Pool 'gpu': spec.driver 'aws-east' is an aws provisioner, which changes node counts but cannot place instances", hint: 'write provisioner: aws-east and name a kubernetes or docker Driver as spec.driver' }]);
    expect(problems([pool('gpu', 'driver: aws')])[0]!.pointer).toBe('/spec/driver');
  });
});

describe('qm validate: a docker Driver whose pools all take their engines from an aws provisioner', () => {
  const docker = (name = 'engines') => ({ path: `drivers/${name}.yaml`, text: `apiVersion: quartermaster.dev/v1alpha1\nkind: Driver\nmetadata: {name: ${name}}\nspec:\n  type: docker\n  docker:\n    endpoints: [tcp://10.0.0.5:2376]\n` });
  const warnings = (files: { path: string; text: string }[]) => validateFiles(files).diagnostics.filter((d) => d.severity === 'warning').map((d) => ({ at: `${d.file}:${d.line}:${d.column}`, pointer: d.jsonPointer, message: d.message, hint: d.hint }));

  it('warns that spec.docker.endpoints is not used, at the field, naming the pools', () => {
    const files = [driver('{region: us-east-1, address: "tcp://{privateIp}:2375"}'), docker(), pool('gpu', 'driver: engines\n  provisioner: aws-east'), pool('cpu', 'driver: engines\n  provisioner: aws-east')];
    expect(validateFiles(files).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(warnings(files)).toEqual([
      {
        at: 'drivers/engines.yaml:7:16',
        pointer: '/spec/docker/endpoints',
        message: "Driver 'engines': spec.docker.endpoints is not used: the engines of its pools 'cpu', 'gpu' are the machines of the provisioner 'aws-east' (spec.aws.address)",
        hint: 'remove spec.docker.endpoints, or give a pool that should use them no provisioner',
      },
    ]);
  });

  it('says nothing when one of its pools uses the endpoints, or when no pool is provisioned by aws', () => {
    expect(warnings([driver('{region: us-east-1}'), docker(), pool('gpu', 'driver: engines\n  provisioner: aws-east'), pool('cpu', 'driver: engines')])).toEqual([]);
    expect(warnings([docker(), pool('cpu', 'driver: engines')])).toEqual([]);
  });
});
