/**
 * The exec driver through the real CLI (bin/qm.js → dist/, `npm run build` first): the Python
 * example plugin end to end (plan → apply → plan --detailed-exitcode 0, with a scale-up), and a
 * deliberately broken plugin: exit code 1, one sentence naming the program, no stack trace, and no
 * process left behind once qm exited.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QM, qm } from '../helpers/cli.js';
import { tempRepo } from '../helpers/repo.js';
import type { TempRepo } from '../helpers/repo.js';
import { aliveAfterKill, BROKEN, FILE_CLOUD, NO_PYTHON } from './exec-helpers.js';

const POOL = `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: work}
spec:
  driver: DRIVER
  zones: [z-a, z-b]
  node:
    capacity: {cpu: 4, memory: 8Gi}
  size: {min: 1, max: 4, initial: 1}
`;
const AGENT = `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: bot}
spec:
  owner: team
  replicas: 3
  resources:
    requests: {cpu: 2, memory: 1Gi}
`;
const SCALING = `apiVersion: quartermaster.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: work}
spec:
  target: {kind: Pool, name: work}
  min: 1
  max: 4
`;

function driverYaml(name: string, command: string[], extra = ''): string {
  return `apiVersion: quartermaster.dev/v1alpha1
kind: Driver
metadata: {name: ${name}}
spec:
  type: exec
  exec:
    command: ${JSON.stringify(command)}
${extra}`;
}

const repos: TempRepo[] = [];
afterAll(async () => {
  for (const r of repos) await r.cleanup();
});

async function fleet(driver: string, command: string[], extra = ''): Promise<TempRepo> {
  const r = await tempRepo({ git: true });
  repos.push(r);
  await r.write('pools/work.yaml', POOL.replace('DRIVER', driver));
  await r.write('pools/drivers.yaml', driverYaml(driver, command, extra));
  await r.write('agents/bot.yaml', AGENT);
  await r.write('policies/scaling.yaml', SCALING);
  await r.write('.gitignore', '.qm/\ncloud.json\nplan.json\npids\n');
  await r.commit('fleet');
  return r;
}

describe.skipIf(NO_PYTHON)('qm with the exec example plugin (examples/file-cloud)', () => {
  it('plan → apply → plan --detailed-exitcode 0, scaling the pool up; a relative command resolves against the repository', async () => {
    const r = await fleet('fc', ['./drivers/file_cloud.py', '--state', 'cloud.json']);
    await mkdir(path.join(r.dir, 'drivers'), { recursive: true });
    await copyFile(FILE_CLOUD, path.join(r.dir, 'drivers/file_cloud.py'));
    await r.commit('plugin');
    // Run from elsewhere: the command and the state file are found through the repository root.
    const plan = qm(['plan', r.dir, '--out', path.join(r.dir, 'plan.json')], { cwd: '/' });
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/scale up pool work 1 → 2 nodes: \+work-1/);
    const apply = qm(['apply', path.join(r.dir, 'plan.json')], { cwd: r.dir });
    expect(apply.code).toBe(0);
    expect(apply.stdout).toMatch(/Apply complete: 4 succeeded, 0 failed/);
    expect(apply.stderr).toBe('driver fc: pool work: 1 node(s) added, 0 removed\n');
    const cloud = JSON.parse(await readFile(path.join(r.dir, 'cloud.json'), 'utf8')) as { nodes: { name: string }[]; instances: { name: string; node: string }[] };
    expect(cloud.nodes.map((n) => n.name)).toEqual(['work-0', 'work-1']);
    expect(cloud.instances.map((i) => i.name).sort()).toEqual(['bot-0', 'bot-1', 'bot-2']);
    const again = qm(['plan', '--detailed-exitcode'], { cwd: r.dir });
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
  });
});

describe.skipIf(NO_PYTHON)('qm with a broken exec plugin', () => {
  const program = `python3 ${BROKEN}`;
  const cases: [mode: string, sentence: RegExp][] = [
    ['dies', /^qm: driver hetzner \(python3 \S+broken_plugin\.py\): observe failed: the program exited with code 3 \(last line on stderr: "broken: lost the connection to the cloud"\) \(serving pools work\)$/],
    ['hangs', /^qm: driver hetzner \(python3 \S+broken_plugin\.py\): observe failed: the program did not answer within 3s \(spec\.exec\.timeout\), so it was stopped \(serving pools work\)$/],
    ['garbage', /^qm: driver hetzner \(python3 \S+broken_plugin\.py\): observe failed: the program wrote a line that is not JSON \(line 2 of its output, 54 characters\); it must write only JSON-RPC answers to stdout, and logs to stderr \(serving pools work\)$/],
    ['unknown', /^qm: driver hetzner \(python3 \S+broken_plugin\.py\): observe failed: the program does not implement the method observe \(JSON-RPC error -32601: method not found: observe\) \(serving pools work\)$/],
    ['exit-start', /^qm: driver hetzner \(python3 \S+broken_plugin\.py\): initialize failed: the program exited with code 1 \(last line on stderr: "broken: cannot read config \/etc\/broken\.conf"\) \(serving pools work\)$/],
  ];

  for (const [mode, sentence] of cases) {
    const what = { dies: 'dies mid-request', hangs: 'hangs', garbage: 'prints garbage', unknown: 'does not know observe', 'exit-start': 'exits at start' }[mode];
    it(`qm plan with a plugin that ${what}: exit 1, one sentence naming the program, nothing left running`, async () => {
      const r = await fleet('hetzner', ['python3', BROKEN, mode], '    timeout: 3s\n    env: {BROKEN_PIDS: pids}\n');
      const res = qm(['plan'], { cwd: r.dir });
      expect(res.code).toBe(1);
      const lines = res.stderr.split('\n').filter((l) => l && !l.startsWith('driver hetzner: '));
      expect(lines[0]).toMatch(sentence);
      expect(lines[0]).toContain(program);
      expect(lines.slice(1).every((l) => l.startsWith('hint: '))).toBe(true);
      expect(res.stderr).not.toMatch(/\n\s+at |secret-token/);
      const pids = (await readFile(path.join(r.dir, 'pids'), 'utf8')).trim().split('\n').map(Number);
      expect(pids.length).toBeGreaterThan(0);
      for (const pid of pids) expect(await aliveAfterKill(pid), `process ${pid} of mode ${mode}`).toBe(false);
    });
  }

  it('qm apply with a plugin that dies mid-apply: exit 1, the failed action names the program, nothing left running', async () => {
    const r = await fleet('hetzner', ['python3', BROKEN, 'dies-apply'], '    env: {BROKEN_PIDS: pids}\n');
    const plan = qm(['plan', '--out', 'plan.json'], { cwd: r.dir });
    expect(plan.code).toBe(0);
    const res = qm(['apply', 'plan.json', '--concurrency', '1'], { cwd: r.dir });
    expect(res.code).toBe(1);
    const out = res.stdout + res.stderr;
    expect(out).toMatch(/driver hetzner \(python3 \S+broken_plugin\.py\): apply \(place bot-0 on work-0\) failed: the program exited with code 3 \(last line on stderr: "broken: the cloud API closed the connection"\)/);
    expect(out).not.toMatch(/\n\s+at /);
    const pids = (await readFile(path.join(r.dir, 'pids'), 'utf8')).trim().split('\n').map(Number);
    for (const pid of pids) expect(await aliveAfterKill(pid), `process ${pid}`).toBe(false);
  });

  it('qm plan interrupted (SIGTERM) while the plugin hangs: qm dies of the signal and takes the plugin with it', async () => {
    const r = await fleet('hetzner', ['python3', BROKEN, 'hangs'], '    env: {BROKEN_PIDS: pids}\n');
    const child = spawn(process.execPath, [QM, 'plan'], { cwd: r.dir, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // Wait (bounded) until the plugin and its child run, then interrupt qm.
    let pids: number[] = [];
    for (let i = 0; i < 200 && pids.length < 2; i++) {
      await new Promise((res) => setTimeout(res, 100));
      pids = await readFile(path.join(r.dir, 'pids'), 'utf8').then((t) => t.trim().split('\n').map(Number), () => []);
    }
    expect(pids.length).toBe(2);
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    for (const pid of pids) expect(await aliveAfterKill(pid), `process ${pid}`).toBe(false);
  });
});
