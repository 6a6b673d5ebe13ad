/**
 * Plan → apply end to end, as a user runs it: the real CLI in child processes, a real Git repository,
 * the built-in sim driver on a real SQLite state store. Covers the faults of the plan → apply issue.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { qm, QM } from './helpers/cli.js';
import { tempRepo } from './helpers/repo.js';
import type { TempRepo } from './helpers/repo.js';
import { openStateStore, StoreFailure } from '../src/state/index.js';
import type { Lock, StateStore } from '../src/state/index.js';

const NOW = '2026-11-28T10:00:00Z';

const POOLS = `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: general}
spec:
  zones: [z-a, z-b]
  node:
    capacity: {cpu: 4, memory: 16Gi}
  size: {min: 2, max: 6, initial: 2}
---
apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: batch}
spec:
  node:
    capacity: {cpu: 8, memory: 32Gi}
  size: {min: 1, max: 3, initial: 1}
`;

function agent(name: string, replicas: number, pool: string, cpu = 1): string {
  return `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: ${name}, labels: {app: ${name}}}
spec:
  owner: team-a
  replicas: ${replicas}
  resources:
    requests: {cpu: ${cpu}, memory: 1Gi}
  placement:
    pools: [${pool}]
`;
}

let repos: TempRepo[] = [];
afterEach(async () => {
  await Promise.all(repos.map((r) => r.cleanup()));
  repos = [];
});

async function fleet(files: Record<string, string> = {}): Promise<TempRepo> {
  const r = await tempRepo({ git: true });
  repos.push(r);
  await r.write('pools/pools.yaml', POOLS);
  await r.write('agents/chat.yaml', agent('chat', 3, 'general'));
  await r.write('agents/etl.yaml', agent('etl', 2, 'batch'));
  for (const [p, t] of Object.entries(files)) await r.write(p, t);
  await r.commit('fleet');
  return r;
}

const run = (r: TempRepo, args: string[], env: Record<string, string> = {}) => qm(args, { cwd: r.dir, env });

/**
 * Keep a running `qm apply` paused (SIGSTOP) at a moment it holds the apply lock and is not inside
 * an SQLite write: paused mid-write, it would keep the database write-locked and every other writer
 * would wait out busy_timeout. The probe is a write that may not wait (busyTimeoutMs 0): taking
 * the held lock answers who holds it; busy means the child was paused mid-write, so it runs on
 * for a moment and is paused again.
 */
async function pauseHoldingLock(child: ChildProcess, probe: StateStore): Promise<Lock> {
  for (let attempt = 0; attempt < 100; attempt++) {
    child.kill('SIGSTOP');
    try {
      const got = await probe.locks.acquire('apply', 'plan-apply test probe', 60);
      if (got.ok) await probe.locks.release(got.lock.id);
      expect(got.ok, 'the paused apply holds the apply lock').toBe(false);
      if (!got.ok) return got.heldBy;
    } catch (err) {
      if (!(err instanceof StoreFailure && err.kind === 'busy')) throw err;
    }
    child.kill('SIGCONT');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('the paused apply was inside a state store write at every one of 100 probes');
}

describe('qm plan → qm apply on the sim driver', () => {
  it('plans, applies, then reports no changes; the same inputs give the same plan bytes', async () => {
    const r = await fleet();
    const p1 = run(r, ['plan', '--now', NOW, '--format', 'json']);
    const p2 = run(r, ['plan', '--now', NOW, '--format', 'json']);
    expect(p1.code, p1.stderr).toBe(0);
    expect(p1.stdout).toBe(p2.stdout);
    const plan = JSON.parse(p1.stdout) as { summary: Record<string, number>; actions: { type: string; node?: string }[]; inputs: { gitCommit: string } };
    expect(plan.summary).toMatchObject({ place: 5, move: 0, evict: 0, remove: 0, blocked: 0 });
    expect(plan.inputs.gitCommit).toBe((await r.git.revparse(['HEAD'])).trim());
    const saved = run(r, ['plan', '--now', NOW, '--out', 'plan.json', '--detailed-exitcode']);
    expect(saved.code).toBe(2);
    const applied = run(r, ['apply', 'plan.json']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Apply complete: 5 succeeded, 0 failed/);
    expect(applied.stdout.split('\n').filter((l) => l.startsWith('✓'))).toHaveLength(5);
    const again = run(r, ['plan', '--detailed-exitcode']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/No changes/);
    const status = JSON.parse(run(r, ['status', '--format', 'json']).stdout) as { instances: { name: string }[]; drift: { inSync: boolean } };
    expect(status.instances.map((i) => i.name)).toEqual(['chat-0', 'chat-1', 'chat-2', 'etl-0', 'etl-1']);
    expect(status.drift.inSync).toBe(true);
  });

  it('shrinking replicas removes the highest ordinals; qm explain tells why an instance is where it is', async () => {
    const r = await fleet();
    expect(run(r, ['apply', '--auto-approve']).code).toBe(0);
    await r.write('agents/chat.yaml', agent('chat', 1, 'general'));
    const plan = JSON.parse(run(r, ['plan', '--format', 'json']).stdout) as { actions: { type: string; instance: string; reason: string }[] };
    expect(plan.actions.map((a) => [a.type, a.instance])).toEqual([['remove', 'chat-1'], ['remove', 'chat-2']]);
    expect(plan.actions[0]!.reason).toBe('replicas 3 → 1');
    const ex = run(r, ['explain', 'chat-0']);
    expect(ex.code).toBe(0);
    expect(ex.stdout).toMatch(/^chat-0 \(agent chat\): runs on (general-\d)\nplaced on \1 by plan sha256:\w+…, applied /);
    expect(ex.stdout).toMatch(/Candidate nodes, best first/);
    expect(run(r, ['explain', 'chat-9']).code).toBe(1);
  });

  it('refuses a plan file edited by hand', async () => {
    const r = await fleet();
    expect(run(r, ['plan', '--out', 'plan.json']).code).toBe(0);
    const file = path.join(r.dir, 'plan.json');
    const plan = JSON.parse(await readFile(file, 'utf8')) as { actions: { node?: string }[] };
    plan.actions[0]!.node = 'general-1';
    await writeFile(file, JSON.stringify(plan));
    const res = run(r, ['apply', 'plan.json']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/the plan file was changed after it was made/);
  });

  it('refuses a plan made for another repository, and one made against another state store', async () => {
    const a = await fleet();
    const b = await fleet({ 'agents/extra.yaml': agent('extra', 1, 'general') });
    expect(run(a, ['plan', '--out', 'plan.json']).code).toBe(0);
    const other = run(b, ['apply', path.join(a.dir, 'plan.json')]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/the plan was made for a different policy/);
    const store = run(a, ['apply', 'plan.json', '--state', path.join(a.dir, 'other.db')]);
    expect(store.code).toBe(1);
    expect(store.stderr).toMatch(/the plan was made against another state store/);
  });

  it('refuses a stale plan naming the node that disappeared; an unrelated change does not make it stale', async () => {
    const r = await fleet();
    expect(run(r, ['apply', '--auto-approve']).code).toBe(0);
    await r.write('agents/chat.yaml', agent('chat', 4, 'general'));
    await r.commit('more chat');
    const planned = JSON.parse(run(r, ['plan', '--format', 'json', '--out', 'plan.json']).stdout) as { actions: { type: string; instance: string; node: string }[] };
    const place = planned.actions.find((a) => a.type === 'place')!;
    const store = await openStateStore(path.join(r.dir, '.qm/state.db'));
    try {
      // Unrelated: a node of another pool changes. The plan still applies.
      const cluster = await store.cluster.get('sim');
      const batchNode = cluster.nodes.find((n) => n.pool === 'batch')!;
      await store.cluster.putNode('sim', { ...batchNode, labels: { ...batchNode.labels, touched: 'yes' } });
      const ok = run(r, ['apply', 'plan.json']);
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      // Now make a new plan and take away the node it places on.
      await r.write('agents/chat.yaml', agent('chat', 5, 'general'));
      const next = JSON.parse(run(r, ['plan', '--format', 'json', '--out', 'plan2.json']).stdout) as { actions: { type: string; node: string }[] };
      const target = next.actions.find((a) => a.type === 'place')!.node;
      const c2 = await store.cluster.get('sim');
      await store.cluster.write('sim', [
        ...c2.instances.filter((i) => i.node === target).map((i) => ({ op: 'deleteInstance' as const, name: i.name })),
        { op: 'deleteNode', name: target },
      ]);
    } finally {
      await store.close();
    }
    expect(place.instance).toBe('chat-3');
    const stale = run(r, ['apply', 'plan2.json']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/the plan is stale: .*node general-\d disappeared/);
  });

  it('a second apply gets the lock holder; force-unlock releases it', async () => {
    const r = await fleet();
    const store = await openStateStore(path.join(r.dir, '.qm/state.db'));
    let id: string;
    try {
      const got = await store.locks.acquire('apply', 'ci-runner-7 (pid 42)', 600);
      expect(got.ok).toBe(true);
      id = got.ok ? got.lock.id : '';
    } finally {
      await store.close();
    }
    const res = run(r, ['apply', '--auto-approve']);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe(''); // the lock is taken before planning: no plan is printed
    expect(res.stderr).toMatch(new RegExp(`locked by ci-runner-7 \\(pid 42\\) since \\S+ \\(lock id ${id}\\)`));
    expect(res.stderr).toContain(`qm force-unlock ${id}`);
    const unlock = run(r, ['force-unlock', id]);
    expect(unlock.code).toBe(0);
    expect(run(r, ['force-unlock', id]).code).toBe(1);
    expect(run(r, ['apply', '--auto-approve']).code).toBe(0);
  });

  it('on a failure stops the dependent actions, finishes the independent ones, exits 1, and a re-run converges', async () => {
    const r = await fleet();
    expect(run(r, ['apply', '--auto-approve']).code).toBe(0);
    // Raise the pool floor: a scale-up, with chat-3.. placed on the new nodes depending on it.
    await r.write('pools/pools.yaml', POOLS.replace('size: {min: 2, max: 6, initial: 2}', 'size: {min: 4, max: 6}'));
    await r.write('agents/chat.yaml', agent('chat', 9, 'general', 2));
    await r.write('agents/etl.yaml', agent('etl', 3, 'batch'));
    const plan = JSON.parse(run(r, ['plan', '--format', 'json']).stdout) as { actions: { id: string; type: string; dependsOn?: string[] }[] };
    expect(plan.actions[0]!.type).toBe('scalePool');
    expect(plan.actions.some((a) => a.dependsOn?.includes('a1'))).toBe(true);
    const failed = run(r, ['apply', '--auto-approve'], { QM_SIM_FAIL: 'scalePool:general' });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/✗ a1 scale pool general from 2 to 4: driver sim: scale pool general from 2 to 4 on pool general failed: injected failure/);
    expect(failed.stdout).toMatch(/– a\d+ place chat-\d on general-[23]: skipped: it depends on a1, which did not succeed/);
    expect(failed.stdout).toMatch(/✓ a\d+ place etl-2 on batch-0/);
    expect(failed.stdout).toMatch(/Apply incomplete/);
    const rerun = run(r, ['apply', '--auto-approve']);
    expect(rerun.code, rerun.stdout).toBe(0);
    expect(run(r, ['plan', '--detailed-exitcode']).code).toBe(0);
  });

  it('an agent whose dependency fails to place is skipped, never started before it', async () => {
    const r = await fleet({ 'agents/etl.yaml': agent('etl', 2, 'batch').replace('  placement:', '  dependsOn: [db]\n  placement:'), 'agents/db.yaml': agent('db', 1, 'batch') });
    const plan = JSON.parse(run(r, ['plan', '--now', NOW, '--format', 'json']).stdout) as { actions: { id: string; type: string; instance?: string; dependsOn?: string[] }[] };
    const db = plan.actions.find((a) => a.instance === 'db-0')!;
    for (const etl of plan.actions.filter((a) => a.instance?.startsWith('etl-'))) expect(etl.dependsOn).toContain(db.id);
    expect(plan.actions.find((a) => a.instance === 'chat-0')!.dependsOn).toBeUndefined();
    const failed = run(r, ['apply', '--auto-approve'], { QM_SIM_FAIL: 'place:db-0' });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/– a\d+ place etl-0 on batch-0: skipped: it depends on a\d+, which did not succeed/);
    expect(failed.stdout).toMatch(/✓ a\d+ place chat-0/);
    const rerun = run(r, ['apply', '--auto-approve']);
    expect(rerun.code, rerun.stdout).toBe(0);
    expect(rerun.stdout).toMatch(/✓ a\d+ place etl-1/);
  });

  it('rolls out a changed agent template (image, requests) within the disruption budget, then settles', async () => {
    const r = await fleet({ 'agents/chat.yaml': agent('chat', 4, 'general').replace('spec:\n', 'spec:\n  runtime: {image: "chat:1"}\n') });
    expect(run(r, ['apply', '--auto-approve']).code).toBe(0);
    expect(run(r, ['plan', '--detailed-exitcode']).code).toBe(0);
    // A new image and bigger requests: the default budget (25 % of 4) recreates one instance per plan.
    await r.write('agents/chat.yaml', agent('chat', 4, 'general', 1.5).replace('spec:\n', 'spec:\n  runtime: {image: "chat:2"}\n'));
    const plan = JSON.parse(run(r, ['plan', '--format', 'json']).stdout) as { actions: { id: string; type: string; instance?: string; node?: string; reason: string; dependsOn?: string[]; requests?: Record<string, number> }[]; warnings: { message: string }[] };
    // One instance, started anew: moved where it fits (make before break), else recreated on its node.
    const chat = plan.actions.filter((a) => a.instance?.startsWith('chat-'));
    expect([['move'], ['remove', 'place']]).toContainEqual(chat.map((a) => a.type));
    expect(new Set(chat.map((a) => a.instance)).size).toBe(1);
    expect(chat[0]!.reason).toMatch(/^agent chat's template \(runtime or resources\) changed: [0-9a-f]{16} → [0-9a-f]{16}; (recreated on|moved to) general-\d$/);
    expect(plan.warnings.map((w) => w.message).join('\n')).toMatch(/4 instances of agent chat run an older template; 1 are started anew in this plan where the new one fits, the rest in later plans \(disruption budget 25 %\)/);
    // Four plan-and-apply rounds roll every instance; then nothing is left to do.
    for (let i = 0; i < 4; i++) expect(run(r, ['apply', '--auto-approve']).code).toBe(0);
    const settled = run(r, ['plan', '--detailed-exitcode']);
    expect(settled.stdout).toContain('No changes.');
    expect(settled.code).toBe(0);
    const status = JSON.parse(run(r, ['status', '--format', 'json']).stdout) as { instances: { name: string; requests: Record<string, number>; template?: string }[] };
    const chats = status.instances.filter((i) => i.name.startsWith('chat-'));
    expect(chats.map((i) => i.requests.cpu)).toEqual(['1500m', '1500m', '1500m', '1500m']);
    expect(new Set(chats.map((i) => i.template)).size).toBe(1);
  });

  it('SIGINT during an apply finishes the action in flight, keeps the state consistent, and a re-run completes', async () => {
    const r = await fleet();
    await r.write('agents/chat.yaml', agent('chat', 6, 'general', 0.5));
    const child = spawn(process.execPath, [QM, 'apply', '--auto-approve', '--concurrency', '1'], { cwd: r.dir, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', QM_SIM_DELAY_MS: '300' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if ((out.match(/^✓/gm) ?? []).length === 2) child.kill('SIGINT');
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(err).toMatch(/interrupted: finishing the actions in flight/);
    const done = (out.match(/^✓/gm) ?? []).length;
    expect(done).toBeGreaterThanOrEqual(2);
    expect(out).toMatch(/not started: the apply was interrupted/);
    const status = JSON.parse(run(r, ['status', '--format', 'json']).stdout) as { instances: unknown[] };
    expect(status.instances).toHaveLength(done);
    const rerun = run(r, ['apply', '--auto-approve']);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toMatch(new RegExp(`Apply complete: ${8 - done} succeeded`));
  });

  it('a corrupted state database gives a clear error and is never reset', async () => {
    const r = await fleet();
    await r.write('.qm/state.db', 'this is not a database, but someone\'s data\n'.repeat(200));
    const before = await readFile(path.join(r.dir, '.qm/state.db'));
    const res = run(r, ['plan']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/state database .*state\.db is corrupted/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(await readFile(path.join(r.dir, '.qm/state.db'))).toEqual(before);
  });

  it('PostgreSQL unreachable: a clear error naming the host', async () => {
    const r = await fleet();
    const res = run(r, ['plan'], { QM_STATE: 'postgres://qm:secret@127.0.0.1:1/qm' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/127\.0\.0\.1:1/);
    expect(res.stderr).not.toMatch(/secret/);
  });

  it('plans against a snapshot file read-only, and refuses to apply that plan', async () => {
    const r = await fleet({
      'snap.yaml': `nodes:
  - {name: general-0, pool: general, zone: z-a}
  - {name: general-1, pool: general, zone: z-b, ready: false}
  - {name: batch-0, pool: batch}
instances:
  - {name: chat-0, agent: chat, node: general-1, startedAt: "2026-11-27T08:00:00Z"}
  - {name: old-0, agent: retired, node: general-0}
`,
    });
    const res = run(r, ['plan', '--snapshot', 'snap.yaml', '--now', NOW, '--format', 'json', '--out', 'snap-plan.json']);
    expect(res.code, res.stderr).toBe(0);
    const plan = JSON.parse(res.stdout) as { actions: { type: string; instance?: string; fromNode?: string; reason: string }[]; inputs: { source: string } };
    expect(plan.inputs.source).toBe('snapshot:snap.yaml');
    expect(plan.actions.find((a) => a.instance === 'old-0')).toMatchObject({ type: 'remove' });
    expect(plan.actions.find((a) => a.instance === 'chat-0')).toMatchObject({ type: 'move', fromNode: 'general-1' });
    const apply = run(r, ['apply', 'snap-plan.json']);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/read-only; it cannot be applied/);
    const bad = await fleet({ 'snap.yaml': 'nodes:\n  - {name: x-0, pool: nope}\n' });
    const badRes = run(bad, ['plan', '--snapshot', 'snap.yaml']);
    expect(badRes.code).toBe(1);
    expect(badRes.stderr).toMatch(/snap\.yaml:2:\d+ - error UnknownReference: snapshot: node 'x-0' belongs to pool 'nope'/);
  });

  it('an invalid policy prints its diagnostics and plans nothing', async () => {
    const r = await fleet({ 'agents/bad.yaml': agent('bad', 1, 'genral') });
    const res = run(r, ['plan']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/agents\/bad\.yaml:\d+:\d+ - error UnknownReference/);
    expect(res.stderr).toMatch(/nothing was planned/);
  });
});

describe('qm status: drivers down, locks', () => {
  it('shows a driver that is down as unhealthy with its error, and what the state store has; exit 0', async () => {
    const r = await fleet();
    expect(run(r, ['apply', '--auto-approve']).code).toBe(0);
    const down = { QM_SIM_UNAVAILABLE: '1' };
    const text = run(r, ['status'], down);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(/^ {2}sim +sim +unhealthy +simulated outage \(QM_SIM_UNAVAILABLE\) +pools: batch, general$/m);
    expect(text.stdout).toMatch(/^ {2}general +not observed: driver sim is unhealthy$/m);
    expect(text.stdout).toMatch(/\nLast apply\n {2}applied \S+ by \S+ \(pid \d+\) {2}plan sha256:[0-9a-f]{12}…\n/);
    expect(text.stdout).toMatch(/\nDrift\n {2}unknown: driver sim could not be observed/);
    expect(text.stdout).not.toMatch(/in sync/);
    const json = JSON.parse(run(r, ['status', '--format', 'json'], down).stdout) as Record<string, unknown>;
    expect(json.drivers).toEqual([{ name: 'sim', type: 'sim', ok: false, message: 'simulated outage (QM_SIM_UNAVAILABLE)', pools: ['batch', 'general'] }]);
    expect(json.pools).toEqual([{ name: 'batch', observed: false, nodes: null }, { name: 'general', observed: false, nodes: null }]);
    expect(json.drift).toEqual({ inSync: null, unknown: 'driver sim could not be observed; qm plan needs every driver' });
    expect(json.quotas).toBeNull();
    expect(json.lastApply).toMatchObject({ status: 'applied', planId: expect.stringMatching(/^sha256:/) });
    // Planning and applying still need the driver, and a failed apply leaves no lock behind.
    const apply = run(r, ['apply', '--auto-approve'], down);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/qm: driver sim: observe on the simulated cluster failed: simulated outage/);
    const back = JSON.parse(run(r, ['status', '--format', 'json']).stdout) as { drivers: { ok: boolean }[]; locks: unknown[]; drift: { inSync: boolean } };
    expect(back.drivers.map((d) => d.ok)).toEqual([true]);
    expect(back.drift.inSync).toBe(true);
    expect(back.locks).toEqual([]);
  });

  it('a node that could not be observed (one engine of a driver down): drift of its pool is unknown, not "missing"', async () => {
    const r = await fleet();
    expect(run(r, ['apply', '--auto-approve']).code).toBe(0);
    // The sim has no per-node outage knob: make its stored cluster look as the Docker driver reports
    // an engine that does not answer — the node not ready, the instances on it unseen.
    const store = await openStateStore(path.join(r.dir, '.qm/state.db'));
    let lost: string;
    try {
      const c = await store.cluster.get('sim');
      const node = c.nodes.find((n) => n.pool === 'general' && c.instances.some((i) => i.node === n.name))!;
      lost = node.name;
      await store.cluster.write('sim', [...c.instances.filter((i) => i.node === node.name).map((i) => ({ op: 'deleteInstance' as const, name: i.name })), { op: 'putNode', node: { ...node, ready: false } }]);
    } finally {
      await store.close();
    }
    const text = run(r, ['status']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).not.toMatch(/missing \(to place\)/);
    expect(text.stdout).toMatch(new RegExp(`^ {2}general +1/2 nodes ready .*partly observed: ${lost} not ready$`, 'm'));
    expect(text.stdout).toMatch(new RegExp(`\nDrift\n {2}unknown: pool general: node ${lost} is not ready, what runs there cannot be seen — `));
    const json = JSON.parse(run(r, ['status', '--format', 'json']).stdout) as { pools: { name: string; observed: boolean; unobservedNodes?: string[] }[]; drift: unknown };
    expect(json.drift).toEqual({ inSync: null, unknown: `pool general: node ${lost} is not ready, what runs there cannot be seen` });
    expect(json.pools.map((p) => [p.name, p.observed, p.unobservedNodes])).toEqual([['batch', true, undefined], ['general', false, [lost]]]);
  });

  it('lists the locks with the id qm force-unlock takes, expired ones marked', async () => {
    const r = await fleet();
    expect(run(r, ['status']).stdout).toMatch(/\nLocks\n {2}none: no apply or reconcile is running\n/);
    const dbFile = path.join(r.dir, '.qm/state.db');
    let id = '';
    const past = await openStateStore(dbFile, { now: () => new Date('2026-01-01T00:00:00Z') });
    try {
      const old = await past.locks.acquire('pool/general', 'acme/fleet#7', 60);
      expect(old.ok).toBe(true);
    } finally {
      await past.close();
    }
    const store = await openStateStore(dbFile);
    try {
      const got = await store.locks.acquire('apply', 'ci-runner-7 (pid 42)', 600);
      id = got.ok ? got.lock.id : '';
    } finally {
      await store.close();
    }
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    const text = run(r, ['status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^ {2}apply +lock id ${id} {2}held by ci-runner-7 \\(pid 42\\) since \\S+; expires at \\S+ unless renewed$`, 'm'));
    expect(text.stdout).toContain(`to release it now: qm force-unlock ${id}\n`);
    expect(text.stdout).toMatch(/^ {2}pool\/general +lock id [0-9a-f]{16} {2}held by acme\/fleet#7 since 2026-01-01T00:00:00\.000Z; expired at 2026-01-01T00:01:00\.000Z; the next apply takes it over$/m);
    const json = JSON.parse(run(r, ['status', '--format', 'json']).stdout) as { locks: { id: string; name: string; expired: boolean }[] };
    expect(json.locks.map((l) => [l.name, l.expired])).toEqual([['apply', false], ['pool/general', true]]);
    expect(json.locks[0]).toMatchObject({ id, holder: 'ci-runner-7 (pid 42)', acquiredAt: expect.any(String), expiresAt: expect.any(String) });
    // What a user does with it: the id from qm status releases the lock.
    const unlock = run(r, ['force-unlock', json.locks[0]!.id]);
    expect(unlock.code, unlock.stderr).toBe(0);
    expect((JSON.parse(run(r, ['status', '--format', 'json']).stdout) as { locks: { name: string }[] }).locks.map((l) => l.name)).toEqual(['pool/general']);
    const gone = run(r, ['force-unlock', id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/hint: qm status lists the locks in the store with their ids/);
  });

  it('a second apply while one runs fails at once naming the holder, printing no plan; the lock is released after', async () => {
    const r = await fleet();
    // Opened (and created) before the first apply, so the probe below never waits on a migration.
    const probe = await openStateStore(path.join(r.dir, '.qm/state.db'), { busyTimeoutMs: 0 });
    const child = spawn(process.execPath, [QM, 'apply', '--auto-approve', '--concurrency', '1'], { cwd: r.dir, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', QM_SIM_DELAY_MS: '300' } });
    let out = '';
    let paused = false;
    const applying = new Promise<void>((resolve, reject) => {
      child.on('close', (code) => reject(new Error(`the first apply exited (code ${code}) before finishing an action:\n${out}`)));
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        // Paused at its first finished action, so it cannot finish (and release the lock) however
        // slowly the second apply starts on a loaded machine; it has 4 × 300 ms of actions left.
        if (!paused && /^✓/m.test(out)) {
          paused = true;
          child.kill('SIGSTOP');
          resolve();
        }
      });
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Also after a failed assertion or a timeout: never leave the first apply stopped, or the store open.
    onTestFinished(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await probe.close();
    });
    await applying;
    const held = await pauseHoldingLock(child, probe);
    expect(held.info).toMatchObject({ pid: child.pid });
    const second = run(r, ['apply', '--auto-approve']);
    expect(second.code).toBe(1);
    expect(second.stdout).toBe('');
    expect(second.stderr).toMatch(new RegExp(`^qm: the state store is locked by \\S+ \\(pid ${child.pid}\\) since \\S+ \\(lock id ${held.id}\\)\nhint: wait for it to finish, or if it died: qm force-unlock ${held.id}\n$`));
    child.kill('SIGCONT');
    expect(await closed).toBe(0);
    expect(out).toMatch(/Apply complete: 5 succeeded/);
    // Nothing to do: the lock taken before planning is released on that path too.
    const again = run(r, ['apply', '--auto-approve']);
    expect(again.code).toBe(0);
    expect((JSON.parse(run(r, ['status', '--format', 'json']).stdout) as { locks: unknown[] }).locks).toEqual([]);
  });
});

describe('bad input: one sentence and a hint, never an unexpected error', () => {
  it('an empty policy directory is refused by plan, apply, reconcile and status, before a state store is created in it', async () => {
    const r = await tempRepo({ git: true });
    repos.push(r);
    await r.write('README.md', '# not the policy repository\n');
    await r.commit('readme');
    for (const args of [['plan'], ['plan', '--ref', 'HEAD', '--format', 'json'], ['apply', '--auto-approve'], ['reconcile', '--mode', 'fix'], ['status', '--format', 'json']]) {
      const res = run(r, args);
      const what = args.join(' ');
      expect(res.code, what).toBe(1);
      expect(res.stdout, what).toBe('');
      expect(res.stderr, what).toContain(`qm: no policy files in ${r.dir}${args.includes('--ref') ? ' at HEAD' : ''}: there is no *.yaml or *.yml file under pools/, policies/ or agents/\nhint: run qm in the policy repository`);
      expect(res.stderr, what).not.toMatch(/unexpected error|\n\s+at /);
    }
    expect(existsSync(path.join(r.dir, '.qm'))).toBe(false);
    // A saved plan applied against an empty directory says so, rather than "a different policy".
    const a = await fleet();
    expect(run(a, ['plan', '--out', 'plan.json']).code).toBe(0);
    const res = run(r, ['apply', path.join(a.dir, 'plan.json'), '--state', path.join(a.dir, '.qm/state.db')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^qm: no policy files in \S+: .*\nhint: .*qm apply --dir path\/to\/fleet\n$/);
  });

  it('qm plan --out to a missing directory, a directory or below a file names the path and the reason, before planning', async () => {
    const r = await fleet({ 'notes.txt': 'a file\n' });
    const cases: [string, string][] = [
      ['nodir/plan.json', 'qm: cannot write nodir/plan.json: the directory nodir does not exist\nhint: create it first (mkdir -p nodir), or give a path in an existing directory\n'],
      [r.dir, `qm: cannot write ${r.dir}: it is a directory\nhint: give a file name, e.g. ${path.join(r.dir, 'plan.json')}\n`],
      ['notes.txt/plan.json', 'qm: cannot write notes.txt/plan.json: notes.txt is not a directory\nhint: give a path in an existing directory\n'],
    ];
    for (const [out, stderr] of cases) {
      const res = run(r, ['plan', '--out', out]);
      expect(res.code, out).toBe(1);
      expect(res.stderr, out).toBe(stderr);
      expect(res.stdout, out).toBe('');
    }
    expect(existsSync(path.join(r.dir, 'nodir'))).toBe(false);
    expect(existsSync(path.join(r.dir, '.qm'))).toBe(false); // refused before anything was planned
    const ok = run(r, ['plan', '--out', 'plan.json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(path.join(r.dir, 'plan.json'))).toBe(true);
  });
});
