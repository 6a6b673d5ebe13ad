/**
 * Real use in qm status (issue #15): requests next to use per agent and pool in text and JSON, "—"
 * when nothing is measured; snapshots carry usage (as status JSON prints it); the sim driver
 * simulates it on request; usage never enters the state fingerprint.
 */
import { describe, expect, it } from 'vitest';
import { statusJson, statusText } from '../src/cli/commands/status.js';
import type { StatusReport } from '../src/cli/commands/status.js';
import { readSnapshot } from '../src/config/snapshot.js';
import type { ObservedFleet } from '../src/engine/observe.js';
import { parseSimUsage, withSimUsage } from '../src/drivers/sim/usage.js';
import { SimDriver } from '../src/drivers/sim/driver.js';
import { computeScope } from '../src/planner/fingerprint.js';
import { makePlan } from '../src/planner/plan.js';
import { newNodes } from '../src/planner/nodes.js';
import { paletteFor } from '../src/render/color.js';
import type { ObservedInstance } from '../src/model/state.js';
import { AGENT, POOL, policyFrom } from './autoscaler/builders.js';

const NOW = '2026-11-28T10:00:00Z';
const c = paletteFor({ isTTY: false } as never, {});
const policy = policyFrom([POOL('p', { min: 1, max: 4, initial: 2 }), AGENT('a', 2), AGENT('b', 1)].join('\n---\n'));
const nodes = newNodes(policy.pools[0]!, [], 2);
const inst = (name: string, agent: string, node: string, use?: Record<string, number>): ObservedInstance => ({
  name, agent, node, requests: { cpuMillis: 1000, memoryBytes: 1024 ** 3 }, startedAt: '2026-11-28T09:00:00Z', ...(use ? { usage: { at: '2026-11-28T09:59:30Z', use } } : {}),
});

function report(instances: ObservedInstance[]): StatusReport {
  const observed: ObservedFleet = { nodes, instances, scalingHistory: [], warnings: [], failed: [] };
  const plan = makePlan({ policy, observed, now: NOW, policyDigest: 'sha256:x', gitCommit: null, source: 'test', stateId: null }).plan;
  return { policy, observed, plan, drivers: [], locks: [] };
}

describe('qm status: requests next to real use', () => {
  const measured = report([inst('a-0', 'a', 'p-0', { cpuMillis: 600, memoryBytes: 512 * 2 ** 20 }), inst('a-1', 'a', 'p-1', { cpuMillis: 900, memoryBytes: 256 * 2 ** 20 }), inst('b-0', 'b', 'p-1')]);

  it('text: per agent and per pool, use as a share of the measured instances\' requests, — when not measured', () => {
    const text = statusText(measured, c);
    expect(text).toContain('Usage (requests → real use)');
    expect(text).toContain('\n  agent a                2/2 measured  cpu 2 → 1.5 (75%)  memory 2Gi → 768Mi (37.5%)\n');
    expect(text).toContain('\n  agent b                0/1 measured  cpu 1 → —  memory 1Gi → —\n');
    // Pool p: three instances, two measured — the share is of the measured ones.
    expect(text).toContain('\n  pool p                 2/3 measured  cpu 3 → 1.5 (75% of the measured)  memory 3Gi → 768Mi (37.5% of the measured)\n');
  });

  it('JSON: usage per instance as quantities, and per agent and pool with utilizationPercent; use null when nothing was measured', () => {
    const j = statusJson(measured) as { instances: { name: string; usage?: unknown }[]; usage: { agents: unknown[]; pools: unknown[] } };
    expect(j.instances.find((i) => i.name === 'a-0')!.usage).toEqual({ at: '2026-11-28T09:59:30Z', use: { cpu: '600m', memory: '512Mi' } });
    expect(j.instances.find((i) => i.name === 'b-0')!.usage).toBeUndefined();
    expect(j.usage.agents).toEqual([
      { name: 'a', instances: 2, measured: 2, requests: { cpu: 2, memory: '2Gi' }, use: { cpu: '1500m', memory: '768Mi' }, utilizationPercent: { cpu: 75, memory: 37.5 }, measuredAt: '2026-11-28T09:59:30Z' },
      { name: 'b', instances: 1, measured: 0, requests: { cpu: 1, memory: '1Gi' }, use: null, utilizationPercent: {} },
    ]);
    expect(j.usage.pools).toEqual([expect.objectContaining({ name: 'p', instances: 3, measured: 2, utilizationPercent: { cpu: 75, memory: 37.5 } })]);
  });

  it('says once that nothing is measured when no driver reports use', () => {
    const text = statusText(report([inst('a-0', 'a', 'p-0')]), c);
    expect(text).toMatch(/Usage \(requests → real use\)\n {2}— not measured: the drivers of these pools report no real use/);
  });

  it('status JSON round-trips through a snapshot: usage is read back in canonical units', () => {
    const j = statusJson(measured) as { nodes: unknown[]; instances: unknown[] };
    const r = readSnapshot('snap.json', JSON.stringify({ nodes: j.nodes, instances: j.instances }), policy);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.state!.instances.map((i) => i.usage)).toEqual(measured.observed.instances.map((i) => i.usage));
  });

  it('a snapshot usage without its time, or with a bad quantity, is refused with a pointer', () => {
    const bad = readSnapshot('snap.json', JSON.stringify({ nodes: [{ name: 'p-0', pool: 'p' }], instances: [{ name: 'a-0', agent: 'a', node: 'p-0', usage: { use: { cpu: '2 cores' } } }] }), policy);
    expect(bad.state).toBeUndefined();
    expect(bad.diagnostics.map((d) => d.jsonPointer)).toContain('/instances/0/usage');
  });
});

describe('sim driver: simulated use', () => {
  it('parses QM_SIM_USAGE and applies percentages of requests, at the run\'s clock; stored use wins', () => {
    const s = parseSimUsage('a:cpu=85, a:memory=40,*:cpu=10,garbage,b:disk=3');
    expect(s).toEqual({ a: { cpu: 85, memory: 40 }, '*': { cpu: 10 } });
    expect(withSimUsage(inst('a-0', 'a', 'p-0'), s, NOW).usage).toEqual({ at: NOW, use: { cpuMillis: 850, memoryBytes: Math.round(0.4 * 1024 ** 3) } });
    expect(withSimUsage(inst('b-0', 'b', 'p-0'), s, NOW).usage).toEqual({ at: NOW, use: { cpuMillis: 100 } });
    const stored = inst('a-1', 'a', 'p-0', { cpuMillis: 1 });
    expect(withSimUsage(stored, s, NOW)).toBe(stored);
  });

  it('reports it only when asked (DriverContext.usage)', async () => {
    const cluster = { nodes, instances: [inst('a-0', 'a', 'p-0')], pools: ['p'] };
    const store = { simGet: async () => cluster, simApply: async () => undefined, scalingHistory: async () => [], appendScaling: async () => undefined };
    const d = new SimDriver('sim', store as never, { usage: { a: { cpu: 50 } } });
    expect((await d.observe({ policy, pools: policy.pools, now: NOW })).instances[0]!.usage).toBeUndefined();
    expect((await d.observe({ policy, pools: policy.pools, now: NOW, usage: true })).instances[0]!.usage).toEqual({ at: NOW, use: { cpuMillis: 500 } });
  });
});

describe('state fingerprint', () => {
  it('ignores real use: a plan stays applicable while use changes', () => {
    const items = { nodes: ['p-0'], instances: ['a-0'], pools: ['p'], quotas: [] };
    const a = computeScope(policy, { nodes, instances: [inst('a-0', 'a', 'p-0', { cpuMillis: 1 })], scalingHistory: [] }, items);
    const b = computeScope(policy, { nodes, instances: [inst('a-0', 'a', 'p-0', { cpuMillis: 999 })], scalingHistory: [] }, items);
    const none = computeScope(policy, { nodes, instances: [inst('a-0', 'a', 'p-0')], scalingHistory: [] }, items);
    expect(a).toEqual(b);
    expect(a).toEqual(none);
  });
});
