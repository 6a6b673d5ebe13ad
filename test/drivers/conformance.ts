/**
 * The driver conformance suite: every driver must pass it (issue: driver contract). It drives a
 * driver through observe and every action type against a small policy and checks what it observes
 * back. Each driver's test file calls `describeDriverConformance` with a factory.
 */
import { describe, expect, it } from 'vitest';
import type { Driver, DriverContext } from '../../src/drivers/contract.js';
import { DriverError } from '../../src/drivers/contract.js';
import type { PolicySet } from '../../src/model/documents.js';
import type { PlaceAction } from '../../src/model/plan.js';
import { validateFiles } from '../../src/config/validate.js';

export const CONFORMANCE_POLICY_FILES = [
  {
    path: 'pools/work.yaml',
    text: `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: work}
spec:
  zones: [z-a, z-b]
  node:
    capacity: {cpu: 4, memory: 8Gi}
    labels: {disk: ssd}
  size: {min: 1, max: 4, initial: 2}
`,
  },
  {
    path: 'agents/bot.yaml',
    text: `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: bot}
spec:
  owner: team
  replicas: 2
  resources:
    requests: {cpu: 500m, memory: 256Mi}
  runtime: {image: "agent:local", command: ["sleep", "3600"]}
`,
  },
];

/** The conformance policy with every pool's driver set to `driver`. */
export function conformancePolicy(driver: string, extraFiles: { path: string; text: string }[] = []): PolicySet {
  const files = CONFORMANCE_POLICY_FILES.map((f) => ({ ...f, text: f.text.replace('spec:\n  zones', `spec:\n  driver: ${driver}\n  zones`) }));
  const r = validateFiles([...files, ...extraFiles]);
  if (!r.policy) throw new Error('conformance policy invalid: ' + JSON.stringify(r.diagnostics));
  return r.policy;
}

export interface ConformanceHarness {
  driver: Driver;
  policy: PolicySet;
  cleanup(): Promise<void>;
}

export function describeDriverConformance(name: string, make: () => Promise<ConformanceHarness>, opts: { skip?: boolean } = {}): void {
  describe.skipIf(opts.skip ?? false)(`driver conformance: ${name}`, () => {
    const ctx = (h: ConformanceHarness): DriverContext => ({ policy: h.policy, pools: h.policy.pools, now: '2026-11-28T10:00:00Z' });
    const place = (instance: string, node: string): PlaceAction => ({ id: 'a1', type: 'place', instance, agent: 'bot', pool: 'work', node, requests: { cpuMillis: 500, memoryBytes: 256 * 2 ** 20 }, score: 50, reason: 'conformance' });
    const run = async (fn: (h: ConformanceHarness) => Promise<void>) => {
      const h = await make();
      try {
        await fn(h);
      } finally {
        await h.driver.close();
        await h.cleanup();
      }
    };

    it('reports health and capabilities', () =>
      run(async (h) => {
        expect((await h.driver.health(ctx(h))).ok).toBe(true);
        expect(typeof h.driver.capabilities.scaleNodes).toBe('boolean');
        expect(typeof h.driver.capabilities.placeOnNode).toBe('boolean');
      }));

    it('observes the served pools\' nodes with capacity, zone and readiness, and no instances at first', () =>
      run(async (h) => {
        const obs = await h.driver.observe(ctx(h));
        expect(obs.nodes.length).toBeGreaterThan(0);
        for (const n of obs.nodes) {
          expect(n.pool).toBe('work');
          expect(n.ready).toBe(true);
          expect(n.capacity.cpuMillis).toBeGreaterThan(0);
          expect(n.zone).toMatch(/\S/);
        }
        expect(obs.instances).toEqual([]);
      }));

    it('places, moves and removes an instance, observing each step; actions are idempotent', () =>
      run(async (h) => {
        const [n0, n1] = (await h.driver.observe(ctx(h))).nodes.map((n) => n.name);
        expect(n1, 'the conformance pool needs two nodes').toBeDefined();
        const c = { ...ctx(h), planId: 'sha256:conformance' };
        await h.driver.apply(place('bot-0', n0!), c);
        await h.driver.apply(place('bot-0', n0!), c);
        let obs = await h.driver.observe(ctx(h));
        expect(obs.instances.map((i) => [i.name, i.agent, i.node])).toEqual([['bot-0', 'bot', n0]]);
        expect(obs.instances[0]!.requests.cpuMillis).toBe(500);
        await h.driver.apply({ id: 'a2', type: 'move', instance: 'bot-0', agent: 'bot', fromNode: n0!, toNode: n1!, reason: 'conformance' }, c);
        obs = await h.driver.observe(ctx(h));
        expect(obs.instances.map((i) => [i.name, i.node])).toEqual([['bot-0', n1]]);
        await h.driver.apply({ id: 'a3', type: 'remove', instance: 'bot-0', agent: 'bot', node: n1!, reason: 'conformance' }, c);
        await h.driver.apply({ id: 'a3', type: 'remove', instance: 'bot-0', agent: 'bot', node: n1!, reason: 'conformance' }, c);
        expect((await h.driver.observe(ctx(h))).instances).toEqual([]);
      }));

    it('evicts an instance', () =>
      run(async (h) => {
        const [n0] = (await h.driver.observe(ctx(h))).nodes.map((n) => n.name);
        const c = { ...ctx(h), planId: 'sha256:conformance' };
        await h.driver.apply(place('bot-1', n0!), c);
        await h.driver.apply({ id: 'a2', type: 'evict', instance: 'bot-1', agent: 'bot', node: n0!, reason: 'preempted' }, c);
        expect((await h.driver.observe(ctx(h))).instances).toEqual([]);
      }));

    it('adds and removes nodes when it can scale', () =>
      run(async (h) => {
        if (!h.driver.capabilities.scaleNodes) return;
        const before = (await h.driver.observe(ctx(h))).nodes.map((n) => n.name).sort();
        const c = { ...ctx(h), planId: 'sha256:conformance' };
        const added = `work-${before.length + 5}`;
        await h.driver.apply({ id: 'a1', type: 'scalePool', pool: 'work', from: before.length, to: before.length + 1, addNodes: [added], removeNodes: [], reason: 'conformance' }, c);
        const mid = (await h.driver.observe(ctx(h))).nodes.map((n) => n.name).sort();
        expect(mid).toEqual([...before, added].sort());
        await h.driver.apply({ id: 'a2', type: 'scalePool', pool: 'work', from: before.length + 1, to: before.length, addNodes: [], removeNodes: [added], reason: 'conformance' }, c);
        expect((await h.driver.observe(ctx(h))).nodes.map((n) => n.name).sort()).toEqual(before);
      }));

    it('fails with a DriverError naming the host and the action', () =>
      run(async (h) => {
        const c = { ...ctx(h), planId: 'sha256:conformance' };
        const err = await h.driver.apply(place('bot-0', 'no-such-node'), c).then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(DriverError);
        expect((err as DriverError).message).toMatch(/no-such-node/);
        expect((err as DriverError).message).toMatch(/place bot-0/);
      }));
  });
}
