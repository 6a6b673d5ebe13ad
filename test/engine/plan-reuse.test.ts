/**
 * Reusing the previous plan (engine/plan-reuse.ts, used by qm serve): only when nothing a plan is
 * made from changed and the policy depends on no clock; and the validation cache of unchanged files.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runPlan } from '../../src/engine/plan.js';
import { reconcileOnce } from '../../src/engine/reconcile.js';
import type { ReconcileRun } from '../../src/engine/reconcile.js';
import { loadPolicy } from '../../src/engine/policy.js';
import type { PolicyCache } from '../../src/engine/policy.js';
import { StorePort } from '../../src/engine/store-port.js';
import { openStateStore } from '../../src/state/index.js';
import type { StateStore } from '../../src/state/index.js';
import { tempRepo } from '../helpers/repo.js';
import type { TempRepo } from '../helpers/repo.js';
import type { ObservedInstance } from '../../src/model/state.js';

import { SMALL_POOL as POOL, chatAgent as AGENT } from '../helpers/small-fleet.js';
const SCALING = `apiVersion: quartermaster.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: chat-hours}
spec:
  target: {kind: Agent, name: chat}
  min: 1
  max: 4
  schedules:
    - {cron: "0 8 * * *", duration: 10h, min: 4}
`;

let repo: TempRepo | undefined;
let store: StateStore | undefined;
afterEach(async () => {
  await store?.close();
  await repo?.cleanup();
  store = undefined;
  repo = undefined;
});

async function fleet(): Promise<{ r: TempRepo; port: StorePort; s: StateStore }> {
  repo = await tempRepo({ git: true });
  await repo.write('pools/general.yaml', POOL);
  await repo.write('agents/chat.yaml', AGENT(3));
  await repo.commit('fleet');
  store = await openStateStore(path.join(repo.dir, '.qm', 'state.db'));
  return { r: repo, port: new StorePort(store), s: store };
}

const at = (minute: number) => () => `2026-12-06T10:${String(minute).padStart(2, '0')}:00Z`;
const offer = (run: ReconcileRun) => ({ previous: run.inputKey ? { key: run.inputKey, plan: run.plan } : undefined });

describe('reusing the previous plan', () => {
  it('reuses it while policy and observation are the same (measured use aside), plans again when either changes', async () => {
    const { r, port, s } = await fleet();
    const placed = await reconcileOnce({ dir: r.dir, store: port, mode: 'fix', now: at(0), reuse: {} });
    expect(placed.reused).toBe(false);
    expect(placed.outcome?.status).toBe('applied');
    const synced = await reconcileOnce({ dir: r.dir, store: port, mode: 'report', now: at(1), reuse: offer(placed) });
    // The fix changed the fleet: a new observation, a new plan.
    expect(synced.reused).toBe(false);
    expect(synced.inputKey).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(synced.inputKey).not.toBe(placed.inputKey);
    expect(synced.drift).toEqual([]);

    const again = await reconcileOnce({ dir: r.dir, store: port, mode: 'report', now: at(2), reuse: offer(synced) });
    expect(again.reused).toBe(true);
    expect(again.plan).toBe(synced.plan);
    expect(again.inputKey).toBe(synced.inputKey);

    // Measured use changes every minute and does not count.
    const c = await s.cluster.get('sim');
    await s.cluster.write('sim', c.instances.map((i) => ({ op: 'putInstance' as const, instance: { ...i, usage: { at: '2026-12-06T10:02:00Z', use: { cpuMillis: 420 } } } })));
    const withUse = await reconcileOnce({ dir: r.dir, store: port, mode: 'report', now: at(3), reuse: offer(again) });
    expect(withUse.reused).toBe(true);

    // An instance gone behind qm's back: observed, planned again, drift reported.
    await s.cluster.write('sim', [{ op: 'deleteInstance', name: 'chat-1' }]);
    const drifted = await reconcileOnce({ dir: r.dir, store: port, mode: 'report', now: at(4), reuse: offer(withUse) });
    expect(drifted.reused).toBe(false);
    expect(drifted.drift).toEqual([expect.stringMatching(/^instance chat-1 is missing/)]);

    // A policy file changed (not even committed): planned again.
    const before = await reconcileOnce({ dir: r.dir, store: port, mode: 'report', now: at(5), reuse: offer(drifted) });
    expect(before.reused).toBe(true);
    await r.write('agents/chat.yaml', AGENT(4));
    const edited = await reconcileOnce({ dir: r.dir, store: port, mode: 'report', now: at(6), reuse: offer(before) });
    expect(edited.reused).toBe(false);
    expect(edited.drift).toHaveLength(2);
  });

  it('never reuses for a policy with a ScalingPolicy (the clock matters) and gives no key then', async () => {
    const { r, port } = await fleet();
    await r.write('policies/scaling.yaml', SCALING);
    const first = await reconcileOnce({ dir: r.dir, store: port, mode: 'report', now: at(0), reuse: {} });
    expect(first.inputKey).toBeUndefined();
    const second = await reconcileOnce({ dir: r.dir, store: port, mode: 'report', now: at(1), reuse: { previous: { key: 'sha256:x', plan: first.plan } } });
    expect(second.reused).toBe(false);
    expect(second.plan).not.toBe(first.plan);
  });

  it('planning does not read measured use: the same plan with and without it (else it belongs in planInputKey)', async () => {
    const { r, port, s } = await fleet();
    await reconcileOnce({ dir: r.dir, store: port, mode: 'fix', now: at(0) });
    const plain = await runPlan({ dir: r.dir, now: at(1)(), store: port });
    const c = await s.cluster.get('sim');
    await s.cluster.write('sim', c.instances.map((i, n) => ({ op: 'putInstance' as const, instance: { ...i, usage: { at: '2026-12-06T10:01:00Z', use: { cpuMillis: 3900 * n, memoryBytes: 2 ** 33 } } } })));
    const used = await runPlan({ dir: r.dir, now: at(1)(), store: port });
    expect(used.observed.instances.every((i) => i.usage !== undefined)).toBe(true);
    expect(used.plan.planId).toBe(plain.plan.planId);
  });
});

describe('PolicyCache', () => {
  it('validates unchanged files once, and again when one changes', async () => {
    const { r } = await fleet();
    const cache: PolicyCache = {};
    const a = await loadPolicy(r.dir, {}, cache);
    const b = await loadPolicy(r.dir, {}, cache);
    expect(b.policy).toBe(a.policy);
    await r.write('agents/chat.yaml', AGENT(5));
    const c = await loadPolicy(r.dir, {}, cache);
    expect(c.policy).not.toBe(a.policy);
    expect(c.policy?.agents[0]?.spec.replicas).toBe(5);
    // Without a cache every load validates.
    expect((await loadPolicy(r.dir)).policy).not.toBe(c.policy);
  });
});

describe('planInputKey', () => {
  it('leaves measured use out however it was attached, and sees any other change of a kept (frozen) instance', async () => {
    const { planInputKey } = await import('../../src/engine/plan-reuse.js');
    const { withUsage } = await import('../../src/model/usage.js');
    const base: ObservedInstance = Object.freeze({ name: 'chat-0', agent: 'chat', node: 'n-0', requests: Object.freeze({ cpuMillis: 500 }) });
    const node = Object.freeze({ name: 'n-0', pool: 'p', region: 'r', zone: 'z', labels: {}, taints: [], ready: true, capacity: { cpuMillis: 4000 }, costPerHour: 0, powerWatts: 0 });
    const key = (instances: object[]) => planInputKey({ policyDigest: 'd', gitCommit: null, source: 'sim', stateId: 's', warnings: [], observed: { nodes: [node], instances: instances as never, scalingHistory: [] } });
    const plain = key([base]);
    expect(key([base])).toBe(plain);
    // Use attached by a driver through withUsage, or written into a copy: the same key.
    expect(key([withUsage(base, { at: '2026-12-06T10:00:00Z', use: { cpuMillis: 120 } })])).toBe(plain);
    expect(key([{ ...base, usage: { at: '2026-12-06T10:01:00Z', use: { cpuMillis: 480 } } }])).toBe(plain);
    // Anything else differs: another node, other requests.
    expect(key([{ ...base, node: 'n-1' }])).not.toBe(plain);
    expect(key([withUsage<ObservedInstance>({ ...base, requests: { cpuMillis: 600 } }, { at: '2026-12-06T10:00:00Z', use: { cpuMillis: 120 } })])).not.toBe(plain);
    // The same as hashing the plain JSON array would see: two instances are not one longer one.
    expect(key([base, { ...base, name: 'chat-1' }])).not.toBe(key([{ ...base, name: 'chat-1' }, base]));
  });
});
