import { describe, expect, it } from 'vitest';
import { pickNode, type NodeVictims } from '../../../src/scheduler/preemption/victims.js';
import type { Pod } from '../../../src/scheduler/framework/workload.js';

const pod = (name: string, priority: number, startedAt?: string): Pod =>
  ({ name, agent: { priority, cls: 'burstable' }, ...(startedAt ? { startedAt } : {}) }) as unknown as Pod;
const option = (node: number, violating: number, ...victims: Pod[]): NodeVictims => ({ node, violating, victims });

describe('pickNode (kube pickOneNodeForPreemption)', () => {
  const cases: { name: string; options: NodeVictims[]; want: number }[] = [
    { name: 'fewest budget violations', options: [option(0, 1, pod('a', 1)), option(1, 0, pod('b', 9))], want: 1 },
    { name: 'lowest highest-victim priority', options: [option(0, 0, pod('a', 9), pod('b', 1)), option(1, 0, pod('c', 5), pod('d', 5))], want: 1 },
    { name: 'lowest sum of priorities', options: [option(0, 0, pod('a', 5), pod('b', 5)), option(1, 0, pod('c', 5), pod('d', 1))], want: 1 },
    { name: 'fewer victims before a lower sum (kube adds MaxInt32 + 1 per victim)', options: [option(0, 0, pod('a', 10), pod('b', 0), pod('c', 0)), option(1, 0, pod('d', 10), pod('e', 5))], want: 1 },
    { name: 'fewest victims', options: [option(0, 0, pod('a', 5), pod('b', 0)), option(1, 0, pod('c', 6))], want: 0 },
    { name: 'latest start among the most important victims', options: [option(0, 0, pod('a', 5, '2026-01-01')), option(1, 0, pod('b', 5, '2026-02-01'))], want: 1 },
    { name: 'first node among equals', options: [option(3, 0, pod('a', 5)), option(1, 0, pod('b', 5))], want: 1 },
  ];
  for (const c of cases) it(c.name, () => expect(pickNode(c.options)?.node).toBe(c.want));
  it('nothing to pick', () => expect(pickNode([])).toBeUndefined());
});
