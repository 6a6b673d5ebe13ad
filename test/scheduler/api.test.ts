import { describe, expect, it } from 'vitest';
import { schedule } from '../../src/scheduler/index.js';
import { makeAgent, makeInstance, makeNode, makePolicy } from './builders.js';

describe('schedule() result', () => {
  const input = {
    policy: makePolicy({
      agents: [makeAgent('gpu').replicas(2).req({ cpu: 1, memory: '1Gi', gpu: 0.5 }).obj(), makeAgent('big').req({ cpu: 64 }).obj()],
    }),
    nodes: [makeNode('g1').capacity({ cpu: 8, memory: '32Gi' }).gpu(1).obj(), makeNode('c1').obj()],
    instances: [makeInstance('gone-0', 'gone', 'c1')],
  };
  const r = schedule({ ...input, explain: ['gpu-1'] });

  it('places with canonical requests, devices, a 0–100 score and a reason', () => {
    expect(r.placements.map((p) => [p.instance, p.node, p.gpuDevices])).toEqual([
      ['gpu-0', 'g1', [0]],
      ['gpu-1', 'g1', [0]],
    ]);
    const p = r.placements[0]!;
    expect(p.requests).toEqual({ cpuMillis: 1000, memoryBytes: 2 ** 30, gpuMillis: 500 });
    expect(p.score).toBeGreaterThanOrEqual(0);
    expect(p.score).toBeLessThanOrEqual(100);
    expect(p.reason).toMatch(/^new instance; best of 2\/2 nodes its placement rules allow$/);
  });

  it('aggregates blocked reasons kube-scheduler style', () => {
    expect(r.blocked).toHaveLength(1);
    expect(r.blocked[0]!.summary).toBe('0/2 nodes fit: 2 InsufficientResource(cpu)');
    expect(r.blocked[0]!.reasons.map((x) => x.code)).toEqual(['InsufficientResource', 'NoPoolCanFit']);
  });

  it('removes instances of unknown agents', () => {
    expect(r.removals).toEqual([{ instance: 'gone-0', agent: 'gone', node: 'c1', reason: 'agent gone no longer exists' }]);
  });

  it('explains requested instances with candidates and per-plugin scores', () => {
    const d = r.decisions.find((x) => x.instance === 'gpu-1')!;
    expect(d.outcome).toBe('placed');
    expect(d.candidates?.[0]?.node).toBe('g1');
    expect(Object.keys(d.candidates?.[0]?.scores ?? {})).toContain('binpack');
    expect(r.decisions.find((x) => x.instance === 'big-0')).toMatchObject({ outcome: 'blocked', filtered: { 'InsufficientResource(cpu)': 2 } });
  });

  it('warns and falls back when the algorithm needs scheduleAsync', () => {
    const g = schedule({ ...input, policy: makePolicy({ agents: input.policy.agents, profile: { algorithm: 'genetic' } }) });
    expect(g.algorithm).toBe('best-fit-decreasing');
    expect(g.warnings.join(' ')).toMatch(/genetic/);
  });

  it('keeps running instances where they are', () => {
    const kept = schedule({ ...input, instances: [makeInstance('gpu-0', 'gpu', 'g1', { gpuDevices: [0] })], explain: ['gpu-0'] });
    expect(kept.placements.map((p) => p.instance)).toEqual(['gpu-1']);
    expect(kept.decisions.find((d) => d.instance === 'gpu-0')).toMatchObject({ outcome: 'kept', node: 'g1' });
    expect(schedule({ ...input, instances: [makeInstance('gpu-0', 'gpu', 'g1')] }).decisions.map((d) => d.instance)).toEqual(['big-0', 'gpu-1']);
  });
});
