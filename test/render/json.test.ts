import { describe, expect, it } from 'vitest';
import { renderPlanJson } from '../../src/render/plan/json.js';
import type { Plan } from '../../src/render/plan/types.js';
import { aPlan, realisticPlan } from './builders.js';

/** The same value with every object's keys in reverse order. */
function reversed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversed);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.keys(v).reverse().map((k) => [k, reversed((v as Record<string, unknown>)[k])]));
}

describe('renderPlanJson', () => {
  it('writes keys in SPEC §4 order, 2-space indent, trailing newline', () => {
    const text = renderPlanJson(reversed(realisticPlan()) as Plan);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['formatVersion', 'planId', 'createdAt', 'inputs', 'changes', 'summary', 'actions', 'blocked', 'pools', 'quotas', 'forecasts', 'warnings']);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "formatVersion": "1.0",');
    const plan = JSON.parse(text) as Plan;
    expect(Object.keys(plan.inputs)).toEqual(['policyDigest', 'gitCommit', 'stateFingerprint', 'now']);
    expect(Object.keys(plan.summary)).toEqual(['place', 'move', 'evict', 'remove', 'scalePool', 'scaleAgent', 'blocked']);
  });

  it.each([
    ['scalePool', ['id', 'type', 'pool', 'from', 'to', 'addNodes', 'removeNodes', 'reason']],
    ['place', ['id', 'type', 'instance', 'agent', 'pool', 'node', 'requests', 'gpuDevices', 'score', 'reason']],
    ['move', ['id', 'type', 'instance', 'agent', 'fromNode', 'toNode', 'reason']],
    ['evict', ['id', 'type', 'instance', 'agent', 'node', 'reason']],
    ['remove', ['id', 'type', 'instance', 'agent', 'node', 'reason']],
    ['scaleAgent', ['id', 'type', 'agent', 'from', 'to', 'reason']],
  ])('orders a %s action as SPEC §4 does', (type, keys) => {
    const plan = JSON.parse(renderPlanJson(reversed(realisticPlan()) as Plan)) as Plan;
    expect(Object.keys(plan.actions.find((a) => a.type === type)!)).toEqual(keys);
  });

  it('orders resources cpu, memory, storage, network, gpu, then extended keys by name', () => {
    const plan = aPlan().place('x-0', 'p', 'p-0', { 'example.com/fpga': 1, gpuMillis: 500, 'acme.io/tpu': 2, cpuMillis: 100, memoryBytes: 1 }).build();
    const out = JSON.parse(renderPlanJson(plan)) as { actions: { requests: object }[] };
    expect(Object.keys(out.actions[0]!.requests)).toEqual(['cpuMillis', 'memoryBytes', 'gpuMillis', 'acme.io/tpu', 'example.com/fpga']);
  });

  it('keeps fields a newer minor adds, after the known ones, sorted all the way down', () => {
    const plan = { ...aPlan().build(), formatVersion: '1.3', zeta: { b: 1, a: { d: 2, c: 3 } }, alpha: true } as Plan;
    const text = renderPlanJson(plan);
    const keys = Object.keys(JSON.parse(text) as object);
    expect(keys.slice(-2)).toEqual(['alpha', 'zeta']);
    expect(text).toContain('"zeta": {\n    "a": {\n      "c": 3,\n      "d": 2\n    },\n    "b": 1\n  }');
  });

  it('gives the same bytes whatever the key order of its input', () => {
    expect(renderPlanJson(reversed(realisticPlan()) as Plan)).toBe(renderPlanJson(realisticPlan()));
  });

  it('round-trips: the output parses back to an equal plan', () => {
    expect(JSON.parse(renderPlanJson(realisticPlan()))).toEqual(JSON.parse(JSON.stringify(realisticPlan())));
  });
});
