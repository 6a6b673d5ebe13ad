/**
 * The exec driver against real programs: the Python example plugin (driver and provisioner
 * conformance) and a deliberately broken plugin (every failure mode is one sentence naming the
 * program and the method, and leaves no process behind).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DriverError } from '../../src/drivers/contract.js';
import type { DriverContext } from '../../src/drivers/contract.js';
import { ExecDriverError } from '../../src/drivers/exec/driver.js';
import { conformancePolicy, describeDriverConformance } from './conformance.js';
import { describeProvisionerConformance } from './provisioner-conformance.js';
import { aliveAfterKill, BROKEN, execDriver, FILE_CLOUD, NO_PYTHON } from './exec-helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function stateDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'qm-exec-'));
  dirs.push(d);
  return d;
}

const policy = conformancePolicy('fc', [
  { path: 'drivers/fc.yaml', text: 'apiVersion: quartermaster.dev/v1alpha1\nkind: Driver\nmetadata: {name: fc}\nspec: {type: exec, exec: {command: [python3, examples/file-cloud/file_cloud.py]}}\n' },
]);

describeDriverConformance('exec (examples/file-cloud, Python)', async () => {
  const dir = await stateDir();
  return {
    driver: execDriver('fc', { command: ['python3', FILE_CLOUD, '--state', path.join(dir, 'cloud.json')] }),
    policy,
    cleanup: async () => undefined,
  };
}, { skip: NO_PYTHON });

describeProvisionerConformance('exec (examples/file-cloud, Python)', async () => {
  const dir = await stateDir();
  const driver = execDriver('fc', { command: ['python3', FILE_CLOUD], env: { FILE_CLOUD_STATE: path.join(dir, 'cloud.json') }, settings: { registerAfter: 2, maxNodes: 6 } });
  return {
    provisioner: driver,
    observer: driver,
    policy,
    registersLate: true,
    failingScale: (n) => ({ id: 'a1', type: 'scalePool', pool: 'work', from: n, to: 7, addNodes: Array.from({ length: 7 - n }, (_, i) => `work-${50 + i}`), removeNodes: [], reason: 'beyond the quota' }),
    cleanup: async () => undefined,
  };
}, { skip: NO_PYTHON });

const ctx: DriverContext = { policy, pools: policy.pools, now: '2026-11-28T10:00:00Z' };

async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  if (!(e instanceof Error)) throw new Error('expected a failure');
  return e;
}

describe.skipIf(NO_PYTHON)('exec driver: a broken plugin', () => {
  const broken = (mode: string, extra: Record<string, unknown> = {}, env: Record<string, string> = {}) =>
    execDriver('hetzner', { command: ['python3', BROKEN, mode], env, ...extra });

  it('that dies mid-request: one sentence with the exit code and its last stderr line; nothing left running', async () => {
    const d = broken('dies');
    const e = await failure(d.observe(ctx));
    expect(e).toBeInstanceOf(ExecDriverError);
    expect(e.message).toBe(`driver hetzner (python3 ${BROKEN}): observe failed: the program exited with code 3 (last line on stderr: "broken: lost the connection to the cloud")`);
    const pid = d.pid!;
    await d.close();
    expect(await aliveAfterKill(-pid)).toBe(false);
    // Later requests fail the same way rather than restarting it.
    expect((await failure(d.observe(ctx))).message).toMatch(/exited with code 3/);
  });

  it('that hangs: stopped after the timeout with its child process, naming the method', async () => {
    const dir = await stateDir();
    const pids = path.join(dir, 'pids');
    const d = broken('hangs', { timeout: '5s' }, { BROKEN_PIDS: pids });
    const e = await failure(d.observe(ctx));
    expect(e.message).toBe(`driver hetzner (python3 ${BROKEN}): observe failed: the program did not answer within 5s (spec.exec.timeout), so it was stopped`);
    expect((e as DriverError).hint).toMatch(/raise spec.exec.timeout/);
    await d.close();
    const started = (await readFile(pids, 'utf8')).trim().split('\n').map(Number);
    expect(started.length).toBe(2);
    for (const pid of started) expect(await aliveAfterKill(pid), `process ${pid}`).toBe(false);
  });

  it('that ignores SIGTERM and shutdown: killed on close', async () => {
    const dir = await stateDir();
    const pids = path.join(dir, 'pids');
    const d = broken('stubborn', {}, { BROKEN_PIDS: pids });
    expect((await d.health(ctx)).ok).toBe(true);
    await d.close();
    const started = (await readFile(pids, 'utf8')).trim().split('\n').map(Number);
    for (const pid of started) expect(await aliveAfterKill(pid), `process ${pid}`).toBe(false);
  });

  it('that writes a line that is not JSON: says which line and how long, never its content', async () => {
    const d = broken('garbage');
    const e = await failure(d.observe(ctx));
    expect(e.message).toBe(`driver hetzner (python3 ${BROKEN}): observe failed: the program wrote a line that is not JSON (line 2 of its output, 54 characters); it must write only JSON-RPC answers to stdout, and logs to stderr`);
    expect(e.message).not.toMatch(/secret-token/);
    await d.close();
  });

  it('that does not know a method', async () => {
    const d = broken('unknown');
    const e = await failure(d.observe(ctx));
    expect(e.message).toBe(`driver hetzner (python3 ${BROKEN}): observe failed: the program does not implement the method observe (JSON-RPC error -32601: method not found: observe)`);
    await d.close();
  });

  it('that answers an id nobody asked for', async () => {
    const d = broken('wrong-id');
    const e = await failure(d.observe(ctx));
    expect(e.message).toBe(`driver hetzner (python3 ${BROKEN}): observe failed: the program wrote an answer to request 102, which is not waiting (line 2 of its output)`);
    await d.close();
  });

  it('that exits at start: initialize fails with its stderr; health says so without throwing', async () => {
    const d = broken('exit-start');
    const h = await d.health(ctx);
    expect(h).toEqual({ ok: false, message: `driver hetzner (python3 ${BROKEN}): initialize failed: the program exited with code 1 (last line on stderr: "broken: cannot read config /etc/broken.conf")` });
    await d.close();
  });

  it('that does not exist, or needs an environment variable that is not set', async () => {
    const d = execDriver('hetzner', { command: ['./drivers/missing.py'] });
    expect((await failure(d.observe(ctx))).message).toBe(`driver hetzner (./drivers/missing.py): initialize failed: the program could not be started: ${path.resolve('drivers/missing.py')} does not exist`);
    await d.close();
    const e = execDriver('hetzner', { command: ['python3', BROKEN, 'ok'], env: { TOKEN: '${env:QM_TEST_NOT_SET_TOKEN}' } }, { env: {} });
    const err = await failure(e.observe(ctx));
    expect(err.message).toBe(`driver hetzner (python3 ${BROKEN}): initialize failed: spec.exec.env.TOKEN references the environment variable QM_TEST_NOT_SET_TOKEN, which is not set`);
    expect(e.pid).toBeUndefined();
  });

  it('answers an apply with a JSON-RPC error: host and hint from error.data', async () => {
    const d = broken('error');
    const e = await failure(d.apply({ id: 'a1', type: 'scalePool', pool: 'work', from: 2, to: 3, addNodes: ['work-9'], removeNodes: [], reason: 'test' }, { ...ctx, planId: 'p' }));
    expect(e).toBeInstanceOf(DriverError);
    expect((e as DriverError).host).toBe('region eu-1');
    expect((e as DriverError).hint).toBe('ask for more quota');
    expect(e.message).toBe(`driver hetzner (python3 ${BROKEN}): scale pool work from 2 to 3 on region eu-1 failed: the cloud refused: quota exceeded`);
    await d.close();
  });

  it('matches concurrent answers by id, whatever their order', async () => {
    const d = broken('reverse');
    const times = ['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z'];
    const results = await Promise.all(times.map((now) => d.observe({ ...ctx, now })));
    expect(results.map((r) => r.warnings)).toEqual(times.map((t) => [`driver hetzner: asked at ${t}`]));
    await d.close();
  });
});

describe.skipIf(NO_PYTHON)('exec driver: the example plugin', () => {
  it('logs the program\'s stderr prefixed with the driver name; observes the nodes it added with their providerId', async () => {
    const dir = await stateDir();
    const lines: string[] = [];
    const d = execDriver('fc', { command: ['python3', FILE_CLOUD, '--state', path.join(dir, 'c.json')] }, { log: (l) => lines.push(l) });
    const nodes = (await d.observe(ctx)).nodes;
    await d.apply({ id: 'a1', type: 'scalePool', pool: 'work', from: 2, to: 3, addNodes: ['work-2'], removeNodes: [], reason: 't' }, { ...ctx, planId: 'p', poolNodes: nodes });
    const after = await d.observe(ctx);
    expect(after.nodes.find((n) => n.name === 'work-2')).toMatchObject({ providerId: 'file-cloud:///work-2', capacity: { cpuMillis: 4000 } });
    await d.close();
    // stderr is read on its own stream: complete once the program exited.
    expect(lines).toEqual(['driver fc: pool work: 1 node(s) added, 0 removed']);
  });

  it('refuses an observe answer of the wrong shape, naming the field', async () => {
    const d = execDriver('hetzner', { command: ['python3', BROKEN, 'bad-answer'] });
    const e = await failure(d.observe(ctx));
    expect(e.message).toBe(`driver hetzner (python3 ${BROKEN}): observe failed: the program's answer is malformed: nodes[0].capacity.cpu is invalid: cpu 'lots' is not a quantity`);
    await d.close();
  });
});
