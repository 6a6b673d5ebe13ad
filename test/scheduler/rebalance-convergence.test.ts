/**
 * Hardening #16 item 9: a large first apply lands balanced (the next plan moves nothing), and a
 * fleet that starts unbalanced converges in a bounded number of rebalancing plans, each narrowing
 * the spread. Plans are applied in memory, as the sim driver would apply them.
 */
import { describe, expect, it } from 'vitest';
import { makePlan } from '../../src/planner/plan.js';
import type { Plan } from '../../src/model/plan.js';
import type { ObservedInstance, ObservedNode, ObservedState } from '../../src/model/state.js';
import { policyFrom } from '../autoscaler/builders.js';

const NODES = 60;
const FLEET = [
  ['tiny', 900, '250m', '512Mi'],
  ['small', 700, '500m', '1Gi'],
  ['mid', 400, '1', '4Gi'],
  ['big', 115, '4', '16Gi'],
] as const;

const yaml = (maxMoves: number) =>
  [
    `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: p}
spec:
  driver: sim
  zones: [z-a, z-b, z-c]
  node: {capacity: {cpu: 32, memory: 128Gi}}
  size: {min: ${NODES}, max: ${NODES}, initial: ${NODES}}`,
    ...FLEET.map(([n, r, cpu, mem]) => `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: ${n}, labels: {app: ${n}}}
spec: {type: worker, owner: team, replicas: ${r}, resources: {requests: {cpu: ${cpu}, memory: ${mem}}}}`),
    `apiVersion: quartermaster.dev/v1alpha1
kind: SchedulingProfile
metadata: {name: default}
spec:
  algorithm: best-fit-decreasing
  scoreWeights: {binpack: 2, balance: 1, affinity: 2, spread: 1, cost: 1, power: 0}
  rebalance: {enabled: true, maxImbalancePercent: 15, maxMovesPerRun: ${maxMoves}}
  disruptionBudget: {maxUnavailablePercent: 25}
  seed: 42`,
  ].join('\n---\n');

const nodes: ObservedNode[] = Array.from({ length: NODES }, (_, i) => ({
  name: `p-${i}`, pool: 'p', region: 'r', zone: ['z-a', 'z-b', 'z-c'][i % 3]!, labels: {}, taints: [], ready: true,
  capacity: { cpuMillis: 32_000, memoryBytes: 128 * 2 ** 30 }, costPerHour: 0, powerWatts: 0,
}));

/** Carry out a plan on an observed state, as the sim driver does. */
function applyPlan(state: ObservedState, plan: Plan): ObservedState {
  let instances = [...state.instances];
  for (const a of plan.actions) {
    if (a.type === 'place') instances.push({ name: a.instance, agent: a.agent, node: a.node, requests: a.requests });
    if (a.type === 'move') instances = instances.map((i) => (i.name === a.instance ? { ...i, node: a.toNode } : i));
    if (a.type === 'remove' || a.type === 'evict') instances = instances.filter((i) => !(i.name === a.instance && i.node === a.node));
  }
  return { ...state, instances: instances.sort((x, y) => (x.name < y.name ? -1 : 1)) };
}

/** max − min of the nodes' CPU share, in percent. */
function spread(state: ObservedState): number {
  const used = new Map(nodes.map((n) => [n.name, 0]));
  for (const i of state.instances) used.set(i.node, used.get(i.node)! + (i.requests.cpuMillis ?? 0));
  const shares = [...used.values()].map((u) => (u / 32_000) * 100);
  return Math.max(...shares) - Math.min(...shares);
}

const plan = (policyYaml: string, observed: ObservedState) =>
  makePlan({ policy: policyFrom(policyYaml), observed, now: '2026-11-28T10:00:00Z', policyDigest: 'sha256:x', gitCommit: null, source: 'test', stateId: null, metrics: {} }).plan;

describe('rebalancing settles', () => {
  it('a first apply of 2,115 instances on 60 nodes lands balanced: the next plan has no moves', () => {
    let state: ObservedState = { nodes, instances: [], scalingHistory: [] };
    const first = plan(yaml(5), state);
    expect(first.summary.place).toBe(2115);
    state = applyPlan(state, first);
    expect(spread(state)).toBeLessThanOrEqual(15);
    const second = plan(yaml(5), state);
    expect(second.summary).toMatchObject({ place: 0, move: 0, evict: 0, remove: 0 });
  });

  it('a packed fleet converges within ceil(moves needed / maxMovesPerRun) plans, each narrowing the spread', () => {
    // Everything packed onto the first nodes, as a fleet applied by an older qm would be.
    const instances: ObservedInstance[] = [];
    let n = 0;
    let used = 0;
    for (const [agent, replicas, cpu, mem] of FLEET.slice(0, 3)) {
      const milli = cpu.endsWith('m') ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000;
      for (let i = 0; i < replicas / 5; i++) {
        if (used + milli > 32_000) { n++; used = 0; }
        used += milli;
        instances.push({ name: `${agent}-${i}`, agent, node: `p-${n}`, requests: { cpuMillis: milli, memoryBytes: mem.endsWith('Mi') ? Number(mem.slice(0, -2)) * 2 ** 20 : Number(mem.slice(0, -2)) * 2 ** 30 } });
      }
    }
    // The same agents at a fifth of their replicas, and no big ones (nothing new to place).
    const small = yaml(20).replace(/replicas: (\d+)/g, (_m, r: string) => `replicas: ${r === '115' ? 0 : Number(r) / 5}`);
    let state: ObservedState = { nodes, instances: instances.sort((x, y) => (x.name < y.name ? -1 : 1)), scalingHistory: [] };
    const spreads = [spread(state)];
    let rounds = 0;
    let moves = 0;
    for (; rounds < 40; rounds++) {
      const p = plan(small, state);
      expect(p.summary.place).toBe(0);
      if (p.summary.move === 0) break;
      expect(p.summary.move).toBeLessThanOrEqual(20);
      moves += p.summary.move;
      state = applyPlan(state, p);
      spreads.push(spread(state));
    }
    // Monotone: every rebalancing plan narrows (or keeps) the spread, and it ends inside the bound.
    for (let i = 1; i < spreads.length; i++) expect(spreads[i]!).toBeLessThanOrEqual(spreads[i - 1]! + 1e-9);
    expect(spreads.at(-1)!).toBeLessThanOrEqual(15 + 100 / 32); // within the bound, up to one instance's share
    // Every plan but the last uses its whole move budget: no plan is wasted, none moves back.
    expect(rounds).toBeGreaterThan(1);
    expect(rounds).toBe(Math.ceil(moves / 20));
    expect(moves).toBeLessThan(instances.length);
  });
});
