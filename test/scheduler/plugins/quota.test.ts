import { describe, expect, it } from 'vitest';
import { makeAgent, makeNode, makePool, makeQuota } from '../builders.js';
import { harness } from '../harness.js';

/** Adds `n` instances of the agent to its quotas on pool `pool` and returns the check of the next one. */
function scenario(quotas: Parameters<typeof makeQuota>[1][], owner: string, req: Record<string, unknown>, placed: number, pool = 'p') {
  const h = harness(
    { pools: [makePool('p').obj(), makePool('q').obj()], agents: [makeAgent('a').owner(owner).replicas(placed + 1).req(req).obj()], quotas: quotas.map((q, i) => makeQuota(`q${i}`, q)) },
    [makeNode('n1').pool('p').obj(), makeNode('n2').pool('q').obj()],
  );
  for (let i = 0; i < placed; i++) h.quotas.add(h.pod(`a-${i}`), pool);
  return { h, check: h.quotas.check(h.pod(`a-${placed}`), pool) };
}

describe('quota tracker (Kueue semantics)', () => {
  it('admits within the limit', () => {
    expect(scenario([{ owner: 'ml', limits: { cpu: 2 } }], 'ml', { cpu: 1 }, 1).check.ok).toBe(true);
  });
  it('blocks above the limit and names quota, resource and numbers', () => {
    const { check } = scenario([{ owner: 'ml', limits: { cpu: 2 } }], 'ml', { cpu: 1 }, 2);
    expect(check).toMatchObject({ ok: false, quota: 'q0', resource: 'cpuMillis' });
    expect(!check.ok && check.message).toBe('quota q0 (owner ml): 2 cpu used + 1 cpu requested exceeds limit 2 cpu');
  });
  it('ignores other owners and resources it does not name', () => {
    expect(scenario([{ owner: 'web', limits: { cpu: 1 } }], 'ml', { cpu: 4 }, 3).check.ok).toBe(true);
    expect(scenario([{ owner: 'ml', limits: { gpu: 1 } }], 'ml', { cpu: 4 }, 3).check.ok).toBe(true);
  });
  it('scope by pool', () => {
    expect(scenario([{ owner: 'ml', scope: { pools: ['q'] }, limits: { cpu: 1 } }], 'ml', { cpu: 1 }, 3, 'p').check.ok).toBe(true);
    expect(scenario([{ owner: 'ml', scope: { pools: ['p'] }, limits: { cpu: 1 } }], 'ml', { cpu: 1 }, 1, 'p').check.ok).toBe(false);
  });
  it('counts agents', () => {
    expect(scenario([{ owner: 'ml', limits: { agents: 2 } }], 'ml', { cpu: 0.1 }, 2).check.ok).toBe(false);
  });
  it('borrows from the cohort up to borrowingLimit', () => {
    const cohort = (borrow?: number) => [
      { owner: 'ml', cohort: 'c', limits: { cpu: 2 }, ...(borrow !== undefined ? { borrowingLimit: { cpu: borrow } } : {}) },
      { owner: 'web', cohort: 'c', limits: { cpu: 4 } },
    ];
    expect(scenario(cohort(), 'ml', { cpu: 1 }, 5).check.ok).toBe(true); // 6 ≤ 2 + 4 lendable
    expect(scenario(cohort(), 'ml', { cpu: 1 }, 6).check.ok).toBe(false); // 7 > 6
    expect(scenario(cohort(1), 'ml', { cpu: 1 }, 3).check.ok).toBe(false); // 4 > 2 + 1
  });
  it('lends at most lendingLimit', () => {
    const quotas = [
      { owner: 'ml', cohort: 'c', limits: { cpu: 2 } },
      { owner: 'web', cohort: 'c', limits: { cpu: 4 }, lendingLimit: { cpu: 1 } },
    ];
    expect(scenario(quotas, 'ml', { cpu: 1 }, 2).check.ok).toBe(true); // 3 = 2 + 1
    expect(scenario(quotas, 'ml', { cpu: 1 }, 3).check.ok).toBe(false);
  });
  it('a member using its own non-lendable part leaves the cohort pool intact', () => {
    const h = harness(
      {
        pools: [makePool('p').obj()],
        agents: [makeAgent('m').owner('ml').replicas(3).req({ cpu: 1 }).obj(), makeAgent('w').owner('web').replicas(3).req({ cpu: 1 }).obj()],
        quotas: [makeQuota('ml', { owner: 'ml', cohort: 'c', limits: { cpu: 2 } }), makeQuota('web', { owner: 'web', cohort: 'c', limits: { cpu: 4 }, lendingLimit: { cpu: 2 } })],
      },
      [makeNode('n1').pool('p').obj()],
    );
    // web uses 2 of its 2 non-lendable cpu: ml may still borrow web's 2 lendable.
    h.quotas.add(h.pod('w-0'), 'p');
    h.quotas.add(h.pod('w-1'), 'p');
    h.quotas.add(h.pod('m-0'), 'p');
    h.quotas.add(h.pod('m-1'), 'p');
    expect(h.quotas.check(h.pod('m-2'), 'p').ok).toBe(true);
  });
});
