import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { Driver, Observation } from '../../src/drivers/contract.js';
import { awaitRegistration, bindByZone, NodeBindings, plannedNodes, startTimeoutMs } from '../../src/engine/registration.js';
import type { ScalePoolAction } from '../../src/model/plan.js';
import type { ObservedNode } from '../../src/model/state.js';
import { conformancePolicy } from '../drivers/conformance.js';

const node = (name: string, zone: string, ready = true): ObservedNode => ({
  name, pool: 'work', region: 'r', zone, labels: {}, taints: [], ready, capacity: { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30 }, costPerHour: 0, powerWatts: 0,
});
const scale = (add: string[]): ScalePoolAction => ({ id: 'a1', type: 'scalePool', pool: 'work', from: 2, to: 2 + add.length, addNodes: add, removeNodes: [], reason: 'test' });

describe('bindByZone', () => {
  it.each([
    { what: 'same names bind to themselves', planned: [['work-2', 'z-a']], registered: [node('work-2', 'z-b')], want: { 'work-2': 'work-2' } },
    { what: 'other names bind by zone, in name order', planned: [['work-2', 'z-a'], ['work-3', 'z-b']], registered: [node('ip-3', 'z-b'), node('ip-2', 'z-a'), node('ip-1', 'z-a')], want: { 'work-2': 'ip-1', 'work-3': 'ip-3' } },
    { what: 'a zone nothing registered in stays unbound', planned: [['work-2', 'z-a'], ['work-3', 'z-b']], registered: [node('ip-1', 'z-a'), node('ip-2', 'z-a')], want: { 'work-2': 'ip-1' } },
    { what: 'nothing registered', planned: [['work-2', 'z-a']], registered: [], want: {} },
  ])('$what', ({ planned, registered, want }) => {
    const got = bindByZone(planned.map(([name, zone]) => ({ name: name!, zone: zone! })), registered);
    expect(Object.fromEntries(got)).toEqual(want);
  });

  it('never binds a node an earlier scale-up took', () => {
    expect(Object.fromEntries(bindByZone([{ name: 'work-3', zone: 'z-a' }], [node('ip-1', 'z-a'), node('ip-2', 'z-a')], new Set(['ip-1'])))).toEqual({ 'work-3': 'ip-2' });
  });
});

describe('plannedNodes', () => {
  it('gives each planned node the zone the planner gave it', () => {
    const policy = conformancePolicy('sim');
    const pool = policy.pools[0]!;
    // Two nodes in z-a, none in z-b: the planner puts the first new node in z-b, the next in z-a or z-b by count.
    const got = plannedNodes(pool, [node('work-0', 'z-a'), node('work-1', 'z-a')], scale(['work-2', 'work-3']));
    expect(got).toEqual([{ name: 'work-2', zone: 'z-b' }, { name: 'work-3', zone: 'z-b' }]);
  });
});

describe('startTimeoutMs', () => {
  it('reads the provisioner block, else 5 minutes', () => {
    expect(startTimeoutMs(undefined)).toBe(300_000);
    const doc = { apiVersion: 'quartermaster.dev/v1alpha1', kind: 'Driver', metadata: { name: 'capi' }, spec: { type: 'clusterapi', clusterapi: { startTimeout: '90s' } } } as never;
    expect(startTimeoutMs(doc)).toBe(90_000);
  });
});

/** A placing driver whose observation shows the nodes a cloud registers after some polls. */
function registeringPlacer(timeline: ObservedNode[][]): Driver & { polls: number } {
  const d = {
    name: 'k', type: 'sim' as const, capabilities: { scaleNodes: false, placeOnNode: true }, polls: 0,
    async health() { return { ok: true, message: '' }; },
    async observe(): Promise<Observation> {
      const nodes = timeline[Math.min(d.polls, timeline.length - 1)]!;
      d.polls++;
      return { nodes, instances: [], scalingHistory: [], warnings: [] };
    },
    async apply() {},
    async close() {},
  };
  return d;
}

describe('awaitRegistration', () => {
  const policy = conformancePolicy('sim');
  const pool = policy.pools[0]!;
  const before = [node('work-0', 'z-a'), node('work-1', 'z-b')];
  const now = () => '2026-11-28T10:00:00Z';

  it('waits until the new nodes are registered and ready, then binds them', async () => {
    const placer = registeringPlacer([
      before,
      [...before, node('ip-9', 'z-a', false)],
      [...before, node('ip-9', 'z-a', true), node('ip-8', 'z-b', true)],
    ]);
    const reg = await awaitRegistration({ policy, pool, placer, before, taken: new Set(), action: scale(['work-2', 'work-3']), now, timeoutMs: 5000, pollMs: 1 });
    expect(Object.fromEntries(reg.bound)).toEqual({ 'work-2': 'ip-9', 'work-3': 'ip-8' });
    expect(reg.unbound).toEqual([]);
    expect(placer.polls).toBe(3);
  });

  it('gives up after the timeout and names what did not register', async () => {
    // A fake clock (the wait's performance.now and its sleeps): the 30 ms pass only as the polls
    // sleep, never because a loaded machine was slow to make the first poll, which would time out
    // before ip-9 registers at the second.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    onTestFinished(() => void vi.useRealTimers());
    const placer = registeringPlacer([before, [...before, node('ip-9', 'z-a')]]);
    const waiting = awaitRegistration({ policy, pool, placer, before, taken: new Set(), action: scale(['work-2', 'work-3']), now, timeoutMs: 30, pollMs: 5 });
    await vi.runAllTimersAsync();
    const reg = await waiting;
    expect(Object.fromEntries(reg.bound)).toEqual({ 'work-2': 'ip-9' });
    expect(reg.unbound).toEqual(['work-3']);
    // It polled every 5 ms until the timeout, not past it: at 0, 5, …, 30 ms.
    expect(reg.waitedMs).toBe(30);
    expect(placer.polls).toBe(7);
  });

  it('stops waiting when the apply is interrupted', async () => {
    const placer = registeringPlacer([before]);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const reg = await awaitRegistration({ policy, pool, placer, before, taken: new Set(), action: scale(['work-2']), now, timeoutMs: 60_000, pollMs: 5, signal: ac.signal });
    expect(reg.unbound).toEqual(['work-2']);
  });
});

describe('NodeBindings', () => {
  it('rewrites places and moves onto registered names and reports unregistered ones', () => {
    const b = new NodeBindings();
    b.add({ bound: new Map([['work-2', 'ip-9']]), unbound: ['work-3'], waitedMs: 0 }, 'a1');
    expect(b.rewrite({ id: 'a2', type: 'place', instance: 'bot-0', agent: 'bot', pool: 'work', node: 'work-2', requests: {}, score: 1, reason: '' })).toMatchObject({ node: 'ip-9' });
    expect(b.rewrite({ id: 'a3', type: 'move', instance: 'bot-1', agent: 'bot', fromNode: 'work-0', toNode: 'work-2', reason: '' })).toMatchObject({ fromNode: 'work-0', toNode: 'ip-9' });
    expect(b.missing({ id: 'a4', type: 'place', instance: 'bot-2', agent: 'bot', pool: 'work', node: 'work-3', requests: {}, score: 1, reason: '' })).toEqual({ node: 'work-3', scaleAction: 'a1' });
    expect(b.missing({ id: 'a5', type: 'place', instance: 'bot-3', agent: 'bot', pool: 'work', node: 'work-0', requests: {}, score: 1, reason: '' })).toBeUndefined();
  });
});
