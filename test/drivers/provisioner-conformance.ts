/**
 * The provisioner conformance suite (issue #12): what every driver that changes a pool's node count
 * (capabilities.scaleNodes: exec plugins, clusterapi, aws) must do, on the conformance policy's pool
 * `work` (test/drivers/conformance.ts). A provisioner returns once the cloud accepted the new size;
 * the nodes appear later, through the pool's placing driver (`observer`, which may be the
 * provisioner itself). Each backend's test file calls `describeProvisionerConformance` with a factory.
 */
import { describe, expect, it } from 'vitest';
import type { ApplyContext, Driver, DriverContext } from '../../src/drivers/contract.js';
import { DriverError } from '../../src/drivers/contract.js';
import type { PolicySet } from '../../src/model/documents.js';
import type { ScalePoolAction } from '../../src/model/plan.js';
import type { ObservedNode } from '../../src/model/state.js';

export interface ProvisionerHarness {
  /** The driver under test: it gets the scalePool actions. */
  provisioner: Driver;
  /** The driver that observes the pool's nodes (the provisioner itself, or e.g. kubernetes for aws). */
  observer: Driver;
  /** A policy whose pool `work` both serve (conformancePolicy(…)), with at least 2 nodes at first. */
  policy: PolicySet;
  /**
   * True when freshly requested nodes are known not to be visible on the first observation after
   * the scale-up returned (the backend makes them register late); the suite then checks they are not.
   */
  registersLate: boolean;
  /**
   * Called between observations while waiting for nodes: lets a fake cloud boot its machines
   * (register them in a Kubernetes test server, …). Absent: observation alone moves things on.
   */
  tick?(): Promise<void>;
  /** A scale of pool `work` the backend refuses (beyond its quota or its group's maximum), from `current` nodes. */
  failingScale(current: number): ScalePoolAction;
  cleanup(): Promise<void>;
}

const NOW = '2026-11-28T10:00:00Z';
/** Observations while waiting for nodes to register: bounded, never timed. */
const MAX_OBSERVATIONS = 40;

export function describeProvisionerConformance(name: string, make: () => Promise<ProvisionerHarness>, opts: { skip?: boolean } = {}): void {
  describe.skipIf(opts.skip ?? false)(`provisioner conformance: ${name}`, () => {
    const ctx = (h: ProvisionerHarness): DriverContext => ({ policy: h.policy, pools: h.policy.pools.filter((p) => p.metadata.name === 'work'), now: NOW });
    const workNodes = async (h: ProvisionerHarness): Promise<ObservedNode[]> => (await h.observer.observe(ctx(h))).nodes.filter((n) => n.pool === 'work');
    const applyCtx = (h: ProvisionerHarness, poolNodes: ObservedNode[]): ApplyContext => ({ ...ctx(h), planId: 'sha256:provisioner-conformance', poolNodes });
    const scale = (from: number, to: number, addNodes: string[], removeNodes: string[]): ScalePoolAction => ({ id: 'a1', type: 'scalePool', pool: 'work', from, to, addNodes, removeNodes, reason: 'provisioner conformance' });

    /** Observe until `ok` holds (or give up after MAX_OBSERVATIONS), returning the last observation. */
    const until = async (h: ProvisionerHarness, ok: (nodes: ObservedNode[]) => boolean): Promise<ObservedNode[]> => {
      let nodes = await workNodes(h);
      for (let i = 0; i < MAX_OBSERVATIONS && !ok(nodes); i++) {
        if (h.tick) await h.tick();
        else await new Promise((r) => setTimeout(r, 50));
        nodes = await workNodes(h);
      }
      return nodes;
    };

    const run = async (fn: (h: ProvisionerHarness) => Promise<void>) => {
      const h = await make();
      try {
        await fn(h);
      } finally {
        await h.provisioner.close();
        if (h.observer !== h.provisioner) await h.observer.close();
        await h.cleanup();
      }
    };

    it('declares that it scales nodes', () =>
      run(async (h) => {
        await h.provisioner.health(ctx(h));
        expect(h.provisioner.capabilities.scaleNodes).toBe(true);
      }));

    it('scales up: the pool gains exactly the nodes asked for, ready, and keeps the ones it had', () =>
      run(async (h) => {
        const before = await workNodes(h);
        expect(before.length, 'the pool starts with at least 2 nodes').toBeGreaterThanOrEqual(2);
        const n = before.length;
        await h.provisioner.apply(scale(n, n + 2, [`work-${n + 10}`, `work-${n + 11}`], []), applyCtx(h, before));
        const after = await until(h, (nodes) => nodes.length >= n + 2);
        expect(after.length).toBe(n + 2);
        expect(after.every((x) => x.ready)).toBe(true);
        const names = new Set(after.map((x) => x.name));
        for (const b of before) expect(names.has(b.name), `${b.name} is kept`).toBe(true);
      }));

    it('returns before the new nodes register; observing later shows them', () =>
      run(async (h) => {
        const before = await workNodes(h);
        const n = before.length;
        await h.provisioner.apply(scale(n, n + 1, [`work-${n + 20}`], []), applyCtx(h, before));
        if (h.registersLate) expect((await workNodes(h)).length, 'not registered yet right after the scale-up').toBe(n);
        const after = await until(h, (nodes) => nodes.length === n + 1);
        expect(after.length).toBe(n + 1);
        // The scale-up is idempotent: asking again for the same size adds nothing.
        await h.provisioner.apply(scale(n, n + 1, [`work-${n + 20}`], []), applyCtx(h, after));
        expect((await until(h, (nodes) => nodes.length > n + 1)).length).toBe(n + 1);
      }));

    it('scales down by removing exactly the nodes the plan chose', () =>
      run(async (h) => {
        let before = await workNodes(h);
        if (before.length < 3) {
          // Three nodes, so the chosen one is neither the first nor the last: no "newest first" luck.
          await h.provisioner.apply(scale(before.length, 3, Array.from({ length: 3 - before.length }, (_, i) => `work-${30 + i}`), []), applyCtx(h, before));
          before = await until(h, (nodes) => nodes.length >= 3);
        }
        const sorted = before.map((x) => x.name).sort();
        const chosen = sorted[1]!;
        await h.provisioner.apply(scale(sorted.length, sorted.length - 1, [], [chosen]), applyCtx(h, before));
        const after = await until(h, (nodes) => !nodes.some((x) => x.name === chosen));
        expect(after.map((x) => x.name).sort()).toEqual(sorted.filter((x) => x !== chosen));
        // Removing it again is a no-op.
        await h.provisioner.apply(scale(sorted.length - 1, sorted.length - 1, [], [chosen]), applyCtx(h, after));
        expect((await workNodes(h)).map((x) => x.name).sort()).toEqual(sorted.filter((x) => x !== chosen));
      }));

    it('a scale the backend refuses fails with a DriverError naming the driver and the pool', () =>
      run(async (h) => {
        const before = await workNodes(h);
        const action = h.failingScale(before.length);
        const err = await h.provisioner.apply(action, applyCtx(h, before)).then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(DriverError);
        expect((err as DriverError).driver).toBe(h.provisioner.name);
        expect((err as DriverError).message).toMatch(/work/);
        expect((err as DriverError).message).not.toMatch(/\n/);
        expect((await workNodes(h)).length).toBe(before.length);
      }));
  });
}
