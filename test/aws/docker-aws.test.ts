/**
 * End to end through the CLI: a pool placed by `docker` and scaled by `aws` (issue #12). Two real
 * dockerd engines listen on loopback addresses standing for private addresses (127.0.0.2 and
 * 127.0.0.3); the AWS test server hands those out, in launch order, as the private IPs of the
 * instances its Auto Scaling group launches, and the aws Driver's `address: tcp://{privateIp}:PORT`
 * makes each instance one Docker engine. The group starts with one instance; three agent instances
 * need two nodes: qm plans a scale-up, SetDesiredCapacity launches the second instance, the docker
 * driver finds its engine through DescribeAutoScalingGroups + DescribeInstances, the planned node
 * binds to it and the containers land there. Then the agent shrinks: what is left on the node the
 * plan drops is moved or removed first, then exactly that node's instance is terminated.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan, ScalePoolAction } from '../../src/model/plan.js';
import { tempRepo } from '../helpers/repo.js';
import type { TempRepo } from '../helpers/repo.js';
import type { Daemon } from '../drivers/docker-helpers.js';
import { dockerCli, freePortOn, removeRootfs, SKIP_DOCKER, startDaemons, stopDaemons } from '../drivers/docker-helpers.js';
import { AutoScalingServer } from './autoscaling-server.js';
import type { TestInstance } from './autoscaling-server.js';
import { awsEnv, qmAsync, TEST_SECRET } from './helpers.js';

const HOSTS = ['127.0.0.2', '127.0.0.3'];

const files = (port: number, replicas: number): Record<string, string> => ({
  'policies/drivers.yaml': `apiVersion: quartermaster.dev/v1alpha1
kind: Driver
metadata: {name: dock}
spec:
  type: docker
  docker: {network: none, stopGracePeriod: 1s}
---
apiVersion: quartermaster.dev/v1alpha1
kind: Driver
metadata: {name: aws-east}
spec:
  type: aws
  aws: {region: us-east-1, autoScalingGroup: "agents-{pool}", address: "tcp://{privateIp}:${port}", startTimeout: 60s}
`,
  'pools/work.yaml': `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: work}
spec:
  driver: dock
  provisioner: aws-east
  region: us-east-1
  zones: [us-east-1a]
  node: {capacity: {cpu: 2, memory: 1Gi}}
  size: {min: 1, max: 2}
`,
  'policies/work-scaling.yaml': `apiVersion: quartermaster.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: work}
spec:
  target: {kind: Pool, name: work}
  min: 1
  max: 2
  targetUtilizationPercent: 100
  scaleDownUnneededTime: 0s
  scaleDownUtilizationPercent: 60
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
    requests: {cpu: 1, memory: 64Mi}
  runtime: {image: "agent:local", command: ["sleep", "3600"]}
`,
  'agents/solo.yaml': `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: solo}
spec:
  owner: team
  replicas: 1
  resources:
    requests: {cpu: 1, memory: 64Mi}
  runtime: {image: "agent:local", command: ["sleep", "3600"]}
`,
});

let daemons: Daemon[] = [];
let aws: AutoScalingServer | undefined;
let repo: TempRepo | undefined;
let port = 0;
/** Managed containers on each engine when its instance was terminated (the plan must have emptied it). */
const atTermination: { instance: string; containers: string[] }[] = [];

/** Running managed containers of an engine: "instance@node", sorted. */
function managed(d: Daemon): string[] {
  const out = dockerCli(d, ['ps', '--filter', 'label=quartermaster.dev/instance', '--format', '{{.Label "quartermaster.dev/instance"}}@{{.Label "quartermaster.dev/node"}}']);
  return out.split('\n').filter(Boolean).sort();
}
const daemonOf = (i: TestInstance) => daemons[HOSTS.indexOf(i.privateIp)]!;

beforeAll(async () => {
  if (SKIP_DOCKER) return;
  // A free port rather than 2375: a real engine or a parallel run may hold it.
  port = await freePortOn(HOSTS);
  daemons = await startDaemons(2, { hosts: HOSTS.map((h) => [`tcp://${h}:${port}`]) });
  aws = new AutoScalingServer({
    privateIps: HOSTS,
    onTerminate: (i) => void atTermination.push({ instance: i.id, containers: managed(daemonOf(i)) }),
  });
  await aws.start();
  repo = await tempRepo();
}, 180_000);

afterAll(async () => {
  await aws?.stop();
  await stopDaemons(daemons);
  removeRootfs();
  await repo?.cleanup();
}, 120_000);

describe.skipIf(SKIP_DOCKER)('qm with a pool placed by docker and scaled by aws (real engines)', () => {
  it('scales up, discovers the new instance\'s engine by its private address, places on it, and terminates the emptied instance on scale-down', { timeout: 240_000 }, async () => {
    const group = aws!.addGroup('agents-work', { min: 1, max: 2, desired: 1, zones: ['us-east-1a'] });
    const first = group.instances[0]!;
    expect(first.privateIp).toBe('127.0.0.2');
    for (const [p, t] of Object.entries(files(port, 2))) await repo!.write(p, t);
    const env = { ...awsEnv(aws!.url), QM_STATE: path.join(repo!.dir, '.qm', 'state.db') };
    const outputs: string[] = [];
    const run = async (args: string[]) => {
      const r = await qmAsync(args, repo!.dir, env);
      outputs.push(r.stdout, r.stderr);
      return r;
    };

    // 1. Plan: the pool's one node is the group's instance (named by its id, at 127.0.0.2); three
    //    instances of 1 CPU on 2-CPU nodes need a second node.
    const plan1 = await run(['plan', '--out', 'up.json', '--format', 'json']);
    expect(plan1.code, plan1.stdout + plan1.stderr).toBe(0);
    const up = JSON.parse(await readFile(path.join(repo!.dir, 'up.json'), 'utf8')) as Plan;
    const scaleUp = up.actions.find((a): a is ScalePoolAction => a.type === 'scalePool')!;
    expect(scaleUp).toMatchObject({ pool: 'work', from: 1, to: 2 });
    expect(scaleUp.addNodes).toHaveLength(1);
    const places = up.actions.filter((a) => a.type === 'place');
    expect(places).toHaveLength(3);
    expect(places.some((a) => a.type === 'place' && a.node === first.id)).toBe(true);
    expect(up.warnings).toEqual([]);
    // Planning only reads: the provisioner checks the group's bounds, the docker driver lists its engines.
    expect(aws!.actions()).toEqual(['DescribeAutoScalingGroups', 'DescribeAutoScalingGroups', 'DescribeInstances']);
    expect(aws!.requests[2]!.params).toMatchObject({ 'Filter.1.Name': 'instance-id', 'Filter.1.Value.1': first.id });

    // 2. Apply: SetDesiredCapacity 2; the new instance (127.0.0.3) is found through
    //    DescribeInstances, its engine answers, the planned node binds to it, containers land there.
    aws!.requests.length = 0;
    const apply1 = await run(['apply', 'up.json']);
    expect(apply1.code, apply1.stdout + apply1.stderr).toBe(0);
    const second = group.instances[1]!;
    expect(second.privateIp).toBe('127.0.0.3');
    expect(apply1.stdout).toContain(`nodes registered as ${scaleUp.addNodes[0]} → ${second.id}`);
    const calls = aws!.actions();
    // The apply observes (and re-plans), reads the group, asks for 2, then waits for the new node:
    // the group read again and the new instance's address asked of EC2; its engine answers at once.
    expect(calls).toEqual(['DescribeAutoScalingGroups', 'DescribeAutoScalingGroups', 'DescribeInstances', 'DescribeAutoScalingGroups', 'SetDesiredCapacity', 'DescribeAutoScalingGroups', 'DescribeInstances']);
    const set = calls.indexOf('SetDesiredCapacity');
    expect(set).toBeGreaterThan(0);
    expect(calls.filter((c) => c === 'SetDesiredCapacity')).toHaveLength(1);
    expect(aws!.requests[set]!.params).toMatchObject({ AutoScalingGroupName: 'agents-work', DesiredCapacity: '2', HonorCooldown: 'false' });
    // After it: the group read again and the new instance's address asked of EC2.
    const afterSet = aws!.requests.slice(set + 1);
    expect(afterSet.map((r) => r.action)).toContain('DescribeAutoScalingGroups');
    expect(afterSet.some((r) => r.action === 'DescribeInstances' && Object.values(r.params).includes(second.id))).toBe(true);
    expect(calls).not.toContain('TerminateInstanceInAutoScalingGroup');
    const on1 = managed(daemons[0]!);
    const on2 = managed(daemons[1]!);
    expect(on1.length + on2.length).toBe(3);
    expect(on2.length).toBeGreaterThan(0);
    expect(on1.every((c) => c.endsWith(`@${first.id}`))).toBe(true);
    expect(on2.every((c) => c.endsWith(`@${second.id}`))).toBe(true);

    // 3. bot shrinks to one instance: bot-0 and solo-0 now fit on one node (and each node is under
    //    the 60 % scale-down threshold), so the plan consolidates: it removes bot-1, moves what is
    //    left on the node it drops, and then scales the pool down naming that node.
    await repo!.write('agents/bot.yaml', files(port, 1)['agents/bot.yaml']!);
    aws!.requests.length = 0;
    const plan2 = await run(['plan', '--out', 'down.json', '--format', 'json']);
    expect(plan2.code, plan2.stdout + plan2.stderr).toBe(0);
    const down = JSON.parse(await readFile(path.join(repo!.dir, 'down.json'), 'utf8')) as Plan;
    const scaleDown = down.actions.find((a): a is ScalePoolAction => a.type === 'scalePool')!;
    expect(scaleDown).toMatchObject({ pool: 'work', from: 2, to: 1 });
    expect(scaleDown.removeNodes).toHaveLength(1);
    const chosen = scaleDown.removeNodes[0]!;
    const kept = chosen === first.id ? second : first;
    const chosenInstance = chosen === first.id ? first : second;
    expect(down.actions.map((a) => a.type)).toEqual(['remove', 'move', 'scalePool']);
    expect(down.actions[1]).toMatchObject({ type: 'move', fromNode: chosen, toNode: kept.id });
    const emptying = down.actions.filter((a) => (a.type === 'remove' && a.node === chosen) || (a.type === 'move' && a.fromNode === chosen)).map((a) => a.id);
    expect(scaleDown.dependsOn ?? []).toEqual(expect.arrayContaining(emptying));

    aws!.requests.length = 0;
    const apply2 = await run(['apply', 'down.json']);
    expect(apply2.code, apply2.stdout + apply2.stderr).toBe(0);
    const terminations = aws!.requests.filter((r) => r.action === 'TerminateInstanceInAutoScalingGroup');
    expect(terminations.map((r) => [r.params.InstanceId, r.params.ShouldDecrementDesiredCapacity])).toEqual([[chosen, 'true']]);
    // Observe (and re-plan), then the moves on the engines (no AWS call: the engines are known), then the group read and the termination.
    expect(aws!.actions()).toEqual(['DescribeAutoScalingGroups', 'DescribeAutoScalingGroups', 'DescribeInstances', 'DescribeAutoScalingGroups', 'TerminateInstanceInAutoScalingGroup']);
    // The chosen instance's engine held none of qm's containers when it was terminated.
    expect(atTermination).toEqual([{ instance: chosenInstance.id, containers: [] }]);
    expect(group.instances.map((i) => i.id)).toEqual([kept.id]);
    expect(group.desired).toBe(1);
    expect(managed(daemonOf(kept))).toEqual(['bot-0', 'solo-0'].map((b) => `${b}@${kept.id}`));
    expect(managed(daemonOf(chosenInstance))).toEqual([]);

    // 4. Converged: nothing left to do; and the secret never appeared in any output.
    const plan3 = await run(['plan', '--detailed-exitcode']);
    expect(plan3.code, plan3.stdout + plan3.stderr).toBe(0);
    for (const o of outputs) expect(o).not.toContain(TEST_SECRET);
  });
});
