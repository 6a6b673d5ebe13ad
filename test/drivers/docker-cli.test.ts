/**
 * `qm plan / apply / reconcile` end to end on real Docker engines, as the README's "Run agents on
 * Docker" section has a newcomer do it: a Git repository whose pools list three nodes (three dockerd
 * daemons started here, stopped by PID), the real CLI in child processes. Containers appear, move
 * and disappear as the YAML changes; unmanaged containers survive every apply; a daemon killed
 * mid-apply gives an error naming the host and the action, and a re-run completes; drift (a
 * container removed by hand) is found and fixed by `qm reconcile --mode fix`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qm, QM, ROOT } from '../helpers/cli.js';
import { tempRepo } from '../helpers/repo.js';
import type { TempRepo } from '../helpers/repo.js';
import type { Daemon } from './docker-helpers.js';
import { dockerCli, IMAGE, killDaemon, removeRootfs, restartDaemon, SKIP_DOCKER, startDaemons, stopDaemons } from './docker-helpers.js';

let daemons: Daemon[] = [];
let repo: TempRepo | undefined;

beforeAll(async () => {
  if (SKIP_DOCKER) return;
  daemons = await startDaemons(3);
  for (const d of daemons) dockerCli(d, ['run', '-d', '--init', '--network', 'none', '--name', 'bystander', '--label', 'team=other', IMAGE, 'sleep', '3600']);
  repo = await tempRepo({ git: true });
}, 120_000);

afterAll(async () => {
  await stopDaemons(daemons);
  removeRootfs();
  await repo?.cleanup();
}, 120_000);

const pools = (edgeState = 'active') => `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: edge}
spec:
  driver: docker
  state: ${edgeState}
  node: {capacity: {cpu: 2, memory: 2Gi}}
  nodes:
    - {name: n0, address: "${daemons[0]!.address}"}
---
apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: core}
spec:
  driver: docker
  node: {capacity: {cpu: 2, memory: 2Gi}}
  nodes:
    - {name: n1, address: "${daemons[1]!.address}"}
    - {name: n2, address: "${daemons[2]!.address}"}
`;

const agent = (name: string, replicas: number, pools: string, extra = '') => `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: ${name}, labels: {app: ${name}}}
spec:
  owner: team-a
  replicas: ${replicas}
  resources:
    requests: {cpu: 250m, memory: 64Mi}
  placement:
    pools: [${pools}]
${extra}  runtime:
    image: "agent:local"
    command: ["sleep", "3600"]
`;

/** Spread an agent's instances over nodes, so a kill of one engine hits some of them. */
const SPREAD = `    topologySpread: [{topologyKey: node, maxSkew: 1, whenUnsatisfiable: DoNotSchedule}]
`;

async function commit(files: Record<string, string | null>): Promise<void> {
  for (const [p, t] of Object.entries(files)) {
    if (t === null) await repo!.git.rm(['-q', p]);
    else await repo!.write(p, t);
  }
  await repo!.commit('change');
}

const run = (args: string[]) => qm(args, { cwd: repo!.dir });

/** Managed containers over all daemons: "instance@node" of running ones, sorted. */
function fleet(): string[] {
  const out: string[] = [];
  daemons.forEach((d) => {
    const lines = dockerCli(d, ['ps', '--filter', 'label=quartermaster.dev/instance', '--format', '{{.Label "quartermaster.dev/instance"}}@{{.Label "quartermaster.dev/node"}}']);
    out.push(...lines.split('\n').filter(Boolean));
  });
  return out.sort();
}

function bystandersRunning(): boolean[] {
  return daemons.map((d) => dockerCli(d, ['inspect', '-f', '{{.State.Running}}', 'bystander']).trim() === 'true');
}

describe.skipIf(SKIP_DOCKER)('qm on real Docker engines', { timeout: 120_000 }, () => {
  it('applies a fleet: real containers with the plan\'s limits appear on the chosen engines', async () => {
    await commit({ 'pools/pools.yaml': pools(), 'agents/chat.yaml': agent('chat', 2, 'edge') });
    const plan = run(['plan', '--format', 'json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).summary).toMatchObject({ place: 2, move: 0, blocked: 0 });
    const applied = run(['apply', '--auto-approve']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stderr).toMatch(/started 2 containers: unix:\/\/\/tmp\/qmd-\S+ 2 in [\d.]+s/);
    expect(fleet()).toEqual(['chat-0@n0', 'chat-1@n0']);
    const limits = dockerCli(daemons[0]!, ['inspect', '-f', '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{index .Config.Labels "quartermaster.dev/plan"}}', 'chat-0']).trim();
    expect(limits).toMatch(/^250000000 67108864 sha256:[0-9a-f]{64}$/);
    expect(bystandersRunning()).toEqual([true, true, true]);
    const again = run(['plan', '--detailed-exitcode']);
    expect(again.code, again.stdout).toBe(0);
  });

  it('moves an instance when its pool drains, keeping the agent running throughout', async () => {
    await commit({ 'pools/pools.yaml': pools('draining'), 'agents/chat.yaml': agent('chat', 2, 'edge, core') });
    const plan = JSON.parse(run(['plan', '--format', 'json']).stdout) as { actions: { type: string; instance: string; toNode: string }[] };
    const move = plan.actions.find((a) => a.type === 'move')!;
    expect(move).toBeDefined();
    const child = spawn(process.execPath, [QM, 'apply', '--auto-approve'], { cwd: repo!.dir, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    let done = false;
    void exited.then(() => (done = true));
    const seen: number[] = [];
    while (!done) {
      seen.push(fleet().filter((x) => x.startsWith(`${move.instance}@`)).length);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await exited, output).toBe(0);
    expect(Math.min(...seen), `copies of ${move.instance} seen while applying: ${seen.join(',')}`).toBeGreaterThanOrEqual(1);
    expect(fleet()).toContain(`${move.instance}@${move.toNode}`);
    expect(fleet().filter((x) => x.startsWith(`${move.instance}@`))).toHaveLength(1);
    expect(bystandersRunning()).toEqual([true, true, true]);
  });

  it('finds drift (a container removed by hand) and fixes it with qm reconcile --mode fix', async () => {
    await commit({ 'pools/pools.yaml': pools(), 'agents/chat.yaml': agent('chat', 2, 'edge, core') });
    const [victim] = fleet();
    const [instance, node] = victim!.split('@') as [string, string];
    const d = daemons[Number(node.slice(1))]!;
    dockerCli(d, ['rm', '-f', dockerCli(d, ['ps', '-q', '--filter', `label=quartermaster.dev/instance=${instance}`]).trim()]);
    const report = run(['reconcile', '--mode', 'report']);
    expect(report.code).toBe(1);
    expect(report.stdout + report.stderr).toContain(`instance ${instance} is missing`);
    const fix = run(['reconcile', '--mode', 'fix']);
    expect(fix.code, fix.stdout + fix.stderr).toBe(0);
    expect(fleet().filter((x) => x.startsWith(`${instance}@`))).toHaveLength(1);
    expect(run(['reconcile', '--mode', 'report']).code).toBe(0);
    expect(bystandersRunning()).toEqual([true, true, true]);
  });

  it('reports a daemon killed mid-apply naming the host and the action; a re-run completes', async () => {
    await commit({ 'agents/batch.yaml': agent('batch', 8, 'core', SPREAD) });
    const plan = JSON.parse(run(['plan', '--format', 'json']).stdout) as { actions: { type: string; node: string }[] };
    expect(plan.actions.filter((a) => a.type === 'place' && a.node === 'n2').length).toBeGreaterThanOrEqual(3);
    // One action at a time; kill the engine of n2 once the first container has started there.
    const child = spawn(process.execPath, [QM, 'apply', '--auto-approve', '--concurrency', '1'], { cwd: repo!.dir, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' } });
    let output = '';
    let killed = false;
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
      if (!killed && /✓ a\d+ place batch-\d+ on n2/.test(output)) {
        killed = true;
        killDaemon(daemons[2]!);
      }
    });
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
    expect(killed, output).toBe(true);
    expect(code, output).toBe(1);
    expect(output).toMatch(new RegExp(`✗ a\\d+ place batch-\\d+ on n2: driver docker: place batch-\\d+ on n2 on ${daemons[2]!.address.replace(/[/.]/g, '\\$&')} \\(node n2\\) failed: cannot reach the docker engine`));

    // While it is down: planning still works, naming the host, and n2 is not ready.
    const down = run(['plan']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain(`docker engine ${daemons[2]!.address} is unreachable`);

    await restartDaemon(daemons[2]!);
    const rerun = run(['apply', '--auto-approve']);
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    const settled = run(['plan', '--detailed-exitcode']);
    expect(settled.code, settled.stdout).toBe(0);
    const batch = fleet().filter((x) => x.startsWith('batch-'));
    expect(batch.map((x) => x.split('@')[0]).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `batch-${i}`).sort());
    // The crash stopped the engine's unmanaged container, but nothing of Quartermaster's removed it.
    expect(bystandersRunning()).toEqual([true, true, false]);
    dockerCli(daemons[2]!, ['start', 'bystander']);
  });

  it('removes the containers when agents go away, and never the unmanaged ones', async () => {
    await commit({ 'agents/chat.yaml': null, 'agents/batch.yaml': null });
    const applied = run(['apply', '--auto-approve']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(fleet()).toEqual([]);
    for (const d of daemons) expect(dockerCli(d, ['ps', '-aq', '--filter', 'label=quartermaster.dev/instance']).trim()).toBe('');
    expect(bystandersRunning()).toEqual([true, true, true]);
  });
});

describe.skipIf(SKIP_DOCKER)('the README section "Run agents on Docker"', { timeout: 120_000 }, () => {
  it('works as written: containers appear, move and disappear as the YAML changes', async () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Run agents on Docker'), readme.indexOf('## A tour of the kinds'));
    const demo = await tempRepo();
    try {
      const files = [...section.matchAll(/```yaml\n# (\S+)[^\n]*\n([\s\S]*?)```/g)];
      expect(files.map((m) => m[1])).toEqual(['pools/local.yaml', 'agents/hello.yaml', 'policies/profile.yaml']);
      for (const [, file, text] of files) await demo.write(file!, text!);
      // "docker pull busybox", without a registry: the busybox rootfs image under that name.
      const d = daemons[0]!;
      dockerCli(d, ['tag', IMAGE, 'busybox']);
      const env = { DOCKER_HOST: d.address, GREETING: 'hi' };
      const step = (args: string[]) => {
        const r = qm(args, { cwd: demo.dir, env });
        expect(r.code, r.stdout + r.stderr).toBe(0);
        return r;
      };
      const hello = () => dockerCli(d, ['ps', '--filter', 'label=quartermaster.dev/agent=hello', '--format', '{{.Names}}@{{.Label "quartermaster.dev/node"}}']).split('\n').filter(Boolean).sort();
      step(['apply', '--auto-approve']);
      expect(hello().map((x) => x.split('@')[0])).toEqual(['hello-0', 'hello-1']);
      expect(dockerCli(d, ['inspect', '-f', '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.Config.Env}}', 'hello-0'])).toMatch(/^250000000 67108864 \[GREETING=hi\]/);
      await demo.write('agents/hello.yaml', files[1]![2]!.replace('replicas: 2', 'replicas: 3'));
      step(['apply', '--auto-approve']);
      expect(hello()).toHaveLength(3);
      // A changed template (command, memory) rolls out: every container recreated with it, then no changes.
      await demo.write('agents/hello.yaml', files[1]![2]!.replace('replicas: 2', 'replicas: 3').replace('"86400"', '"86401"').replace('memory: 64Mi', 'memory: 96Mi'));
      step(['apply', '--auto-approve']);
      for (const name of ['hello-0', 'hello-1', 'hello-2']) expect(dockerCli(d, ['inspect', '-f', '{{.HostConfig.Memory}} {{.Config.Cmd}}', name])).toMatch(/^100663296 \[sleep 86401\]/);
      expect(qm(['plan', '--detailed-exitcode'], { cwd: demo.dir, env }).code).toBe(0);
      await demo.write('agents/hello.yaml', files[1]![2]!.replace('replicas: 2', 'replicas: 3').replace('"86400"', '"86401"').replace('memory: 64Mi', 'memory: 96Mi'));
      await demo.write('pools/local.yaml', files[0]![2]!.replace('  driver: docker\n', '  driver: docker\n  state: draining\n'));
      step(['apply', '--auto-approve']);
      expect(hello()).toEqual(['hello-0@green-1', 'hello-1@green-1', 'hello-2@green-1']);
      await demo.write('agents/hello.yaml', files[1]![2]!.replace('replicas: 2', 'replicas: 0'));
      step(['apply', '--auto-approve']);
      expect(hello()).toEqual([]);
      expect(bystandersRunning()).toEqual([true, true, true]);
    } finally {
      dockerCli(daemons[0]!, ['rmi', 'busybox']);
      await demo.cleanup();
    }
  });
});
