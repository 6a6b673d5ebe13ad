import { describe, expect, it } from 'vitest';
import { describeTaint, taintScore, taintStatus, tolerates } from '../../../src/scheduler/plugins/taint-toleration/taint-toleration.js';
import { nodeSelectorStatus } from '../../../src/scheduler/plugins/node-selector/node-selector.js';
import { poolAccessStatus } from '../../../src/scheduler/plugins/pool-access/pool-access.js';
import { preferredNodeAffinityScore } from '../../../src/scheduler/plugins/node-affinity/scoring.js';
import { requiredNodeAffinityStatus } from '../../../src/scheduler/plugins/node-affinity/filtering.js';
import type { Taint, Toleration } from '../../../src/model/documents.js';
import { makeAgent, makeNode, makePool } from '../builders.js';
import { harness } from '../harness.js';

describe('tolerations', () => {
  const taint: Taint = { key: 'dedicated', value: 'ml', effect: 'NoSchedule' };
  const cases: [string, Toleration, boolean][] = [
    ['Equal with same value', { key: 'dedicated', operator: 'Equal', value: 'ml' }, true],
    ['Equal with other value', { key: 'dedicated', operator: 'Equal', value: 'web' }, false],
    ['Exists with same key', { key: 'dedicated', operator: 'Exists' }, true],
    ['Exists without key tolerates everything', { operator: 'Exists' }, true],
    ['other effect', { key: 'dedicated', operator: 'Exists', effect: 'PreferNoSchedule' }, false],
    ['same effect', { key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }, true],
    ['other key', { key: 'gpu', operator: 'Exists' }, false],
  ];
  for (const [name, t, want] of cases) it(name, () => expect(tolerates(t, taint)).toBe(want));
  it('names the taint', () => {
    expect(taintStatus([taint], [])).toEqual({ code: 'UntoleratedTaint', reasons: ['dedicated=ml'] });
    expect(describeTaint({ key: 'k', effect: 'NoSchedule' })).toBe('k');
  });
  it('PreferNoSchedule only lowers the score', () => {
    const soft: Taint = { key: 'spot', effect: 'PreferNoSchedule' };
    expect(taintStatus([soft], []).code).toBe('Success');
    expect(taintScore([soft], [])).toBeLessThan(taintScore([], []));
    expect(taintScore([soft], [{ key: 'spot', operator: 'Exists' }])).toBe(100);
  });
});

describe('selectors', () => {
  it('nodeSelector needs every pair', () => {
    expect(nodeSelectorStatus({ a: '1', b: '2' }, { a: '1', b: '2', c: '3' }).code).toBe('Success');
    expect(nodeSelectorStatus({ a: '1', b: '2' }, { a: '1' }).code).toBe('NodeSelectorMismatch');
    expect(nodeSelectorStatus(undefined, {}).code).toBe('Success');
  });
  const view = { name: 'n1', pool: 'gpu', tier: 'gold', region: 'eu', zone: 'eu-1a', labels: { disk: 'ssd' }, capacity: { gpuMillis: 4000 } };
  it('required node affinity ANDs selectors and JSON Logic', () => {
    expect(requiredNodeAffinityStatus([{ matchLabels: { disk: 'ssd' } }, { match: { '>=': [{ var: 'capacity.gpuMillis' }, 2000] } }], view).code).toBe('Success');
    expect(requiredNodeAffinityStatus([{ match: { '==': [{ var: 'tier' }, 'silver'] } }], view).code).toBe('NodeAffinityMismatch');
  });
  it('preferred node affinity is the matched share of weight', () => {
    expect(preferredNodeAffinityScore([{ weight: 30, selector: { matchLabels: { disk: 'ssd' } } }, { weight: 70, selector: { matchLabels: { disk: 'hdd' } } }], view)).toBe(30);
  });
});

describe('pool access', () => {
  const pool = makePool('p').access({ agentTypes: ['research'], owners: ['ml'] }).obj();
  const cases: [string, string, string, string][] = [
    ['type and owner allowed', 'research', 'ml', 'Success'],
    ['type denied', 'chat', 'ml', 'PoolAccessDenied'],
    ['owner denied', 'research', 'web', 'PoolAccessDenied'],
  ];
  for (const [name, type, owner, want] of cases) {
    it(name, () => expect(poolAccessStatus(makeAgent('a').type(type).owner(owner).obj(), pool).code).toBe(want));
  }
  it('no access block admits everyone', () => expect(poolAccessStatus(makeAgent('a').obj(), makePool('q').obj()).code).toBe('Success'));
});

describe('static filter order (first failure names the node)', () => {
  it('reports pool state before access, selector and taints', () => {
    const h2 = harness(
      {
        pools: [makePool('d').state('draining').access({ owners: ['nobody'] }).obj(), makePool('a').access({ owners: ['nobody'] }).obj(), makePool('open').obj()],
        agents: [makeAgent('x').req({ cpu: 0.1 }).obj()],
      },
      [
        makeNode('n-draining').pool('d').obj(),
        makeNode('n-denied').pool('a').obj(),
        makeNode('n-tainted').pool('open').taint('dedicated', 'ml').obj(),
        makeNode('n-unready').pool('open').notReady().obj(),
        makeNode('n-ok').pool('open').obj(),
      ],
    );
    expect(h2.statuses('x-0')).toEqual({
      'n-denied': 'PoolAccessDenied',
      'n-draining': 'PoolNotActive',
      'n-ok': 'Success',
      'n-tainted': 'UntoleratedTaint',
      'n-unready': 'PoolNotActive',
    });
  });
});
