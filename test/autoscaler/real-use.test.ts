/**
 * The `utilization` MetricSource (issue #15): ScalingPolicies target real use over requests the
 * HPA way — desired = ceil(current × use% / target%), within the tolerance — from the use the
 * drivers measured, recorded in the plan so apply re-plans with the same figures; validation
 * keeps it to Agent metrics with a resource series.
 */
import { describe, expect, it } from 'vitest';
import { validateFiles } from '../../src/config/validate.js';
import { makePlan } from '../../src/planner/plan.js';
import { newNodes } from '../../src/planner/nodes.js';
import { measureUtilization, usesUtilization } from '../../src/metrics/utilization.js';
import { wantedMetrics } from '../../src/metrics/collect.js';
import type { ObservedInstance, ObservedState } from '../../src/model/state.js';
import { AGENT, POOL, SP, policyFrom } from './builders.js';

const NOW = '2026-11-28T10:00:00Z';
const REAL = `apiVersion: quartermaster.dev/v1alpha1
kind: MetricSource
metadata: {name: real-use}
spec: {utilization: {}}`;
const policy = (target = 50, extra = '') => policyFrom([POOL('p', { min: 1, max: 10, initial: 4 }), AGENT('a', 2), REAL, SP('a-cpu', '{kind: Agent, name: a}', `min: 1\nmax: 8\nmetrics:\n  - {metric: {source: real-use, series: cpu}, targetPerReplica: ${target}}\n${extra}`)].join('\n---\n'));

const inst = (name: string, cpuMillis?: number, at = '2026-11-28T09:59:30Z'): ObservedInstance => ({
  name, agent: 'a', node: 'p-0', requests: { cpuMillis: 1000, memoryBytes: 2 ** 30 }, ...(cpuMillis !== undefined ? { usage: { at, use: { cpuMillis, memoryBytes: 2 ** 29 } } } : {}),
});
function observed(instances: ObservedInstance[]): ObservedState {
  const p = policy();
  return { nodes: newNodes(p.pools[0]!, [], 4), instances, scalingHistory: [] };
}
function plan(target: number, instances: ObservedInstance[], extra = '') {
  const p = policy(target, extra);
  const obs = observed(instances);
  return makePlan({ policy: p, observed: obs, now: NOW, policyDigest: 'sha256:x', gitCommit: null, source: 'test', stateId: null, utilization: measureUtilization(p, obs, NOW) }).plan;
}

describe('utilization metric source: planning', () => {
  it('scales an agent up by use over requests as the HPA does: 2 replicas at 170 % for a 50 % target → ceil(2 × 170 / 50) = 7', () => {
    const p = plan(50, [inst('a-0', 1800), inst('a-1', 1600)]);
    const scale = p.actions.find((a) => a.type === 'scaleAgent');
    expect(scale).toMatchObject({ type: 'scaleAgent', agent: 'a', from: 2, to: 7 });
    expect(scale!.reason).toMatch(/^utilisation cpu 170 % of requests \(2 of 2 instances measured\) vs target 50 % → 7 replicas \(\+5\)/);
    expect(p.inputs.utilization).toEqual({ a: { cpu: { percent: 170, measured: 2, instances: 2, at: '2026-11-28T09:59:30Z' } } });
  });

  it('scales down when use is low, keeps within the tolerance', () => {
    const down = plan(80, [inst('a-0', 200), inst('a-1', 200)]);
    expect(down.actions.find((a) => a.type === 'scaleAgent')).toMatchObject({ from: 2, to: 1 });
    const kept = plan(80, [inst('a-0', 820), inst('a-1', 820)]);
    expect(kept.actions.find((a) => a.type === 'scaleAgent')).toBeUndefined();
  });

  it('counts only measured, fresh instances; with none, warns and never scales down', () => {
    // a-1 unmeasured, a-2 measured 20 minutes ago (stale): only a-0 counts, at 150 % → ceil(3 × 150 / 50) = 9 → max 8.
    const p = plan(50, [inst('a-0', 1500), inst('a-1'), inst('a-2', 10, '2026-11-28T09:40:00Z')]);
    expect(p.inputs.utilization).toEqual({ a: { cpu: { percent: 150, measured: 1, instances: 3, at: '2026-11-28T09:59:30Z' } } });
    expect(p.actions.find((a) => a.type === 'scaleAgent')).toMatchObject({ from: 3, to: 8 });
    const none = plan(50, [inst('a-0'), inst('a-1'), inst('a-2')]);
    expect(none.inputs.utilization).toBeUndefined();
    expect(none.actions.find((a) => a.type === 'scaleAgent')).toBeUndefined();
    expect(none.warnings.find((w) => w.code === 'MetricUnavailable')?.message).toMatch(/^ScalingPolicy a-cpu: metric real-use\/cpu: no instance of Agent a has a fresh cpu measurement .*not scaled down$/);
  });

  it('is deterministic: the same inputs give the same plan byte for byte', () => {
    const a = plan(50, [inst('a-0', 1800), inst('a-1', 1600)]);
    const b = plan(50, [inst('a-1', 1600), inst('a-0', 1800)].reverse());
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('needs measurement only when a policy reads a utilization source, and is never fetched as a series', () => {
    expect(usesUtilization(policy())).toBe(true);
    expect(usesUtilization(policyFrom([AGENT('a', 1)].join('\n')))).toBe(false);
    expect(wantedMetrics(policy())).toEqual([]);
  });
});

describe('utilization metric source: validation', () => {
  const diag = (docs: string[]) => validateFiles([{ path: 'policies/x.yaml', text: [POOL('p', { min: 1, max: 10, initial: 2 }), AGENT('a', 1), REAL, ...docs].join('\n---\n') }]).diagnostics.filter((d) => d.severity === 'error');
  it('accepts an Agent metric with a resource series', () => {
    expect(diag([SP('s', '{kind: Agent, name: a}', 'min: 1\nmax: 4\nmetrics:\n  - {metric: {source: real-use, series: memory}, targetPerReplica: 70}')])).toEqual([]);
  });
  it('refuses a Pool target, a query, an unknown resource, a trigger and a second backend, each with a pointer', () => {
    const d = diag([
      SP('pool', '{kind: Pool, name: p}', 'min: 1\nmax: 4\nmetrics:\n  - {metric: {source: real-use, series: cpu}, targetPerReplica: 70}'),
      SP('query', '{kind: Agent, name: a}', 'min: 1\nmax: 4\nmetrics:\n  - {metric: {source: real-use, query: "up"}, targetPerReplica: 70}'),
      `apiVersion: quartermaster.dev/v1alpha1\nkind: Agent\nmetadata: {name: b}\nspec: {type: worker, owner: team, replicas: 1, resources: {requests: {cpu: 1}}}`,
      SP('series', '{kind: Agent, name: b}', 'min: 1\nmax: 4\nmetrics:\n  - {metric: {source: real-use, series: disk}, targetPerReplica: 70}\ntriggers:\n  - {name: hot, metric: {source: real-use, series: cpu}, operator: gt, threshold: 90, for: 1m, change: {by: 1}}'),
      `apiVersion: quartermaster.dev/v1alpha1\nkind: MetricSource\nmetadata: {name: both}\nspec: {utilization: {}, file: {path: m.csv}}`,
    ]);
    const got = d.map((x) => [x.code, x.jsonPointer, x.message]);
    expect(got).toEqual(expect.arrayContaining([
      ['InvalidTarget', '/spec/metrics/0/metric/source', expect.stringMatching(/measures the real use of an Agent's instances, and this policy targets Pool 'p'/)],
      ['InvalidValue', '/spec/metrics/0/metric/query', expect.stringMatching(/takes a series \(cpu, memory or gpu\), not a query/)],
      ['InvalidValue', '/spec/metrics/0/metric/series', expect.stringMatching(/whose series is a resource, not 'disk'/)],
      ['InvalidValue', '/spec/triggers/0/metric/source', expect.stringMatching(/has no history to trigger on/)],
      ['InvalidValue', '/spec/utilization', expect.stringMatching(/spec sets both file and utilization/)],
    ]));
  });
});
