/**
 * End to end through the CLI: a pool placed by `kubernetes` and scaled by `aws`. The real qm binary
 * (dist/) talks to the Kubernetes test server (kubeconfig) and, through the real AWS SDK with
 * AWS_ENDPOINT_URL and static test credentials, to the Auto Scaling test server, whose new
 * instances register as Kubernetes nodes a little later. qm scales up for pending instances, waits
 * for the nodes, places on them; then, after the agent shrinks, removes the instances and
 * terminates exactly the emptied nodes' instances.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Plan, ScalePoolAction } from '../../src/model/plan.js';
import { tempRepo } from '../helpers/repo.js';
import type { TempRepo } from '../helpers/repo.js';
import { startCloud } from './cloud.js';
import type { CloudRig } from './cloud.js';
import { awsEnv, qmAsync, TEST_SECRET } from './helpers.js';

const files = (kubeconfig: string, replicas: number, max = 4) => ({
  'policies/drivers.yaml': `apiVersion: quartermaster.dev/v1alpha1
kind: Driver
metadata: {name: k8s}
spec:
  type: kubernetes
  kubernetes: {kubeconfig: ${kubeconfig}, namespace: agents}
---
apiVersion: quartermaster.dev/v1alpha1
kind: Driver
metadata: {name: aws-east}
spec:
  type: aws
  aws: {region: us-east-1, autoScalingGroup: "agents-{pool}", startTimeout: 30s}
`,
  'pools/gpu.yaml': `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: gpu}
spec:
  driver: k8s
  provisioner: aws-east
  region: us-east-1
  zones: [us-east-1a, us-east-1b]
  node: {capacity: {cpu: 4, memory: 8Gi}}
  size: {min: 1, max: ${max}}
`,
  'policies/gpu-scaling.yaml': `apiVersion: quartermaster.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: gpu}
spec:
  target: {kind: Pool, name: gpu}
  min: 1
  max: ${max}
  targetUtilizationPercent: 100
  scaleDownUnneededTime: 0s
  behavior:
    scaleUp: {stabilizationWindow: 0s, cooldown: 0s}
    scaleDown: {stabilizationWindow: 0s, cooldown: 0s}
`,
  'agents/bot.yaml': `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: bot}
spec:
  owner: team
  replicas: ${replicas}
  resources:
    requests: {cpu: 1500m, memory: 1Gi}
  runtime: {image: "agent:1", command: ["sleep", "infinity"]}
`,
});

let cloud: CloudRig | undefined;
let repo: TempRepo | undefined;
afterEach(async () => {
  await cloud?.close();
  await repo?.cleanup();
  cloud = undefined;
  repo = undefined;
});

async function write(r: TempRepo, f: Record<string, string>): Promise<void> {
  for (const [p, t] of Object.entries(f)) await r.write(p, t);
}

describe('qm with a pool placed by kubernetes and scaled by aws', () => {
  it('scales up for pending instances, places on the nodes once they register, and scales down the emptied nodes', { timeout: 180_000 }, async () => {
    cloud = await startCloud({ pools: { 'agents-gpu': 'gpu' }, allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, registerDelayMs: 400 });
    const group = cloud.aws.addGroup('agents-gpu', { min: 1, max: 4, desired: 1, zones: ['us-east-1a', 'us-east-1b'] });
    const first = cloud.nodeName(group.instances[0]!);
    repo = await tempRepo();
    await write(repo, files(cloud.kubeconfig, 5));
    const env = { ...awsEnv(cloud.aws.url), QM_STATE: path.join(repo.dir, '.qm', 'state.db') };
    const outputs: string[] = [];
    const run = async (args: string[]) => {
      const r = await qmAsync(args, repo!.dir, env);
      outputs.push(r.stdout, r.stderr);
      return r;
    };

    // 1. Plan: five instances of 1.5 CPUs on 4-CPU nodes need three nodes; the group has one.
    const plan1 = await run(['plan', '--out', 'up.json', '--format', 'json']);
    expect(plan1.code, plan1.stderr).toBe(0);
    const up = JSON.parse(await readFile(path.join(repo.dir, 'up.json'), 'utf8')) as Plan;
    const scaleUp = up.actions.find((a): a is ScalePoolAction => a.type === 'scalePool')!;
    expect(scaleUp).toMatchObject({ pool: 'gpu', from: 1, to: 3 });
    expect(up.actions.filter((a) => a.type === 'place')).toHaveLength(5);
    expect(up.warnings).toEqual([]);
    expect(cloud.aws.actions()).toEqual(['DescribeAutoScalingGroups']); // planning only reads

    // 2. Apply: SetDesiredCapacity, then the new nodes register (late) and get their instances.
    cloud.aws.requests.length = 0;
    const apply1 = await run(['apply', 'up.json']);
    expect(apply1.code, apply1.stdout + apply1.stderr).toBe(0);
    expect(apply1.stdout).toMatch(/nodes registered as gpu-\d → ip-10-0-\d+-\d+\.ec2\.internal/);
    expect(cloud.aws.actions()).toEqual(['DescribeAutoScalingGroups', 'DescribeAutoScalingGroups', 'SetDesiredCapacity']);
    expect(cloud.aws.requests[2]!.params).toMatchObject({ AutoScalingGroupName: 'agents-gpu', DesiredCapacity: '3', HonorCooldown: 'false' });
    const nodes = cloud.kube.nodes().map((n) => (n as { metadata: { name: string } }).metadata.name).sort();
    expect(nodes).toHaveLength(3);
    expect(nodes).toContain(first);
    const pods = cloud.kube.pods('agents') as { spec: { nodeName?: string } }[];
    expect(pods).toHaveLength(5);
    expect(pods.every((p) => p.spec.nodeName && nodes.includes(p.spec.nodeName))).toBe(true);

    // 3. The agent shrinks to one instance: its instances are removed, and the emptied nodes
    //    go after them (the scale-down depends on the removals), terminating exactly their instances.
    await write(repo, { 'agents/bot.yaml': files(cloud.kubeconfig, 1)['agents/bot.yaml'] });
    const plan2 = await run(['plan', '--out', 'down.json', '--format', 'json']);
    expect(plan2.code, plan2.stderr).toBe(0);
    const down = JSON.parse(await readFile(path.join(repo.dir, 'down.json'), 'utf8')) as Plan;
    expect(down.actions.map((a) => a.type)).toEqual(['remove', 'remove', 'remove', 'remove', 'scalePool']);
    const scaleDown = down.actions[4] as ScalePoolAction;
    expect(scaleDown).toMatchObject({ pool: 'gpu', from: 3, to: 1 });
    expect(scaleDown.removeNodes).toHaveLength(2);
    const removesThere = down.actions.filter((a) => a.type === 'remove' && scaleDown.removeNodes.includes(a.node)).map((a) => a.id);
    expect(removesThere.length).toBeGreaterThan(0);
    expect(scaleDown.dependsOn).toEqual(expect.arrayContaining(removesThere));
    const instanceOf = new Map(group.instances.map((i) => [cloud!.nodeName(i), i.id]));
    const chosen = scaleDown.removeNodes.map((n) => instanceOf.get(n));
    cloud.aws.requests.length = 0;
    const apply2 = await run(['apply', 'down.json']);
    expect(apply2.code, apply2.stdout + apply2.stderr).toBe(0);
    expect(cloud.aws.actions()).toEqual(['DescribeAutoScalingGroups', 'DescribeAutoScalingGroups', 'TerminateInstanceInAutoScalingGroup', 'TerminateInstanceInAutoScalingGroup']);
    expect(cloud.aws.requests.slice(2).map((r) => r.params.InstanceId)).toEqual(chosen);
    expect(cloud.aws.requests.slice(2).every((r) => r.params.ShouldDecrementDesiredCapacity === 'true')).toBe(true);
    expect(group.desired).toBe(1);
    // Each instance was terminated only once its node held no pod any more.
    expect(cloud.terminated).toEqual(scaleDown.removeNodes.map((node, k) => ({ node, instanceId: chosen[k], podsLeft: 0 })));
    const left = cloud.kube.nodes().map((n) => (n as { metadata: { name: string } }).metadata.name);
    expect(left).toHaveLength(1);
    expect((cloud.kube.pods('agents') as { spec: { nodeName?: string } }[]).map((p) => p.spec.nodeName)).toEqual(left);

    // 4. Nothing left to do; and the secret never appeared in any output.
    const plan3 = await run(['plan', '--detailed-exitcode']);
    expect(plan3.code, plan3.stdout + plan3.stderr).toBe(0);
    for (const o of outputs) {
      expect(o).not.toContain(TEST_SECRET);
      expect(o).not.toContain('NodeVersionSupportWarning');
    }
  });

  it('warns at plan time, naming both ranges, when the group\'s MinSize/MaxSize disagree with the pool\'s size', { timeout: 90_000 }, async () => {
    cloud = await startCloud({ pools: { 'agents-gpu': 'gpu' } });
    cloud.aws.addGroup('agents-gpu', { min: 2, max: 3, desired: 2, zones: ['us-east-1a'] });
    repo = await tempRepo();
    await write(repo, files(cloud.kubeconfig, 1));
    const r = await qmAsync(['plan'], repo.dir, { ...awsEnv(cloud.aws.url), QM_STATE: path.join(repo.dir, '.qm', 'state.db') });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('pool gpu allows 1–4 nodes (spec.size) but its Auto Scaling group agents-gpu allows 2–3 (MinSize/MaxSize)');
    expect(r.stdout + r.stderr).not.toContain(TEST_SECRET);
  });

  it('fails a refused scale with one sentence naming the driver, the group and the action', { timeout: 90_000 }, async () => {
    cloud = await startCloud({ pools: { 'agents-gpu': 'gpu' } });
    cloud.aws.addGroup('agents-gpu', { min: 1, max: 4, desired: 1, zones: ['us-east-1a', 'us-east-1b'] });
    repo = await tempRepo();
    await write(repo, files(cloud.kubeconfig, 5));
    const env = { ...awsEnv(cloud.aws.url), QM_STATE: path.join(repo.dir, '.qm', 'state.db') };
    expect((await qmAsync(['plan', '--out', 'up.json'], repo.dir, env)).code).toBe(0);
    cloud.aws.inject('SetDesiredCapacity', { code: 'AccessDenied', status: 403, message: 'User: arn:aws:iam::123456789012:user/qm is not authorized to perform: autoscaling:SetDesiredCapacity' });
    const r = await qmAsync(['apply', 'up.json'], repo.dir, env);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('driver aws-east: scale pool gpu from 1 to 3 on Auto Scaling group agents-gpu (us-east-1) failed: AWS denied autoscaling:SetDesiredCapacity on agents-gpu');
    expect(r.stdout + r.stderr).not.toContain(TEST_SECRET);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
