/** qm reconcile: drift detection and repair, once and in a loop, with the real CLI and state store. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../src/state/index.js';
import { describeDrift } from '../src/engine/reconcile.js';
import type { Plan, PlanAction } from '../src/model/plan.js';
import { qm, QM } from './helpers/cli.js';
import { tempRepo } from './helpers/repo.js';
import type { TempRepo } from './helpers/repo.js';

import { SMALL_POOL as POOL, chatAgent as AGENT } from './helpers/small-fleet.js';

let repos: TempRepo[] = [];
afterEach(async () => {
  await Promise.all(repos.map((r) => r.cleanup()));
  repos = [];
});

async function appliedFleet(): Promise<TempRepo> {
  const r = await tempRepo({ git: true });
  repos.push(r);
  await r.write('pools/general.yaml', POOL);
  await r.write('agents/chat.yaml', AGENT(3));
  await r.commit('fleet');
  expect(qm(['apply', '--auto-approve'], { cwd: r.dir }).code).toBe(0);
  return r;
}

/** Make drift behind qm's back: chat-1 removed, a stray instance added, a node dropped. */
async function drift(r: TempRepo): Promise<void> {
  const store = await openStateStore(path.join(r.dir, '.qm/state.db'));
  try {
    const c = await store.cluster.get('sim');
    const chat0 = c.instances.find((i) => i.name === 'chat-0')!;
    await store.cluster.write('sim', [
      { op: 'deleteInstance', name: 'chat-1' },
      { op: 'putInstance', instance: { ...chat0, name: 'stray-0', agent: 'stray' } },
    ]);
  } finally {
    await store.close();
  }
}

describe('qm reconcile', () => {
  it('reports nothing when in sync', async () => {
    const r = await appliedFleet();
    const res = qm(['reconcile'], { cwd: r.dir });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/in sync: no drift/);
  });

  it('report mode lists every drift and changes nothing; exit 1', async () => {
    const r = await appliedFleet();
    await drift(r);
    const res = qm(['reconcile', '--mode', 'report'], { cwd: r.dir });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/drift detected \(2\)/);
    expect(res.stdout).toMatch(/instance chat-1 is missing \(would place on general-\d\)/);
    expect(res.stdout).toMatch(/instance stray-0 on general-\d is not declared \(agent stray no longer exists\)/);
    expect(qm(['reconcile'], { cwd: r.dir }).stdout).toMatch(/drift detected \(2\)/);
  });

  it('fix mode repairs the drift; the next run is in sync', async () => {
    const r = await appliedFleet();
    await drift(r);
    const res = qm(['reconcile', '--mode', 'fix'], { cwd: r.dir });
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toMatch(/fixed: 2 action\(s\) applied/);
    expect(qm(['reconcile'], { cwd: r.dir }).stdout).toMatch(/in sync/);
  });

  it('a run once with the driver down fails with the driver named', async () => {
    const r = await appliedFleet();
    const res = qm(['reconcile'], { cwd: r.dir, env: { QM_SIM_UNAVAILABLE: '1' } });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/driver sim: observe on the simulated cluster failed: simulated outage/);
  });

  it('in a loop: a run that cannot proceed (lock held) reports and waits, later runs fix drift, SIGTERM stops it', async () => {
    const r = await appliedFleet();
    const store = await openStateStore(path.join(r.dir, '.qm/state.db'));
    const held = await store.locks.acquire('apply', 'someone else', 600);
    await store.close();
    expect(held.ok).toBe(true);
    const child = spawn(process.execPath, [QM, 'reconcile', '--interval', '1s', '--mode', 'fix'], { cwd: r.dir, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const waitFor = async (re: RegExp, text: () => string) => {
      for (let i = 0; i < 100 && !re.test(text()); i++) await new Promise((res) => setTimeout(res, 100));
      expect(text()).toMatch(re);
    };
    try {
      await waitFor(/reconcile run skipped: .*locked by someone else/, () => err);
      const s2 = await openStateStore(path.join(r.dir, '.qm/state.db'));
      if (held.ok) await s2.locks.release(held.lock.id);
      await s2.close();
      await waitFor(/in sync/, () => out);
      await drift(r);
      await waitFor(/fixed: 2 action\(s\) applied/, () => out);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
  });
});

describe('describeDrift', () => {
  const plan = (actions: PlanAction[]) => ({ actions }) as unknown as Plan;
  it('names duplicates and outdated templates as such, and a recreate once', () => {
    const lines = describeDrift(
      plan([
        { id: 'a1', type: 'remove', instance: 'web-0', agent: 'web', node: 'n1', reason: "agent web's template (runtime or resources) changed: aaaa → bbbb; recreated on n1" },
        { id: 'a2', type: 'place', instance: 'web-0', agent: 'web', pool: 'p', node: 'n1', requests: {}, score: 50, reason: 'x', dependsOn: ['a1'] },
        { id: 'a3', type: 'remove', instance: 'web-1', agent: 'web', node: 'n2', reason: 'duplicate of web-1 on n1' },
        { id: 'a4', type: 'remove', instance: 'old-0', agent: 'old', node: 'n2', reason: 'agent old no longer exists' },
        { id: 'a5', type: 'place', instance: 'web-2', agent: 'web', pool: 'p', node: 'n2', requests: {}, score: 50, reason: 'new instance' },
      ]),
    );
    expect(lines).toEqual([
      "instance web-0 on n1 runs an older template of its agent (would be recreated: agent web's template (runtime or resources) changed: aaaa → bbbb; recreated on n1)",
      'instance web-1 on n2 is a duplicate (duplicate of web-1 on n1)',
      'instance old-0 on n2 is not declared (agent old no longer exists)',
      'instance web-2 is missing (would place on n2)',
    ]);
  });
});
