/**
 * GPU packing of best-fit-decreasing beyond the GPU-only view (issue #13): CPU and memory strand
 * GPUs, CPU-only instances must not take what pending GPU instances need, pinned instances go
 * before unconstrained ones take their nodes.
 */
import { describe, expect, it } from 'vitest';
import { decreasingOrder } from '../../src/scheduler/algorithms/ordering.js';
import { schedule } from '../../src/scheduler/index.js';
import { fragmentationScore, nodeFragmentation } from '../../src/scheduler/plugins/gpu-share/fragmentation.js';
import { makeAgent, makeInstance, makeNode, makePolicy } from './builders.js';
import { harness } from './harness.js';

describe('fragmentation over CPU and memory', () => {
  // 'hungry' needs 8 CPUs per half GPU; g-poor has 2 GPUs but only 8 CPUs for them.
  const h = harness(
    {
      agents: [
        makeAgent('hungry').replicas(2).req({ cpu: 8, memory: '1Gi', gpu: 0.5 }).obj(),
        makeAgent('batch').req({ cpu: 4, memory: '1Gi' }).obj(),
      ],
    },
    [makeNode('g-poor').capacity({ cpu: 8, memory: '64Gi' }).gpu(2).obj(), makeNode('g-rich').capacity({ cpu: 64, memory: '64Gi' }).gpu(2).obj()],
  );
  const wl = h.ctx.gpuWorkload;
  const hungry = 2 / 3; // share of the workload's instances
  it('counts free GPU as fragmented when the node lacks the CPU to use it', () => {
    // g-poor: CPU for one 'hungry' instance (500 millis) of 2000 free → 1500 stranded.
    expect(nodeFragmentation(h.node('g-poor'), wl)).toBeCloseTo(hungry * 1500);
    // g-rich: CPU for 8 instances, the devices hold 4 → nothing stranded.
    expect(nodeFragmentation(h.node('g-rich'), wl)).toBe(0);
  });
  it('scores a CPU-only instance by the GPU its CPU would strand', () => {
    const pod = h.pod('batch-0');
    const poor = fragmentationScore(pod, h.node('g-poor'), wl, nodeFragmentation(h.node('g-poor'), wl));
    const rich = fragmentationScore(pod, h.node('g-rich'), wl, nodeFragmentation(h.node('g-rich'), wl));
    expect(rich).toBe(50);
    expect(poor).toBeLessThan(rich);
  });
  it('measures changes on one yardstick for the cluster, not per node', () => {
    // Stranding the same GPU millis costs the same on a 2-GPU node as it would on an 8-GPU one.
    expect(wl.scale).toBe(2000);
    const big = harness(
      { agents: [makeAgent('hungry').replicas(2).req({ cpu: 8, memory: '1Gi', gpu: 0.5 }).obj(), makeAgent('batch').req({ cpu: 4, memory: '1Gi' }).obj()] },
      [makeNode('g-poor').capacity({ cpu: 8, memory: '64Gi' }).gpu(2).obj(), makeNode('g8').capacity({ cpu: 64, memory: '64Gi' }).gpu(8).obj()],
    );
    expect(big.ctx.gpuWorkload.scale).toBe(8000);
  });
});

describe('best-fit-decreasing keeps GPUs usable', () => {
  it('a CPU-only instance does not take the last CPU of a node whose free GPU a pending GPU instance needs', () => {
    // 'batch' (higher priority, placed first) fits both nodes; binpack alone picks g1, the fuller one,
    // and 'train' would find no node with both a free GPU and 4 CPUs.
    const r = schedule({
      policy: makePolicy({
        agents: [
          makeAgent('batch').priority(90).req({ cpu: 6, memory: '1Gi' }).obj(),
          makeAgent('train').priority(10).req({ cpu: 4, memory: '1Gi', gpu: 1 }).obj(),
          makeAgent('old').req({ cpu: 4, memory: '1Gi', gpu: 1 }).obj(),
        ],
      }),
      nodes: [makeNode('g1').capacity({ cpu: 8, memory: '32Gi' }).gpu(1).obj(), makeNode('g2').capacity({ cpu: 16, memory: '32Gi' }).gpu(1).obj()],
      instances: [makeInstance('old-0', 'old', 'g2', { gpuDevices: [0] })],
    });
    expect(r.blocked).toEqual([]);
    expect(Object.fromEntries(r.placements.map((p) => [p.instance, p.node]))).toEqual({ 'batch-0': 'g2', 'train-0': 'g1' });
  });

  it('a share goes where the CPU left still serves the GPU left', () => {
    // 'lean' (placed first by priority) fits both nodes; on g-poor it leaves half a GPU with 2 CPUs
    // (no use to 'hungry'), on g-rich half a GPU with 60 CPUs. Both 'hungry' instances need g-rich's CPUs.
    const r = schedule({
      policy: makePolicy({
        agents: [
          makeAgent('lean').priority(90).req({ cpu: 2, memory: '1Gi', gpu: 0.5 }).obj(),
          makeAgent('hungry').priority(10).replicas(2).req({ cpu: 8, memory: '1Gi', gpu: 0.5 }).obj(),
        ],
      }),
      nodes: [makeNode('g-poor').capacity({ cpu: 4, memory: '32Gi' }).gpu(1).obj(), makeNode('g-rich').capacity({ cpu: 64, memory: '32Gi' }).gpu(1).obj()],
      instances: [],
    });
    const at = Object.fromEntries(r.placements.map((p) => [p.instance, p.node]));
    expect(at['lean-0']).toBe('g-poor');
    expect(r.blocked).toEqual([]);
    expect(r.placements).toHaveLength(3);
  });

  it('places instances pinned to a scarce GPU model before unconstrained ones of the same size', () => {
    const h = harness(
      {
        agents: [
          makeAgent('any').replicas(2).req({ cpu: 1, memory: '1Gi', gpu: 1 }).obj(),
          makeAgent('pinned')
            .req({ cpu: 1, memory: '1Gi', gpu: 1 })
            .placement({ nodeSelector: { 'gpu-model': 'a10' } })
            .obj(),
        ],
      },
      [makeNode('big').label('gpu-model', 'g2').gpu(8).obj(), makeNode('small').label('gpu-model', 'a10').gpu(1).obj()],
    );
    const order = decreasingOrder([h.pod('any-0'), h.pod('any-1'), h.pod('pinned-0')], h.cluster, (p) => h.ev.statics(p).feasible);
    expect(order[0]!.name).toBe('pinned-0');
    const r = schedule({
      policy: makePolicy({
        agents: [
          makeAgent('any').replicas(9).req({ cpu: 1, memory: '1Gi', gpu: 1 }).obj(),
          makeAgent('pinned').req({ cpu: 1, memory: '1Gi', gpu: 1 }).placement({ nodeSelector: { 'gpu-model': 'a10' } }).obj(),
        ],
      }),
      nodes: [makeNode('big').label('gpu-model', 'g2').capacity({ cpu: 16, memory: '32Gi' }).gpu(8).obj(), makeNode('small').label('gpu-model', 'a10').capacity({ cpu: 16, memory: '32Gi' }).gpu(1).obj()],
      instances: [],
    });
    expect(r.placements.find((p) => p.instance === 'pinned-0')?.node).toBe('small');
  });

  it('plans the same batch byte for byte twice', () => {
    const input = () => ({
      policy: makePolicy({
        agents: [
          makeAgent('a').replicas(5).req({ cpu: 3, memory: '2Gi', gpu: 0.3 }).obj(),
          makeAgent('b').replicas(4).req({ cpu: 9, memory: '8Gi', gpu: 0.6 }).obj(),
          makeAgent('c').replicas(3).req({ cpu: 6, memory: '4Gi' }).obj(),
        ],
      }),
      nodes: ['n1', 'n2', 'n3'].map((n, i) => makeNode(n).capacity({ cpu: 8 + 16 * i, memory: '64Gi' }).gpu(2).obj()),
      instances: [],
    });
    expect(JSON.stringify(schedule(input()))).toBe(JSON.stringify(schedule(input())));
  });
});
