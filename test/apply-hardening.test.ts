/**
 * qm apply under the faults of the hardening issue (#16): SIGTERM, a lost lock, a crash mid-apply,
 * a forged plan. The real CLI in child processes, a real Git repository, the sim driver (slowed
 * with QM_SIM_DELAY_MS) on a real SQLite state store.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { qm, QM, ROOT } from './helpers/cli.js';
import { tempRepo } from './helpers/repo.js';
import type { TempRepo } from './helpers/repo.js';
import { openStateStore } from '../src/state/index.js';
import type { AppliedPlanRecord } from '../src/state/index.js';
import { planIdOf } from '../src/planner/plan.js';
import type { Plan, PlaceAction } from '../src/model/plan.js';

const POOLS = `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: general}
spec:
  zones: [z-a, z-b]
  node:
    capacity: {cpu: 4, memory: 16Gi}
  size: {min: 2, max: 6, initial: 2}
`;

const chat = (replicas: number) => `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: chat, labels: {app: chat}}
spec:
  owner: team-a
  replicas: ${replicas}
  resources:
    requests: {cpu: 0.5, memory: 1Gi}
  placement:
    pools: [general]
`;

let repos: TempRepo[] = [];
let children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children = [];
  await Promise.all(repos.map((r) => r.cleanup()));
  repos = [];
});

async function fleet(replicas = 6): Promise<TempRepo> {
  const r = await tempRepo({ git: true });
  repos.push(r);
  await r.write('pools/pools.yaml', POOLS);
  await r.write('agents/chat.yaml', chat(replicas));
  await r.commit('fleet');
  return r;
}

const run = (r: TempRepo, args: string[]) => qm(args, { cwd: r.dir });
const db = (r: TempRepo) => path.join(r.dir, '.qm/state.db');

/** A slow apply in a child process; `until(n)` resolves once n actions are done (✓ lines). */
function slowApply(r: TempRepo, args: string[]) {
  const child = spawn(process.execPath, [QM, 'apply', ...args, '--concurrency', '1'], { cwd: r.dir, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', QM_SIM_DELAY_MS: '400' } });
  children.push(child);
  let out = '';
  let err = '';
  const waiters: { n: number; resolve: () => void }[] = [];
  const done = () => (out.match(/^✓/gm) ?? []).length;
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    for (const w of waiters.filter((x) => done() >= x.n)) w.resolve();
  });
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return {
    child,
    until: (n: number) => new Promise<void>((resolve) => (done() >= n ? resolve() : waiters.push({ n, resolve }))),
    closed,
    out: () => out,
    err: () => err,
  };
}

async function latestAudit(r: TempRepo): Promise<AppliedPlanRecord | undefined> {
  const store = await openStateStore(db(r));
  try {
    return (await store.audit.latest(1))[0];
  } finally {
    await store.close();
  }
}

async function locks(r: TempRepo) {
  const store = await openStateStore(db(r));
  try {
    return await store.locks.list();
  } finally {
    await store.close();
  }
}

type Results = { id: string; status: string; message: string }[];

describe('SIGTERM is handled like SIGINT', () => {
  it('finishes the action in flight, starts nothing new, records the apply and releases the lock', async () => {
    const r = await fleet();
    const apply = slowApply(r, ['--auto-approve']);
    await apply.until(1);
    apply.child.kill('SIGTERM');
    const { code, signal } = await apply.closed;
    expect(signal).toBeNull();
    expect(code).toBe(1);
    expect(apply.err()).toMatch(/interrupted: finishing the actions in flight, starting no new ones \(SIGTERM\)/);
    const rec = await latestAudit(r);
    expect(rec?.status).toBe('partial');
    const results = rec!.results as Results;
    expect(results.filter((x) => x.status === 'ok').length).toBeGreaterThanOrEqual(1);
    expect(results.filter((x) => x.status === 'cancelled').length).toBeGreaterThanOrEqual(1);
    expect(results.find((x) => x.status === 'cancelled')!.message).toBe('not started: the apply was interrupted');
    expect(await locks(r)).toEqual([]);
    const status = JSON.parse(run(r, ['status', '--format', 'json']).stdout) as { lastApply: { status: string } };
    expect(status.lastApply.status).toBe('partial');
  });

  it('a second signal exits at once after saying what it leaves behind; status then shows the apply interrupted', async () => {
    const r = await fleet();
    const apply = slowApply(r, ['--auto-approve']);
    await apply.until(1);
    apply.child.kill('SIGTERM');
    await new Promise((res) => setTimeout(res, 50));
    apply.child.kill('SIGTERM');
    const { code } = await apply.closed;
    expect(code).toBe(143);
    expect(apply.err()).toMatch(/qm: SIGTERM again: exiting now; the apply lock ([0-9a-f]{16}) stays held until it expires \(or: qm force-unlock \1\)/);
    const status = run(r, ['status']);
    expect(status.stdout).toMatch(/Last apply\n {2}interrupted /);
    expect(status.stdout).toMatch(/its holder \(pid \d+ on this host\) is no longer running: qm force-unlock [0-9a-f]{16}/);
  });
});

describe('a lost apply lock stops the apply', () => {
  it('force-unlocked mid-apply: the actions left are cancelled naming the lost lock, exit 1', async () => {
    const r = await fleet();
    const apply = slowApply(r, ['--auto-approve']);
    await apply.until(1);
    const [lock] = await locks(r);
    expect(lock?.name).toBe('apply');
    expect(run(r, ['force-unlock', lock!.id]).code).toBe(0);
    const { code } = await apply.closed;
    expect(code).toBe(1);
    const done = (apply.out().match(/^✓/gm) ?? []).length;
    expect(done).toBeLessThan(6);
    expect(apply.out()).toMatch(new RegExp(`not started: this apply lost the state store's apply lock ${lock!.id}: it was released by someone else \\(qm force-unlock\\) or expired`));
    expect(apply.err()).toMatch(/^qm: this apply lost the state store's apply lock [0-9a-f]{16}: .*; the actions not started were cancelled and another apply may be changing the fleet: run qm status, then qm plan again\n$/m);
    const rec = await latestAudit(r);
    const results = rec!.results as Results;
    expect(results.filter((x) => x.status === 'ok')).toHaveLength(done);
    expect(results.filter((x) => x.status === 'cancelled')).toHaveLength(6 - done);
    const instances = (JSON.parse(run(r, ['status', '--format', 'json']).stdout) as { instances: unknown[] }).instances;
    expect(instances).toHaveLength(done);
  });

  it('paused past its expiry and taken over by another holder: it stops at once and leaves the new lock alone', async () => {
    const r = await fleet();
    const apply = slowApply(r, ['--auto-approve']);
    await apply.until(1);
    apply.child.kill('SIGSTOP');
    // Another process, an hour later by its clock: the paused apply's lock has expired and is taken over.
    const later = await openStateStore(db(r), { now: () => new Date(Date.now() + 3_600_000) });
    let other: string;
    try {
      const got = await later.locks.acquire('apply', 'ci-runner-9 (pid 4242)', 3 * 3600);
      expect(got.ok && got.replaced !== undefined).toBe(true);
      other = got.ok ? got.lock.id : '';
    } finally {
      await later.close();
    }
    apply.child.kill('SIGCONT');
    const { code } = await apply.closed;
    expect(code).toBe(1);
    expect(apply.err()).toMatch(new RegExp(`lost the state store's apply lock [0-9a-f]{16}: it expired and ci-runner-9 \\(pid 4242\\) took it over \\(lock id ${other}\\)`));
    const done = (apply.out().match(/^✓/gm) ?? []).length;
    expect(done).toBeLessThanOrEqual(2); // the one in flight when paused may finish; nothing starts after
    expect((await locks(r)).map((l) => l.id)).toEqual([other]);
    const results = (await latestAudit(r))!.results as Results;
    expect(results.filter((x) => x.status === 'cancelled').length).toBe(6 - done);
  });
});

describe('an interrupted apply leaves a trace', () => {
  it('kill -9 mid-apply: qm status and qm explain say the apply was interrupted', async () => {
    const r = await fleet();
    expect(run(r, ['plan', '--out', 'plan.json']).code).toBe(0);
    const apply = slowApply(r, ['plan.json']);
    await apply.until(2);
    apply.child.kill('SIGKILL');
    expect((await apply.closed).signal).toBe('SIGKILL');
    const first = /^✓ a\d+ place (chat-\d+) on (general-\d+)/m.exec(apply.out());
    expect(first).not.toBeNull();
    const plan = JSON.parse(await readFile(path.join(r.dir, 'plan.json'), 'utf8')) as Plan;
    // Explain first: qm status plans (for drift) and records that plan's decisions too.
    const done = run(r, ['explain', first![1]!]);
    expect(done.stdout).toMatch(new RegExp(`placed on ${first![2]} by plan sha256:\\w+…, applied \\S+.* \\(by an apply that was interrupted before it finished\\)`));
    const placed = new Set([...apply.out().matchAll(/^✓ a\d+ place (chat-\d+)/gm)].map((m) => m[1]));
    const notDone = plan.actions.find((a): a is PlaceAction => a.type === 'place' && !placed.has(a.instance))!;
    const pending = run(r, ['explain', notDone.instance]);
    expect(pending.stdout).toMatch(/not applied \(its apply was interrupted before this action was recorded as done\)/);
    const status = run(r, ['status']);
    expect(status.stdout).toMatch(/Last apply\n {2}interrupted \S+ by \S+ \(pid \d+\) {2}plan sha256:/);
    expect(status.stdout).toMatch(/it stopped before finishing/);
    const json = JSON.parse(run(r, ['status', '--format', 'json']).stdout) as { lastApply: { status: string; planId: string } };
    expect(json.lastApply).toMatchObject({ status: 'interrupted', planId: plan.planId });
  });
});

describe('a forged plan is refused', () => {
  it('an action added to a saved plan, counts and planId fixed, is refused naming it; the genuine plan applies', async () => {
    const r = await fleet(3);
    expect(run(r, ['plan', '--out', 'plan.json']).code).toBe(0);
    const file = path.join(r.dir, 'plan.json');
    const genuine = await readFile(file, 'utf8');
    const plan = JSON.parse(genuine) as Plan;
    const place = plan.actions.find((a): a is PlaceAction => a.type === 'place')!;
    const id = `a${plan.actions.length + 1}`;
    plan.actions.push({ ...place, id, instance: 'chat-7' });
    plan.summary.place += 1;
    const { planId: _old, ...body } = plan;
    plan.planId = planIdOf(body);
    await writeFile(file, JSON.stringify(plan, null, 2));
    const res = run(r, ['apply', 'plan.json']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`qm: action ${id} (place chat-7 on ${place.node}) is not one the planner makes from this plan's inputs; the plan is refused`);
    expect(await latestAudit(r)).toBeUndefined();
    await writeFile(file, genuine);
    const ok = run(r, ['apply', 'plan.json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Apply complete: 3 succeeded/);
  });

  it('a removal swapped in for a placement is refused', async () => {
    const r = await fleet(2);
    expect(run(r, ['apply', '--auto-approve']).code).toBe(0);
    await r.write('agents/chat.yaml', chat(3));
    await r.commit('3 replicas');
    expect(run(r, ['plan', '--out', 'plan.json']).code).toBe(0);
    const file = path.join(r.dir, 'plan.json');
    const plan = JSON.parse(await readFile(file, 'utf8')) as Plan;
    const status = JSON.parse(run(r, ['status', '--format', 'json']).stdout) as { instances: { name: string; node: string }[] };
    const victim = status.instances.find((i) => i.name === 'chat-0')!;
    // The scope is left as it was: its fingerprint still matches the fleet, so only the re-plan can tell.
    plan.actions = [{ id: 'a1', type: 'remove', instance: 'chat-0', agent: 'chat', node: victim.node, reason: 'not declared' }];
    plan.summary = { ...plan.summary, place: 0, remove: 1 };
    const { planId: _old, ...body } = plan;
    plan.planId = planIdOf(body);
    await writeFile(file, JSON.stringify(plan, null, 2));
    const res = run(r, ['apply', 'plan.json']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`qm: action a1 (remove chat-0 from ${victim.node}) is not one the planner makes from this plan's inputs`);
    expect((JSON.parse(run(r, ['status', '--format', 'json']).stdout) as { instances: unknown[] }).instances).toHaveLength(2);
  });

  it('genuine plans of the example fleet apply: a predictive scale-up planned with --now', async () => {
    const r = await tempRepo({ git: true });
    repos.push(r);
    for (const d of ['pools', 'agents', 'policies', 'metrics']) await cp(path.join(ROOT, d), path.join(r.dir, d), { recursive: true });
    await r.commit('example fleet');
    expect(run(r, ['plan', '--now', '2026-11-27T10:00:00Z', '--out', 'plan.json']).code).toBe(0);
    const plan = JSON.parse(await readFile(path.join(r.dir, 'plan.json'), 'utf8')) as Plan;
    expect(plan.actions.some((a) => a.type === 'scalePool' && a.reason.startsWith('predictive'))).toBe(true);
    const res = run(r, ['apply', 'plan.json']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`Apply complete: ${plan.actions.length} succeeded`));
  });
});
