import { describe, expect, it } from 'vitest';
import { chooseDevices, devicesFit } from '../../../src/scheduler/framework/gpu-devices.js';
import { fragmentationScore, nodeFragmentation } from '../../../src/scheduler/plugins/gpu-share/fragmentation.js';
import { makeAgent, makeInstance, makeNode } from '../builders.js';
import { harness } from '../harness.js';

describe('GPU device choice', () => {
  const cases: { name: string; used: number[]; millis: number; want: number[] | null }[] = [
    { name: 'nothing requested', used: [1000], millis: 0, want: [] },
    { name: 'share on an empty node takes device 0', used: [0, 0], millis: 500, want: [0] },
    { name: 'share goes to the fullest device that holds it', used: [200, 600, 0], millis: 400, want: [1] },
    { name: 'share that fits no single device', used: [600, 600], millis: 500, want: null },
    { name: 'whole device needs an entirely free one', used: [100, 0], millis: 1000, want: [1] },
    { name: 'two whole devices take the lowest free ones', used: [0, 500, 0, 0], millis: 2000, want: [0, 2] },
    { name: 'not enough free devices', used: [0, 1, 0], millis: 3000, want: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const used = Int32Array.from(c.used);
      expect(chooseDevices(used, c.millis)).toEqual(c.want);
      expect(devicesFit(used, c.millis)).toBe(c.want !== null);
    });
  }
});

describe('fragmentation (FGD)', () => {
  const h = harness(
    {
      agents: [
        makeAgent('half').replicas(2).req({ cpu: 1, memory: '1Gi', gpu: 0.5 }).obj(),
        makeAgent('third').replicas(1).req({ cpu: 1, memory: '1Gi', gpu: 0.3 }).obj(),
        makeAgent('whole').replicas(1).req({ cpu: 1, memory: '1Gi', gpu: 1 }).obj(),
      ],
    },
    [makeNode('g1').capacity({ cpu: 16, memory: '64Gi' }).gpu(2).obj(), makeNode('g2').capacity({ cpu: 16, memory: '64Gi' }).gpu(2).obj()],
    [makeInstance('third-0', 'third', 'g1', { gpuDevices: [0] })],
  );
  const wl = h.ctx.gpuWorkload;
  it('an empty node has no fragmentation', () => {
    expect(nodeFragmentation(h.node('g2'), wl)).toBe(0);
  });
  it('a partly used device fragments for whole-device requests', () => {
    // device 0 has 700 free: unusable by 'whole' (share 1/4 of instances) → 0.25 × 700.
    expect(nodeFragmentation(h.node('g1'), wl)).toBeCloseTo(0.25 * 700);
  });
  it('a share prefers completing a used device over opening a fresh node', () => {
    const pod = h.pod('half-0');
    const onUsed = fragmentationScore(pod, h.node('g1'), wl, nodeFragmentation(h.node('g1'), wl));
    const onFresh = fragmentationScore(pod, h.node('g2'), wl, nodeFragmentation(h.node('g2'), wl));
    expect(onUsed).toBeGreaterThan(onFresh);
  });
});
