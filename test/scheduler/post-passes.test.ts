import { describe, expect, it } from 'vitest';
import { consolidate, nodesWithRoom } from '../../src/scheduler/consolidate.js';
import { improve } from '../../src/scheduler/improve.js';
import { schedule } from '../../src/scheduler/index.js';
import { makeAgent, makeInstance, makeNode, makePolicy } from './builders.js';
import { harness } from './harness.js';

const noQuota = { remove: () => {}, add: () => {} };

describe('consolidation', () => {
  it('empties the least loaded node when its planned instances fit elsewhere', () => {
    const h = harness({ agents: [makeAgent('a').replicas(3).req({ cpu: 1 }).obj()] }, ['n1', 'n2', 'n3'].map((n) => makeNode(n).capacity({ cpu: 4, memory: '8Gi' }).obj()));
    h.cluster.place(h.pod('a-0'), 0, []);
    h.cluster.place(h.pod('a-1'), 1, []);
    h.cluster.place(h.pod('a-2'), 2, []);
    const moved: string[] = [];
    const emptied = consolidate(h.cluster, h.ev, () => true, { ...noQuota, moved: (p) => moved.push(p.name) });
    expect(emptied).toBe(2);
    expect(new Set([h.pod('a-0').node, h.pod('a-1').node, h.pod('a-2').node]).size).toBe(1);
    expect(new Set(moved).size).toBeGreaterThanOrEqual(2);
  });
  it('never moves running instances', () => {
    const h = harness(
      { agents: [makeAgent('a').replicas(2).req({ cpu: 1 }).obj()] },
      ['n1', 'n2'].map((n) => makeNode(n).obj()),
      [makeInstance('a-0', 'a', 'n1'), makeInstance('a-1', 'a', 'n2')],
    );
    expect(consolidate(h.cluster, h.ev, () => false, { ...noQuota, moved: () => {} })).toBe(0);
  });
});

describe('swap improvement', () => {
  it('lets two blocked shares replace one that strands a sliver', () => {
    const h = harness(
      { agents: [makeAgent('big').req({ cpu: 1, memory: '1Gi', gpu: 0.81 }).obj(), makeAgent('half').replicas(2).req({ cpu: 1, memory: '1Gi', gpu: 0.47 }).obj()] },
      [makeNode('g1').capacity({ cpu: 8, memory: '32Gi' }).gpu(1).obj()],
    );
    h.cluster.place(h.pod('big-0'), 0, [0]);
    const swaps = improve(h.cluster, h.ev, [h.pod('half-0'), h.pod('half-1')], () => true, noQuota);
    expect(swaps.map((s) => [s.displaced.name, s.placed.map((p) => p.name)])).toEqual([['big-0', ['half-0', 'half-1']]]);
    expect(h.node('g1').gpuUsed[0]).toBe(940);
  });
  it('does not displace a more important instance', () => {
    const h = harness(
      { agents: [makeAgent('big').priority(90).req({ cpu: 1, memory: '1Gi', gpu: 0.81 }).obj(), makeAgent('half').replicas(2).req({ cpu: 1, memory: '1Gi', gpu: 0.47 }).obj()] },
      [makeNode('g1').capacity({ cpu: 8, memory: '32Gi' }).gpu(1).obj()],
    );
    h.cluster.place(h.pod('big-0'), 0, [0]);
    expect(improve(h.cluster, h.ev, [h.pod('half-0'), h.pod('half-1')], () => true, noQuota)).toEqual([]);
    expect(h.pod('big-0').node).toBe(0);
  });
  it('runs inside best-fit-decreasing and reports the displaced instance as blocked', () => {
    const r = schedule({
      policy: makePolicy({ agents: [makeAgent('big').req({ cpu: 1, memory: '1Gi', gpu: 0.81 }).obj(), makeAgent('half').replicas(2).req({ cpu: 1, memory: '1Gi', gpu: 0.47 }).obj()] }),
      nodes: [makeNode('g1').capacity({ cpu: 8, memory: '32Gi' }).gpu(1).obj()],
      instances: [],
    });
    expect(r.placements.map((p) => p.instance).sort()).toEqual(['half-0', 'half-1']);
    expect(r.blocked.map((b) => b.instance)).toEqual(['big-0']);
    expect(r.blocked[0]!.summary).toMatch(/gave way on its node to half-0, half-1/);
  });
});

describe('consolidation on a full cluster', () => {
  it('skips nodes without room for the smallest candidate and still empties where it can', () => {
    // full-1 and full-2 are full; spare has room for one 1-CPU instance; n-a and n-b hold planned instances.
    const h = harness(
      { agents: [makeAgent('fill').replicas(2).req({ cpu: 4 }).obj(), makeAgent('a').replicas(2).req({ cpu: 1 }).obj(), makeAgent('big').req({ cpu: 3 }).obj()] },
      ['full-1', 'full-2', 'spare', 'n-a', 'n-b'].map((n) => makeNode(n).capacity({ cpu: 4, memory: '8Gi' }).obj()),
    );
    const at = (pod: string, node: string) => h.cluster.place(h.pod(pod), h.node(node).index, []);
    at('fill-0', 'full-1');
    at('fill-1', 'full-2');
    at('big-0', 'spare');
    at('a-0', 'n-a');
    at('a-1', 'n-b');
    const planned = new Set(['a-0', 'a-1']);
    const names = (idx: number[]) => idx.map((i) => h.cluster.nodes[i]!.name);
    expect(names(nodesWithRoom(h.cluster.nodes, [h.node('n-a').index, h.node('n-b').index]))).toEqual(['n-a', 'n-b', 'spare']);
    const moved: string[] = [];
    const emptied = consolidate(h.cluster, h.ev, (p) => planned.has(p.name), { ...noQuota, moved: (p) => moved.push(p.name) });
    // a-0 takes spare's last CPU (the fuller node scores higher); a-1 then has nowhere to go.
    expect(emptied).toBe(1);
    expect(h.node('spare').pods.map((p) => p.name).sort()).toEqual(['a-0', 'big-0']);
    expect(h.node('n-b').pods.map((p) => p.name)).toEqual(['a-1']);
    expect(h.node('full-1').pods.map((p) => p.name)).toEqual(['fill-0']);
    expect(h.node('full-2').pods.map((p) => p.name)).toEqual(['fill-1']);
    expect(moved).toHaveLength(1);
  });
});

describe('rebalancing instances this plan places', () => {
  const run = (maxMovesPerRun: number, instances: ReturnType<typeof makeInstance>[] = []) =>
    schedule({
      policy: makePolicy({
        agents: [makeAgent('w').replicas(4).req({ cpu: 2, memory: '1Gi' }).obj()],
        profile: { scoreWeights: { binpack: 5, balance: 0, affinity: 1, spread: 1, cost: 0, power: 0 }, rebalance: { enabled: true, maxImbalancePercent: 10, maxMovesPerRun } },
      }),
      nodes: ['n1', 'n2'].map((n) => makeNode(n).capacity({ cpu: 10, memory: '64Gi' }).obj()),
      instances,
    });
  const perNode = (r: ReturnType<typeof schedule>) => {
    const c: Record<string, number> = {};
    for (const p of r.placements) c[p.node] = (c[p.node] ?? 0) + 1;
    return c;
  };

  it('places them balanced instead of packing and moving them in the next plan; they are not moves', () => {
    const r = run(0);
    expect(perNode(r)).toEqual({ n1: 2, n2: 2 });
    expect(r.moves).toEqual([]);
    expect(r.placements.filter((p) => /; rebalance pool .*; rebalanced from n\d$/.test(p.reason))).toHaveLength(2);
  });

  it('without rebalancing the same weights pack them on one node', () => {
    const r = schedule({
      policy: makePolicy({ agents: [makeAgent('w').replicas(4).req({ cpu: 2, memory: '1Gi' }).obj()], profile: { scoreWeights: { binpack: 5, balance: 0, affinity: 1, spread: 1, cost: 0, power: 0 } } }),
      nodes: ['n1', 'n2'].map((n) => makeNode(n).capacity({ cpu: 10, memory: '64Gi' }).obj()),
      instances: [],
    });
    expect(Object.values(perNode(r))).toEqual([4]);
  });

  it('prefers replanning new instances to moving running ones', () => {
    const r = run(10, [makeInstance('w-0', 'w', 'n1'), makeInstance('w-1', 'w', 'n1')]);
    expect(r.moves).toEqual([]);
    expect(perNode(r)).toEqual({ n2: 2 });
  });
});
