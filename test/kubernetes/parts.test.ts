/**
 * The test server's pure parts, table-driven: selectors, patches, quantities, budgets, Table ages.
 */
import { describe, expect, it } from 'vitest';
import { applyPatch } from './patch.js';
import { checkEviction, pdbStatus } from './pdb.js';
import { toMilli } from './quantity.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError } from './status.js';
import type { KubeObject } from './store.js';
import { humanDuration } from './table.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', version: '3' };
  it.each([
    ['app=web', true], ['app==web', true], ['app!=web', false], ['app in (db,web)', true], ['app notin (web)', false],
    ['tier', true], ['!tier', false], ['missing', false], ['!missing', true], ['app=web,tier=back', false],
    ['version>2', true], ['version<3', false], ['app notin (db),!missing,tier in (front)', true], ['', true],
  ])('%s → %s', (sel, want) => {
    expect(matchesLabels(parseLabelSelector(sel), labels)).toBe(want);
  });
  it.each(['app in (web', 'app=(x)', 'a b', '=x'])('rejects %s', (sel) => {
    expect(() => parseLabelSelector(sel)).toThrow(/unable to parse requirement/);
  });
});

describe('field selectors', () => {
  const pod = { metadata: { name: 'p', namespace: 'ns' }, spec: {}, status: { phase: 'Running' } };
  it('compares unset fields as empty and supports != chains', () => {
    const allowed = ['metadata.name', 'spec.nodeName', 'status.phase'];
    expect(matchesFields(parseFieldSelector('spec.nodeName=', allowed), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('status.phase!=Succeeded,status.phase!=Failed', allowed), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('metadata.name==q', allowed), pod)).toBe(false);
    expect(() => parseFieldSelector('spec.other=x', allowed)).toThrow('field label not supported: spec.other');
  });
});

describe('patches', () => {
  const node = { metadata: { name: 'n', labels: { a: '1', b: '2' } }, spec: { taints: [{ key: 'x', effect: 'NoSchedule' }] } };
  it('merge patch replaces lists and deletes with null', () => {
    expect(applyPatch(node, 'application/merge-patch+json', { metadata: { labels: { a: null, c: '3' } }, spec: { taints: [] } }))
      .toEqual({ metadata: { name: 'n', labels: { b: '2', c: '3' } }, spec: { taints: [] } });
  });
  it('strategic merge merges containers by name and honours $patch: delete', () => {
    const pod = { spec: { containers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'y:1' }] } };
    expect(applyPatch(pod, 'application/strategic-merge-patch+json', { spec: { containers: [{ name: 'b', image: 'y:2' }, { name: 'a', $patch: 'delete' }] } }))
      .toEqual({ spec: { containers: [{ name: 'b', image: 'y:2' }] } });
  });
  it('JSON patch adds, replaces, removes and tests; a missing path is a 400', () => {
    expect(applyPatch(node, 'application/json-patch+json', [
      { op: 'test', path: '/metadata/labels/a', value: '1' }, { op: 'add', path: '/spec/unschedulable', value: true },
      { op: 'remove', path: '/spec/taints/0' }, { op: 'replace', path: '/metadata/labels/b', value: '9' },
    ])).toEqual({ metadata: { name: 'n', labels: { a: '1', b: '9' } }, spec: { taints: [], unschedulable: true } });
    expect(() => applyPatch(node, 'application/json-patch+json', [{ op: 'remove', path: '/spec/nothing' }])).toThrow(ApiError);
    expect(() => applyPatch(node, 'application/apply-patch+yaml', {})).toThrow(/unknown format/);
  });
});

describe('quantities', () => {
  it.each([['1', 1000], ['250m', 250], ['0.5', 500], ['1Gi', 2 ** 30 * 1000], ['1k', 1e6], ['1e3', 1e6], ['bad', undefined]])('%s → %s milli', (q, want) => {
    expect(toMilli(q)).toBe(want);
  });
});

describe('disruption budgets', () => {
  const pod = (name: string, ready: boolean): KubeObject => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', uid: name, resourceVersion: '1', creationTimestamp: '', labels: { app: 'web' } },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const pdb = (spec: Record<string, unknown>, name = 'budget'): KubeObject => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'ns', uid: name, resourceVersion: '1', creationTimestamp: '' }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec } });
  const pods = [pod('a', true), pod('b', true), pod('c', false)];
  it.each([
    [{ minAvailable: 2 }, 2, 0], [{ minAvailable: '50%' }, 2, 0], [{ maxUnavailable: 1 }, 2, 0], [{ maxUnavailable: 2 }, 1, 1], [{ minAvailable: 1 }, 1, 1],
  ])('%j: desired %i, disruptions allowed %i', (spec, desired, allowed) => {
    expect(pdbStatus(pdb(spec), pods)).toMatchObject({ currentHealthy: 2, desiredHealthy: desired, disruptionsAllowed: allowed, expectedPods: 3 });
  });
  it('refuses with the budget name, allows unready pods while the budget holds, and 500s on two budgets', () => {
    try {
      checkEviction(pods[0]!, [pdb({ minAvailable: 2 })], pods);
      expect.unreachable();
    } catch (e) {
      expect((e as ApiError).status.details!.causes![0]!.message).toBe('The disruption budget budget needs 2 healthy pods and has 2 currently');
    }
    expect(() => checkEviction(pods[2]!, [pdb({ minAvailable: 2 })], pods)).not.toThrow();
    expect(() => checkEviction(pods[0]!, [pdb({ minAvailable: 1 }), pdb({ minAvailable: 1 }, 'other')], pods)).toThrow('more than one PodDisruptionBudget');
  });
});

describe('ages', () => {
  it.each([[5_000, '5s'], [119_000, '119s'], [125_000, '2m5s'], [600_000, '10m'], [3 * 3600_000 + 60_000, '3h1m'], [9 * 3600_000, '9h'], [50 * 3600_000, '2d2h']])('%i ms → %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});
