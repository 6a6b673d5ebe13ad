/** Stranded and fragmented GPU per pool (issue #13 item 4): table-driven over small node/instance builders. */
import { describe, expect, it } from 'vitest';
import { gpuWaste } from '../../src/planner/gpu-waste.js';
import { makePlan } from '../../src/planner/plan.js';
import type { PlanBlocked } from '../../src/model/plan.js';
import type { AgentDoc } from '../../src/model/documents.js';
import type { ObservedInstance, ObservedNode } from '../../src/model/state.js';
import { makeAgent, makeInstance, makeNode, makePolicy, makePool, res } from '../scheduler/builders.js';

/** A 'gpu'-pool node with `devices` GPUs, `cpu` cores and `mem` GiB. */
const node = (name: string, devices: number, cpu = 8, mem = 32, pool = 'gpu'): ObservedNode => makeNode(name).pool(pool).capacity({ cpu, memory: `${mem}Gi` }).gpu(devices).obj();
/** An instance using `gpu` (millis on each listed device) plus CPU and memory. */
const inst = (name: string, n: string, r: Record<string, unknown>, gpuDevices?: number[]): ObservedInstance => makeInstance(name, name.replace(/-\d+$/, ''), n, { requests: res(r), ...(gpuDevices ? { gpuDevices } : {}) });
const blocked = (agent: string, count = 1): PlanBlocked[] => Array.from({ length: count }, (_, i) => ({ instance: `${agent}-${i}`, agent, reasons: [{ code: 'InsufficientResource', message: 'gpu' }] }));

interface Case {
  name: string;
  agents: AgentDoc[];
  nodes: ObservedNode[];
  instances: ObservedInstance[];
  blocked: PlanBlocked[];
  want: { capacityMillis: number; freeMillis: number; strandedMillis: number; fragmentedMillis: number; blockedInstances: number } | undefined;
}

const wantGpu = (capacityMillis: number, freeMillis: number, strandedMillis: number, fragmentedMillis: number, blockedInstances: number) => ({ capacityMillis, freeMillis, strandedMillis, fragmentedMillis, blockedInstances });

const cases: Case[] = [
  {
    name: 'a node with free GPU but no CPU left strands its free GPU',
    agents: [makeAgent('cpu').req({ cpu: 8 }).obj(), makeAgent('train').req({ gpu: 1, cpu: 2, memory: '4Gi' }).obj()],
    nodes: [node('g1', 4)],
    instances: [inst('cpu-0', 'g1', { cpu: 8 })],
    blocked: blocked('train'),
    want: wantGpu(4000, 4000, 4000, 0, 1),
  },
  {
    name: 'a node short of memory only strands too',
    agents: [makeAgent('mem').req({ cpu: 1, memory: '30Gi' }).obj(), makeAgent('train').req({ gpu: 1, cpu: 2, memory: '4Gi' }).obj()],
    nodes: [node('g1', 2)],
    instances: [inst('mem-0', 'g1', { cpu: 1, memory: '30Gi' })],
    blocked: blocked('train'),
    want: wantGpu(2000, 2000, 2000, 0, 1),
  },
  {
    name: 'free 0.3 GPU shares with pending 0.5 requests are fragmented',
    agents: [makeAgent('share').req({ gpu: 0.7, cpu: 1 }).obj(), makeAgent('half').req({ gpu: 0.5, cpu: 1 }).obj()],
    nodes: [node('g1', 2)],
    instances: [inst('share-0', 'g1', { gpu: 0.7, cpu: 1 }, [0]), inst('share-1', 'g1', { gpu: 0.7, cpu: 1 }, [1])],
    blocked: blocked('half', 3),
    want: wantGpu(2000, 600, 0, 600, 3),
  },
  {
    name: 'a whole-GPU request does not fit two half-free devices: fragmented',
    agents: [makeAgent('share').req({ gpu: 0.5, cpu: 1 }).obj(), makeAgent('big').req({ gpu: 1, cpu: 1 }).obj()],
    nodes: [node('g1', 2)],
    instances: [inst('share-0', 'g1', { gpu: 0.5, cpu: 1 }, [0]), inst('share-1', 'g1', { gpu: 0.5, cpu: 1 }, [1])],
    blocked: blocked('big'),
    want: wantGpu(2000, 1000, 0, 1000, 1),
  },
  {
    name: 'free GPU a pending request can use is neither stranded nor fragmented',
    agents: [makeAgent('half').req({ gpu: 0.5, cpu: 1 }).obj()],
    nodes: [node('g1', 2)],
    instances: [inst('half-0', 'g1', { gpu: 0.5, cpu: 1 }, [0])],
    blocked: [],
    want: wantGpu(2000, 1500, 0, 0, 0),
  },
  {
    name: 'without pending GPU work the typical (Agents\') requests are the reference; devices unrecorded are chosen best-fit',
    agents: [makeAgent('big').req({ gpu: 2, cpu: 1 }).obj()],
    nodes: [node('g1', 2), node('g2', 4)],
    instances: [inst('big-0', 'g1', { gpu: 1, cpu: 1 }), inst('big-1', 'g2', { gpu: 1, cpu: 1 }, [3])],
    blocked: [],
    want: wantGpu(6000, 4000, 0, 1000, 0),
  },
  {
    name: 'stranded wins over fragmented on the same node; pending work of another pool is not this pool\'s reference',
    agents: [makeAgent('cpu').req({ cpu: 8 }).obj(), makeAgent('half').req({ gpu: 0.5, cpu: 1 }).pools('gpu').obj(), makeAgent('elsewhere').req({ gpu: 0.1, cpu: 0.1 }).pools('other').obj()],
    nodes: [node('g1', 1), node('g2', 1)],
    instances: [inst('cpu-0', 'g1', { cpu: 7.5 }), inst('half-0', 'g1', { gpu: 0.6, cpu: 0.5 }, [0]), inst('half-1', 'g2', { gpu: 0.6, cpu: 1 }, [0])],
    blocked: [...blocked('half'), ...blocked('elsewhere')],
    want: wantGpu(2000, 800, 400, 400, 1),
  },
  {
    name: 'a pool without GPUs has no GPU figures',
    agents: [makeAgent('cpu').req({ cpu: 1 }).obj()],
    nodes: [node('c1', 0)],
    instances: [],
    blocked: [],
    want: undefined,
  },
  {
    name: 'nodes that are not ready give no capacity',
    agents: [makeAgent('half').req({ gpu: 0.5, cpu: 1 }).obj()],
    nodes: [{ ...node('g1', 2), ready: false }, node('g2', 1)],
    instances: [],
    blocked: blocked('half'),
    want: wantGpu(1000, 1000, 0, 0, 1),
  },
];

describe('gpuWaste', () => {
  it.each(cases)('$name', (c) => {
    const policy = makePolicy({ pools: [makePool('gpu').obj(), makePool('other').obj()], agents: c.agents });
    expect(gpuWaste(policy, c.nodes, c.instances, c.blocked).get('gpu')).toEqual(c.want);
  });

  it('does not depend on the order of nodes and instances', () => {
    const c = cases[6]!;
    const policy = makePolicy({ pools: [makePool('gpu').obj()], agents: c.agents });
    const a = gpuWaste(policy, c.nodes, c.instances, c.blocked).get('gpu');
    const b = gpuWaste(policy, [...c.nodes].reverse(), [...c.instances].reverse(), [...c.blocked].reverse()).get('gpu');
    expect(b).toEqual(a);
  });
});

describe('makePlan', () => {
  it('puts the GPU figures on pools[] with GPUs, after the plan, and only there', () => {
    // 'cpu' already runs on the GPU node and fills its CPU, so the blocked 'train' instance sees its
    // 2 GPUs stranded. (Were both pending, the planner would place the GPU instance first.)
    const policy = makePolicy({
      pools: [makePool('gpu').obj(), makePool('plain').obj()],
      agents: [makeAgent('cpu').pools('gpu').req({ cpu: 8 }).obj(), makeAgent('train').replicas(1).pools('gpu').req({ gpu: 1, cpu: 2 }).obj()],
    });
    const observed = { nodes: [node('g1', 2), makeNode('c1').pool('plain').obj()], instances: [inst('cpu-0', 'g1', { cpu: 8 })], scalingHistory: [] };
    const { plan } = makePlan({ policy, observed, now: '2026-11-28T10:00:00Z', policyDigest: 'sha256:x', gitCommit: null, source: 'test', stateId: null, metrics: {} });
    expect(plan.blocked.map((b) => b.agent)).toEqual(['train']);
    expect(plan.pools.find((p) => p.name === 'gpu')!.gpu).toEqual(wantGpu(2000, 2000, 2000, 0, 1));
    expect(plan.pools.find((p) => p.name === 'plain')!.gpu).toBeUndefined();
  });
});
