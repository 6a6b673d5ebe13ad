/**
 * What qm status says about drift when the observation is incomplete or holds duplicates: a node that
 * could not be observed makes its pool's drift unknown (with the driver's warning), and the same
 * instance on two nodes is a duplicate to remove, not an instance nobody declared. The sim driver
 * cannot hold an instance twice, so these build the report the command renders.
 */
import { describe, expect, it } from 'vitest';
import { duplicates, partlyObserved, statusJson, statusText } from '../src/cli/commands/status.js';
import type { StatusReport } from '../src/cli/commands/status.js';
import type { ObservedFleet } from '../src/engine/observe.js';
import { makePlan } from '../src/planner/plan.js';
import { newNodes } from '../src/planner/nodes.js';
import { paletteFor } from '../src/render/color.js';
import type { ObservedInstance } from '../src/model/state.js';
import { AGENT, POOL, policyFrom } from './autoscaler/builders.js';

const NOW = '2026-11-28T10:00:00Z';
const c = paletteFor({ isTTY: false } as never, {});
const policy = policyFrom([POOL('p', { min: 1, max: 4, initial: 2 }), AGENT('a', 3)].join('\n---\n'));
const nodes = newNodes(policy.pools[0]!, [], 2);
const inst = (name: string, node: string, startedAt = '2026-11-28T09:00:00Z'): ObservedInstance => ({ name, agent: 'a', node, requests: { cpuMillis: 1000, memoryBytes: 1024 ** 3 }, startedAt });

function report(observed: ObservedFleet): StatusReport {
  const plan = makePlan({ policy, observed, now: NOW, policyDigest: 'sha256:x', gitCommit: null, source: 'test', stateId: null }).plan;
  return { policy, observed, plan, drivers: [], locks: [] };
}

describe('duplicates: the same instance on two nodes', () => {
  // a-0 runs on p-0 (kept) and on p-1 (an engine that came back); old-0 belongs to no agent.
  const observed: ObservedFleet = { nodes, instances: [inst('a-0', 'p-0'), inst('a-0', 'p-1', '2026-11-27T09:00:00Z'), inst('a-1', 'p-0'), inst('a-2', 'p-1'), { ...inst('old-0', 'p-1'), agent: 'retired' }], scalingHistory: [], warnings: [], failed: [] };
  const r = report(observed);
  it('are told apart from instances nobody declared', () => {
    expect(duplicates(observed.instances, r.plan!)).toEqual([{ instance: 'a-0', node: 'p-1', keptOn: 'p-0' }]);
    expect(statusText(r, c)).toMatch(/\nDrift\n {2}drift: 1 duplicated \(to remove\), 1 not declared \(to remove\) — /);
    expect(statusText(r, c)).not.toMatch(/2 not declared/);
  });
  it('are listed in JSON', () => {
    const drift = (statusJson(r) as { drift: Record<string, unknown> }).drift;
    expect(drift).toMatchObject({ inSync: false, duplicated: 1, duplicates: [{ instance: 'a-0', node: 'p-1', keptOn: 'p-0' }], summary: { remove: 2 } });
  });
  it('an instance nobody declared, on two nodes, is not a duplicate: no copy is kept', () => {
    const o: ObservedFleet = { ...observed, instances: [inst('a-0', 'p-0'), inst('a-1', 'p-0'), inst('a-2', 'p-1'), { ...inst('old-0', 'p-0'), agent: 'retired' }, { ...inst('old-0', 'p-1'), agent: 'retired' }] };
    const x = report(o);
    expect(duplicates(o.instances, x.plan!)).toEqual([]);
    expect(statusText(x, c)).toMatch(/drift: 2 not declared \(to remove\) — /);
  });
});

describe('a node that could not be observed', () => {
  const warning = 'docker engine ssh://10.0.0.2 is unreachable (connect ECONNREFUSED): node p-1 marked not ready; check the engine (docker -H ssh://10.0.0.2 info)';
  const observed: ObservedFleet = { nodes: [nodes[0]!, { ...nodes[1]!, ready: false }], instances: [inst('a-0', 'p-0')], scalingHistory: [], warnings: [warning, 'docker engine ssh://10.0.0.3: node p-10 has less memory than declared'], failed: [] };
  const r = report(observed);
  it('makes its pool\'s drift unknown, with the warning naming the node', () => {
    expect(r.plan!.summary.place).toBe(2);
    expect(partlyObserved(observed)).toEqual([{ pool: 'p', nodes: ['p-1'], warnings: [warning] }]);
    const text = statusText(r, c);
    expect(text).not.toMatch(/missing/);
    expect(text).toMatch(/^ {2}p +1\/2 nodes ready .*partly observed: p-1 not ready$/m);
    expect(text).toContain(`\nDrift\n  unknown: pool p: node p-1 is not ready, what runs there cannot be seen (${warning}) — `);
    expect((statusJson(r) as { drift: unknown }).drift).toEqual({ inSync: null, unknown: `pool p: node p-1 is not ready, what runs there cannot be seen (${warning})` });
  });
});
