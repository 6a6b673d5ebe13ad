/** Hardening #16 item 12: an instance that needs capacity freed in the same plan waits for the action that frees it. */
import { describe, expect, it } from 'vitest';
import { makePlan } from '../src/planner/plan.js';
import type { ObservedInstance, ObservedNode } from '../src/model/state.js';
import type { PlanAction } from '../src/model/plan.js';
import { orderForCapacity } from '../src/planner/order.js';
import { AGENT, POOL, policyFrom } from './autoscaler/builders.js';

const node = (name: string, cpu: number, gpu = 0): ObservedNode => ({
  name, pool: 'p', region: 'r', zone: 'z-a', labels: {}, taints: [], ready: true, capacity: { cpuMillis: cpu * 1000, memoryBytes: 16 * 2 ** 30, ...(gpu ? { gpuMillis: gpu * 1000 } : {}) }, costPerHour: 0, powerWatts: 0,
});
const inst = (name: string, agent: string, n: string, cpu: number, gpuDevices?: number[]): ObservedInstance => ({
  name, agent, node: n, requests: { cpuMillis: cpu * 1000, memoryBytes: 2 ** 30, ...(gpuDevices ? { gpuMillis: gpuDevices.length * 1000 } : {}) }, ...(gpuDevices ? { gpuDevices } : {}),
});
const plan = (yaml: string, nodes: ObservedNode[], instances: ObservedInstance[]) =>
  makePlan({ policy: policyFrom(yaml), observed: { nodes, instances, scalingHistory: [] }, now: '2026-11-28T10:00:00Z', policyDigest: 'sha256:x', gitCommit: null, source: 'test', stateId: null, metrics: {} }).plan;
const shape = (a: PlanAction) => [a.id, a.type, 'instance' in a ? a.instance : '', a.dependsOn ?? []];

describe('apply order follows freed capacity', () => {
  it('a place onto a node a removal frees runs after the removal', () => {
    // One node of 4 CPUs: old-0 (3 CPUs) goes (replicas 1 → 0), new-0 (3 CPUs) can only go there.
    const p = plan([POOL('p', { min: 1, max: 1, initial: 1 }), AGENT('old', 0, 3), AGENT('new', 1, 3)].join('\n---\n'), [node('p-0', 4)], [inst('old-0', 'old', 'p-0', 3)]);
    const remove = p.actions.find((a) => a.type === 'remove')!;
    const place = p.actions.find((a) => a.type === 'place')!;
    expect(remove).toBeDefined();
    expect(place.dependsOn).toContain(remove.id);
    expect(Number(remove.id.slice(1))).toBeLessThan(Number(place.id.slice(1)));
  });

  it('leaves independent actions alone when the node has room for both', () => {
    const p = plan([POOL('p', { min: 1, max: 1, initial: 1 }), AGENT('old', 0, 1), AGENT('new', 1, 1)].join('\n---\n'), [node('p-0', 4)], [inst('old-0', 'old', 'p-0', 1)]);
    expect(p.actions.map(shape)).toEqual([
      ['a1', 'place', 'new-0', []],
      ['a2', 'remove', 'old-0', []],
    ]);
  });

  it('a place that takes a GPU device an evicted or removed instance holds waits for it', () => {
    const actions: PlanAction[] = [
      { id: 'a1', type: 'place', instance: 'b-0', agent: 'b', pool: 'p', node: 'g', requests: { cpuMillis: 1000, gpuMillis: 1000 }, gpuDevices: [1], score: 1, reason: '' },
      { id: 'a2', type: 'remove', instance: 'a-0', agent: 'a', node: 'g', reason: '' },
    ];
    const out = orderForCapacity({ actions, nodes: [node('g', 64, 8)], instances: [inst('a-0', 'a', 'g', 1, [1])], requestsOf: () => undefined });
    expect(out.actions.map(shape)).toEqual([
      ['a1', 'remove', 'a-0', []],
      ['a2', 'place', 'b-0', ['a1']],
    ]);
  });

  it('a move onto a node another move frees waits for it; a swap is left as it is, with a warning', () => {
    const moves: PlanAction[] = [
      { id: 'a1', type: 'move', instance: 'x', agent: 'x', fromNode: 'n1', toNode: 'n2', reason: '' },
      { id: 'a2', type: 'move', instance: 'y', agent: 'y', fromNode: 'n2', toNode: 'n3', reason: '' },
    ];
    const nodes = [node('n1', 4), node('n2', 4), node('n3', 4)];
    const out = orderForCapacity({ actions: moves, nodes, instances: [inst('x', 'x', 'n1', 3), inst('y', 'y', 'n2', 3)], requestsOf: () => undefined });
    expect(out.actions.map(shape)).toEqual([
      ['a1', 'move', 'y', []],
      ['a2', 'move', 'x', ['a1']],
    ]);
    const swap: PlanAction[] = [moves[0]!, { id: 'a2', type: 'move', instance: 'y', agent: 'y', fromNode: 'n2', toNode: 'n1', reason: '' }];
    const s = orderForCapacity({ actions: swap, nodes, instances: [inst('x', 'x', 'n1', 3), inst('y', 'y', 'n2', 3)], requestsOf: () => undefined });
    expect(s.actions.map((a) => a.id)).toEqual(['a1', 'a2']);
    expect(s.warnings.join('\n')).toMatch(/each need the other's node freed first/);
  });
});
