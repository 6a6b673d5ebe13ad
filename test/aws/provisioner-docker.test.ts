/**
 * The aws provisioner through the provisioner conformance suite (test/drivers/provisioner-conformance.ts)
 * for a Docker-placed pool: the real SDK against the AWS test server, whose instances get private
 * addresses 127.0.0.2 … 127.0.0.9, observed by the real docker driver, which takes the pool's
 * engines from the provisioner (`tcp://{privateIp}:PORT`, DescribeInstances). One dockerd listens on
 * all of those loopback addresses, so every instance is a reachable engine of its own address.
 */
import { afterAll, beforeAll } from 'vitest';
import { AwsDriver } from '../../src/drivers/aws/driver.js';
import { awsOptions } from '../../src/drivers/aws/options.js';
import { DockerDriver } from '../../src/drivers/docker/driver.js';
import { dockerOptions } from '../../src/drivers/docker/options.js';
import type { ScalingEvent } from '../../src/model/state.js';
import { conformancePolicy } from '../drivers/conformance.js';
import type { Daemon } from '../drivers/docker-helpers.js';
import { freePortOn, removeRootfs, SKIP_DOCKER, startDaemons, stopDaemons } from '../drivers/docker-helpers.js';
import { describeProvisionerConformance } from '../drivers/provisioner-conformance.js';
import { AutoScalingServer } from './autoscaling-server.js';
import { awsEnv, setEnv } from './helpers.js';

const HOSTS = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
let daemons: Daemon[] = [];
let port = 0;
let restore: (() => void) | undefined;

const drivers = (p: number) => ({
  path: 'drivers/test.yaml',
  text: `apiVersion: quartermaster.dev/v1alpha1\nkind: Driver\nmetadata: {name: dock}\nspec:\n  type: docker\n---\napiVersion: quartermaster.dev/v1alpha1\nkind: Driver\nmetadata: {name: aws-test}\nspec:\n  type: aws\n  aws: {autoScalingGroup: "agents-{pool}", address: "tcp://{privateIp}:${p}"}\n`,
});

function memoryStore() {
  const history: ScalingEvent[] = [];
  return { scalingHistory: async () => [...history], appendScaling: async (e: ScalingEvent) => void history.push(e) };
}

beforeAll(async () => {
  restore = setEnv(awsEnv('http://127.0.0.1:1')); // replaced per harness below
  if (SKIP_DOCKER) return;
  port = await freePortOn(HOSTS);
  daemons = await startDaemons(1, { hosts: [HOSTS.map((h) => `tcp://${h}:${port}`)] });
}, 120_000);
afterAll(async () => {
  restore?.();
  await stopDaemons(daemons);
  removeRootfs();
}, 120_000);

describeProvisionerConformance('aws (Auto Scaling + EC2 test server), nodes as Docker engines found by private address', async () => {
  const policy = conformancePolicy('dock\n  provisioner: aws-test', [drivers(port)]);
  const aws = new AutoScalingServer({ privateIps: HOSTS });
  const undoEndpoint = setEnv({ AWS_ENDPOINT_URL: await aws.start() });
  aws.addGroup('agents-work', { min: 1, max: 4, desired: 2, zones: ['z-a', 'z-b'] });
  const provisioner = new AwsDriver('aws-test', memoryStore(), awsOptions(policy.drivers.find((d) => d.metadata.name === 'aws-test')), { retry: { attempts: 3, baseMs: 5, maxMs: 20 }, throttleRetry: { attempts: 3, baseMs: 5, maxMs: 20 } });
  const observer = new DockerDriver('dock', memoryStore(), dockerOptions(policy.drivers.find((d) => d.metadata.name === 'dock')), {}, () => undefined);
  observer.provisionedBy('work', provisioner.name, provisioner.machines);
  return {
    provisioner,
    observer,
    policy,
    // The test server's instances are InService at once and their engine already answers.
    registersLate: false,
    failingScale: (current) => ({ id: 'a1', type: 'scalePool', pool: 'work', from: current, to: 9, addNodes: Array.from({ length: 9 - current }, (_, i) => `work-${50 + i}`), removeNodes: [], reason: 'beyond MaxSize 4' }),
    cleanup: async () => {
      undoEndpoint();
      await aws.stop();
    },
  };
}, { skip: SKIP_DOCKER });
