/**
 * Plan → apply end to end, as a user runs it: the real CLI in child processes, a real Git repository,
 * the built-in sim driver on a real SQLite state store. Covers the faults of the plan → apply issue.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { qm, QM } from './helpers/cli.js';
import { tempRepo } from './helpers/repo.js';
import type { TempRepo } from './helpers/repo.js';
import { openStateStore } from '../src/state/index.js';

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
