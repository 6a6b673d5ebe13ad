import { describe, expect, it } from 'vitest';
import { schedule, scheduleAsync } from '../../src/scheduler/index.js';
import { makeAgent, makeNode, makePolicy } from './builders.js';

/** Items 6+4 and 5+5 fit two nodes of 10 only when paired right; first-fit by size also finds it, so mix sizes. */
const input = (algorithm: 'optimal' | 'best-fit-decreasing' | 'greedy') => ({
  policy: makePolicy({
    agents: [
      makeAgent('a').replicas(2).req({ cpu: 6, memory: '1Gi' }).obj(),
      makeAgent('b').replicas(2).req({ cpu: 4, memory: '1Gi' }).obj(),
      makeAgent('c').replicas(2).req({ cpu: 5, memory: '1Gi' }).obj(),
    ],
    profile: { algorithm, timeBudget: 5 },
  }),
  nodes: ['n1', 'n2', 'n3', 'n4'].map((n) => makeNode(n).capacity({ cpu: 10, memory: '16Gi' }).obj()),
  instances: [],
});

const nodesUsed = (r: { placements: { node: string }[] }) => new Set(r.placements.map((p) => p.node)).size;

describe('optimal (MILP through highs)', () => {
  it('places everything on the fewest nodes', async () => {
    const r = await scheduleAsync(input('optimal'));
    expect(r.algorithm).toBe('optimal');
    expect(r.placements).toHaveLength(6);
    expect(nodesUsed(r)).toBe(3);
    expect(r.warnings.filter((w) => w.startsWith('optimal'))).toEqual([]);
  });
  it('is deterministic', async () => {
    expect(JSON.stringify(await scheduleAsync(input('optimal')))).toBe(JSON.stringify(await scheduleAsync(input('optimal'))));
  });
  it('scheduleAsync runs other algorithms like schedule()', async () => {
    expect(JSON.stringify(await scheduleAsync(input('greedy')))).toBe(JSON.stringify(schedule(input('greedy'))));
  });
  it('falls back with a warning naming the limit when the problem is too big', async () => {
    const big = input('optimal');
    big.policy = makePolicy({ agents: [makeAgent('many').replicas(60).req({ cpu: 0.1 }).obj()], profile: { algorithm: 'optimal' } });
    big.nodes = Array.from({ length: 100 }, (_, i) => makeNode(`n${i}`).obj());
    const r = await scheduleAsync(big);
    expect(r.algorithm).toBe('best-fit-decreasing');
    expect(r.warnings.join(' ')).toMatch(/6000 assignment variables, above the limit of 5000/);
  });
});

describe('genetic (evolved score weights)', () => {
  it('is deterministic and at least as good as best-fit-decreasing', async () => {
    const g = input('optimal');
    g.policy = makePolicy({ agents: g.policy.agents, profile: { algorithm: 'genetic', timeBudget: 3 } });
    const a = await scheduleAsync(g);
    expect(a.algorithm).toBe('genetic');
    expect(JSON.stringify(await scheduleAsync(g))).toBe(JSON.stringify(a));
    const bfd = schedule(input('best-fit-decreasing'));
    expect(a.placements.length).toBeGreaterThanOrEqual(bfd.placements.length);
    expect(nodesUsed(a)).toBeLessThanOrEqual(nodesUsed(bfd));
    expect(a.warnings.join(' ')).toMatch(/genetic: best of 12 plans/);
  });
});
