/**
 * `qm explain` end to end, as a user runs it: the real CLI in child processes, the sim driver on a
 * real SQLite state store. It must say where an instance runs now, which applied plan put it there,
 * and mark what a plan that was not applied would do.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { qm } from './helpers/cli.js';
import { tempRepo } from './helpers/repo.js';
import type { TempRepo } from './helpers/repo.js';

const POOL = `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: general}
spec:
  zones: [z-a]
  node:
    capacity: {cpu: 4, memory: 16Gi}
  size: {min: 2, max: 2, initial: 2}
`;

// Bin-packing puts every instance on general-0; rebalancing, once enabled, moves one to general-1.
const PROFILE = `apiVersion: quartermaster.dev/v1alpha1
kind: SchedulingProfile
metadata: {name: default}
spec:
  scoreWeights: {binpack: 5, balance: 0}
  rebalance: {enabled: true, maxImbalancePercent: 15, maxMovesPerRun: 1}
  disruptionBudget: {maxUnavailablePercent: 100}
`;

/** The same without rebalancing: instances stay where they are placed. */
const STILL = PROFILE.replace('rebalance: {enabled: true, maxImbalancePercent: 15, maxMovesPerRun: 1}', 'rebalance: {enabled: false}');

const chat = (replicas: number) => `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: chat}
spec:
  owner: team-a
  replicas: ${replicas}
  resources:
    requests: {cpu: 1, memory: 1Gi}
`;

let repos: TempRepo[] = [];
afterEach(async () => {
  await Promise.all(repos.map((r) => r.cleanup()));
  repos = [];
});

async function fleet(profile = STILL): Promise<TempRepo> {
  const r = await tempRepo();
  repos.push(r);
  await r.write('pools/general.yaml', POOL);
  await r.write('policies/profile.yaml', profile);
  await r.write('agents/chat.yaml', chat(4));
  return r;
}

const run = (r: TempRepo, args: string[]) => qm(args, { cwd: r.dir });
const short = (planId: string) => `${planId.slice(0, 19)}…`;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface PlanJson {
  planId: string;
  actions: { type: string; instance?: string; node?: string; fromNode?: string; toNode?: string }[];
}

function planJson(r: TempRepo, out?: string): PlanJson {
  const res = run(r, ['plan', '--format', 'json', ...(out ? ['--out', out] : [])]);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as PlanJson;
}

function status(r: TempRepo): Map<string, string> {
  const s = JSON.parse(run(r, ['status', '--format', 'json']).stdout) as { instances: { name: string; node: string }[] };
  return new Map(s.instances.map((i) => [i.name, i.node]));
}

describe('qm explain', () => {
  it('after a later plan moved the instance and was applied: where it is now, and the plan that moved it', async () => {
    const r = await fleet();
    const first = planJson(r, 'first.json');
    expect(first.actions.map((a) => [a.type, a.node])).toEqual([['place', 'general-0'], ['place', 'general-0'], ['place', 'general-0'], ['place', 'general-0']]);
    expect(run(r, ['apply', 'first.json']).code).toBe(0);
    // Rebalancing switched on afterwards moves a running instance.
    await r.write('policies/profile.yaml', PROFILE);

    const second = planJson(r, 'second.json');
    expect(second.actions).toMatchObject([{ type: 'move', instance: 'chat-3', fromNode: 'general-0', toNode: 'general-1' }]);
    // Planned, not applied yet: it still runs where the first plan put it.
    const before = run(r, ['explain', 'chat-3']);
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toMatch(new RegExp(`^chat-3 \\(agent chat\\): runs on general-0\\nplaced on general-0 by plan ${esc(short(first.planId))}, applied \\S+\\n`));
    expect(before.stdout).toMatch(new RegExp(`planned by plan ${esc(short(second.planId))} \\(\\S+\\), not applied: move it from general-0 to general-1\\n  rebalance pool general`));

    const applied = run(r, ['apply', 'second.json']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(status(r).get('chat-3')).toBe('general-1');
    const after = run(r, ['explain', 'chat-3']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(new RegExp(`^chat-3 \\(agent chat\\): runs on general-1\\nmoved from general-0 to general-1 by plan ${esc(short(second.planId))}, applied \\S+\\n  rebalance pool general: `));
    expect(after.stdout).not.toMatch(/placed on general-0/);
    expect(after.stdout).not.toMatch(/not applied/);

    // An instance the second plan left alone is still explained by the first, with its candidates.
    const kept = run(r, ['explain', 'chat-0']);
    expect(kept.stdout).toMatch(new RegExp(`^chat-0 \\(agent chat\\): runs on general-0\\nplaced on general-0 by plan ${esc(short(first.planId))}, applied `));
    expect(kept.stdout).toMatch(/Candidate nodes, best first:\n.*\n {2}general-0 /);
  });

  it('after a plan that was never applied: the instance does not exist, and the plan is marked not applied', async () => {
    const r = await fleet();
    const plan = planJson(r);
    const place = plan.actions.find((a) => a.instance === 'chat-0')!;
    const res = run(r, ['explain', 'chat-0']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^chat-0 \\(agent chat\\): not running\\nplanned by plan ${esc(short(plan.planId))} \\(\\S+\\), not applied: place it on ${place.node}\\n`));
    expect(res.stdout).not.toMatch(/^chat-0 .*: placed on/m);
    expect(res.stdout).toMatch(/Candidate nodes, best first/);
    expect(status(r).has('chat-0')).toBe(false);

    // Applied, then one more replica planned but not applied: only the new one is pending.
    expect(run(r, ['apply', '--auto-approve']).code).toBe(0);
    await r.write('agents/chat.yaml', chat(5));
    const more = planJson(r);
    expect(more.actions.map((a) => [a.type, a.instance])).toEqual([['place', 'chat-4']]);
    expect(run(r, ['explain', 'chat-4']).stdout).toMatch(new RegExp(`^chat-4 \\(agent chat\\): not running\\nplanned by plan ${esc(short(more.planId))} \\(\\S+\\), not applied: place it on general-\\d`));
    const existing = run(r, ['explain', 'chat-0']);
    expect(existing.stdout).toMatch(/^chat-0 \(agent chat\): runs on general-0\nplaced on general-0 by plan sha256:\w+…, applied /);
    expect(existing.stdout).not.toMatch(/not applied/);

    // An apply whose action on the instance failed did not apply it either.
    const failed = qm(['apply', '--auto-approve'], { cwd: r.dir, env: { QM_SIM_FAIL: 'place:chat-4' } });
    expect(failed.code).toBe(1);
    expect(run(r, ['explain', 'chat-4']).stdout).toMatch(/^chat-4 \(agent chat\): not running\nplanned by plan sha256:\w+… \(\S+\), not applied \(its apply: failed\): place it on general-\d/);

    const unknown = run(r, ['explain', 'chat-9']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/nothing is known about instance 'chat-9'/);
  });

  it('a removed instance: not running, removed by the applied plan, with its reason', async () => {
    const r = await fleet();
    expect(run(r, ['apply', '--auto-approve']).code).toBe(0);
    await r.write('agents/chat.yaml', chat(3));
    const shrink = planJson(r, 'shrink.json');
    expect(shrink.actions.map((a) => [a.type, a.instance])).toEqual([['remove', 'chat-3']]);
    const pending = run(r, ['explain', 'chat-3']);
    expect(pending.stdout).toMatch(new RegExp(`^chat-3 \\(agent chat\\): runs on general-0\\nplaced on general-0 by plan sha256:\\w+…, applied \\S+\\n[\\s\\S]*\\nplanned by plan ${esc(short(shrink.planId))} \\(\\S+\\), not applied: remove it from general-0\\n  replicas 4 → 3`));
    expect(run(r, ['apply', 'shrink.json']).code).toBe(0);
    const gone = run(r, ['explain', 'chat-3']);
    expect(gone.code).toBe(0);
    expect(gone.stdout).toMatch(new RegExp(`^chat-3 \\(agent chat\\): not running\\nremoved from general-0 by plan ${esc(short(shrink.planId))}, applied \\S+\\n  replicas 4 → 3\\n`));
  });

  it('an instance changed outside the plans, and a fleet that cannot be observed, are said as such', async () => {
    const r = await fleet();
    expect(run(r, ['apply', '--auto-approve']).code).toBe(0);
    const { openStateStore } = await import('../src/state/index.js');
    const store = await openStateStore(`${r.dir}/.qm/state.db`);
    try {
      await store.cluster.deleteInstance('sim', 'chat-1');
    } finally {
      await store.close();
    }
    const drifted = run(r, ['explain', 'chat-1']);
    expect(drifted.code).toBe(0);
    expect(drifted.stdout).toMatch(/^chat-1 \(agent chat\): not running\nplaced on general-0 by plan sha256:\w+…, applied \S+\n(?:.*\n)?that plan left it on general-0, but it is not running now/);

    await r.write('agents/bad.yaml', 'apiVersion: quartermaster.dev/v1alpha1\nkind: Agent\nmetadata: {name: bad}\nspec: {owner: x, resources: {requests: {cpu: nope}}}\n');
    const unknown = run(r, ['explain', 'chat-0']);
    expect(unknown.code, unknown.stderr).toBe(0);
    expect(unknown.stdout).toMatch(/^chat-0 \(agent chat\): where it runs now is unknown: the policy in \S+ has errors \(qm validate shows them\)\nplaced on general-0 by plan /);
  });
});
