/**
 * The aws provisioner through the provisioner conformance suite (test/drivers/provisioner-conformance.ts):
 * the real SDK against the Auto Scaling test server, whose instances register late as Kubernetes
 * nodes (spec.providerID) in the Kubernetes test server, observed by the real kubernetes driver.
 */
import { afterAll, beforeAll } from 'vitest';
import { AwsDriver } from '../../src/drivers/aws/driver.js';
import { awsOptions } from '../../src/drivers/aws/options.js';
import { KubernetesDriver } from '../../src/drivers/kubernetes/driver.js';
import { kubernetesOptions } from '../../src/drivers/kubernetes/options.js';
import type { DriverDoc } from '../../src/model/documents.js';
import type { ScalingEvent } from '../../src/model/state.js';
import { conformancePolicy } from '../drivers/conformance.js';
import { describeProvisionerConformance } from '../drivers/provisioner-conformance.js';
import { startCloud } from './cloud.js';
import { awsEnv, setEnv } from './helpers.js';

const DRIVERS = {
  path: 'drivers/test.yaml',
  text: `apiVersion: quartermaster.dev/v1alpha1\nkind: Driver\nmetadata: {name: k8s}\nspec:\n  type: kubernetes\n---\napiVersion: quartermaster.dev/v1alpha1\nkind: Driver\nmetadata: {name: aws-test}\nspec:\n  type: aws\n  aws: {autoScalingGroup: "agents-{pool}"}\n`,
};
const policy = conformancePolicy('k8s\n  provisioner: aws-test', [DRIVERS]);

function memoryStore() {
  const history: ScalingEvent[] = [];
  return { scalingHistory: async () => [...history], appendScaling: async (e: ScalingEvent) => void history.push(e) };
}

let restore: (() => void) | undefined;
beforeAll(() => {
  restore = setEnv(awsEnv('http://127.0.0.1:1')); // replaced per rig below
});
afterAll(() => restore?.());

describeProvisionerConformance('aws (Auto Scaling test server, nodes registering in the Kubernetes test server)', async () => {
  const cloud = await startCloud({ pools: { 'agents-work': 'work' } });
  const undoEndpoint = setEnv({ AWS_ENDPOINT_URL: cloud.aws.url });
  cloud.aws.addGroup('agents-work', { min: 1, max: 4, desired: 2, zones: ['z-a', 'z-b'] });
  cloud.setLate(true);
  const k8sDoc = { ...policy.drivers.find((d) => d.metadata.name === 'k8s')!, spec: { type: 'kubernetes', kubernetes: { kubeconfig: cloud.kubeconfig } } } as DriverDoc;
  const observer = new KubernetesDriver('k8s', memoryStore(), kubernetesOptions(k8sDoc), { retry: { baseMs: 5, maxMs: 50 }, log: () => undefined });
  const provisioner = new AwsDriver('aws-test', memoryStore(), awsOptions(policy.drivers.find((d) => d.metadata.name === 'aws-test')), { retry: { attempts: 3, baseMs: 5, maxMs: 20 }, privateIps: undefined });
  return {
    provisioner,
    observer,
    policy,
    registersLate: true,
    tick: async () => {
      await cloud.aws.settled();
      cloud.register();
    },
    failingScale: (current) => ({ id: 'a1', type: 'scalePool', pool: 'work', from: current, to: 9, addNodes: Array.from({ length: 9 - current }, (_, i) => `work-${50 + i}`), removeNodes: [], reason: 'beyond MaxSize 4' }),
    cleanup: async () => {
      undoEndpoint();
      await cloud.close();
    },
  };
});
