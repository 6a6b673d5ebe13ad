import { describe, expect, it } from 'vitest';
import { fitStatus, reserveFactor } from '../../../src/scheduler/plugins/node-resources/fit.js';
import { balanceScore, mostAllocatedScore } from '../../../src/scheduler/plugins/node-resources/scoring.js';
import { makeAgent, makeInstance, makeNode, makePool } from '../builders.js';
import { harness } from '../harness.js';

describe('node-resources fit', () => {
  const cases: { name: string; node: Record<string, unknown>; used?: Record<string, unknown>; req: Record<string, unknown>; cls?: 'guaranteed' | 'burstable'; overcommit?: Record<string, number>; want: string }[] = [
    { name: 'fits an empty node', node: { cpu: 4, memory: '8Gi' }, req: { cpu: 4, memory: '8Gi' }, want: 'Success' },
    { name: 'cpu short', node: { cpu: 4, memory: '8Gi' }, used: { cpu: 3 }, req: { cpu: 2 }, want: 'InsufficientResource(cpu)' },
    { name: 'cpu and memory short', node: { cpu: 4, memory: '8Gi' }, used: { cpu: 3, memory: '7Gi' }, req: { cpu: 2, memory: '2Gi' }, want: 'InsufficientResource(cpu, memory)' },
    { name: 'extended resource short', node: { cpu: 4, memory: '8Gi', 'example.com/fpga': 1 }, req: { 'example.com/fpga': 2 }, want: 'InsufficientResource(example.com/fpga)' },
    { name: 'extended resource absent on node', node: { cpu: 4, memory: '8Gi' }, req: { 'example.com/fpga': 1 }, want: 'InsufficientResource(example.com/fpga)' },
    { name: 'overcommit admits burstable', node: { cpu: 4, memory: '8Gi' }, used: { cpu: 4 }, req: { cpu: 2 }, overcommit: { cpu: 2 }, want: 'Success' },
    { name: 'overcommit does not admit guaranteed beyond capacity', node: { cpu: 4, memory: '8Gi' }, used: { cpu: 0 }, req: { cpu: 5 }, cls: 'guaranteed', overcommit: { cpu: 2 }, want: 'InsufficientResource(cpu)' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pool = makePool('p');
      if (c.overcommit) pool.overcommit(c.overcommit);
      const agents = [makeAgent('x').req(c.req).cls(c.cls ?? 'burstable').obj()];
      const instances = [];
      if (c.used) {
        agents.push(makeAgent('used').req(c.used).obj());
        instances.push(makeInstance('used-0', 'used', 'n1'));
      }
      const h = harness({ pools: [pool.obj()], agents }, [makeNode('n1').pool('p').capacity(c.node).obj()], instances);
      const st = fitStatus(h.pod('x-0'), h.node('n1'), h.cluster.res.keys);
      expect(st.code === 'Success' ? 'Success' : `${st.code}(${st.reasons.join(', ')})`).toBe(c.want);
    });
  }

  it('reserve applies below the priority threshold only', () => {
    const h = harness({ pools: [makePool('p').reserve(10, 80).obj()], agents: [makeAgent('a').obj()] }, [makeNode('n1').pool('p').obj()]);
    expect(reserveFactor(h.node('n1'), 79)).toBeCloseTo(0.9);
    expect(reserveFactor(h.node('n1'), 80)).toBe(1);
  });
});

describe('allocation scores', () => {
  const h = harness(
    { agents: [makeAgent('x').req({ cpu: 1, memory: '2Gi' }).obj(), makeAgent('used').req({ cpu: 2, memory: '2Gi' }).obj()] },
    [makeNode('full').capacity({ cpu: 4, memory: '8Gi' }).obj(), makeNode('empty').capacity({ cpu: 4, memory: '8Gi' }).obj()],
    [makeInstance('used-0', 'used', 'full')],
  );
  const pod = h.pod('x-0');
  it('binpack prefers the fuller node', () => {
    expect(mostAllocatedScore(pod, h.node('full'))).toBeGreaterThan(mostAllocatedScore(pod, h.node('empty')));
    // (3/4 + 4/8) / 2 = 62.5
    expect(mostAllocatedScore(pod, h.node('full'))).toBeCloseTo(62.5);
  });
  it('balance prefers the emptier node', () => {
    expect(balanceScore(pod, h.node('empty'))).toBeGreaterThan(balanceScore(pod, h.node('full')));
  });
  it('scores stay within 0–100', () => {
    for (const n of ['full', 'empty']) {
      for (const s of [mostAllocatedScore(pod, h.node(n)), balanceScore(pod, h.node(n))]) {
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(100);
      }
    }
  });
});
