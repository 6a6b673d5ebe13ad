/** The autoscaler inside makePlan: node counts from placement simulation, replica changes placed in the same plan. */
import { describe, expect, it } from 'vitest';
import { makePlan } from '../../src/planner/plan.js';
import { newNodes } from '../../src/planner/nodes.js';
import { planScaling } from '../../src/planner/autoscaling.js';
import { forecast } from '../../src/forecast/index.js';
import type { MetricData } from '../../src/autoscaler/index.js';
import type { PolicySet } from '../../src/model/documents.js';
import type { ObservedInstance, ScalingEvent } from '../../src/model/state.js';
import type { PlanAction, ScaleAgentAction, ScalePoolAction } from '../../src/model/plan.js';
import { AGENT, METRIC_SOURCES, POOL, SP, data, policyFrom, series } from './builders.js';

const NOW = '2026-11-27T20:00:00Z';
const HOUR_AGO = '2026-11-27T19:00:00Z';

function plan(policy: PolicySet, opts: { nodes?: number; instances?: ObservedInstance[]; history?: ScalingEvent[]; metrics?: MetricData; now?: string } = {}) {
  const pool = policy.pools.find((p) => p.metadata.name === 'p')!;
  const observed = { nodes: newNodes(pool, [], opts.nodes ?? 2), instances: opts.instances ?? [], scalingHistory: opts.history ?? [] };
  return makePlan({ policy, observed, now: opts.now ?? NOW, policyDigest: 'sha256:x', gitCommit: null, source: 'test', stateId: null, metrics: opts.metrics ?? {} }).plan;
}
const scalePools = (actions: readonly PlanAction[]) => actions.filter((a): a is ScalePoolAction => a.type === 'scalePool');
const running = (agent: string, node: string, n: number, from = 0): ObservedInstance[] => Array.from({ length: n }, (_, i) => ({ name: `${agent}-${from + i}`, agent, node, requests: { cpuMillis: 1000, memoryBytes: 1024 ** 3 }, startedAt: HOUR_AGO }));
const poolPolicy = (extra = '') => SP('p', '{kind: Pool, name: p}', `min: 1\nmax: 10${extra ? `\n${extra}` : ''}`);

describe('utilisation scale-up: pending instances are placed on exactly the new nodes they need', () => {
  it.each([
    // replicas of 1 cpu on 4-cpu nodes, 2 nodes now → nodes after
    [9, 3],
    [13, 4],
    [16, 4],
    [17, 5],
  ])('%d replicas on 2 nodes of 4 cpu → %d nodes', (replicas, nodes) => {
    const p = plan(policyFrom([POOL('p', { min: 1, max: 10, initial: 2 }), AGENT('a', replicas), poolPolicy()].join('\n---\n')));
    const [up] = scalePools(p.actions);
    expect(up).toMatchObject({ pool: 'p', from: 2, to: nodes });
    expect(up!.addNodes).toHaveLength(nodes - 2);
    expect(up!.reason).toMatch(new RegExp(`^${replicas - 8} pending instances? \\(a-\\d+.*\\) fit on ${nodes - 2} new nodes? of the pool's shape → ${nodes} nodes \\(\\+${nodes - 2}\\)`));
    expect(p.blocked).toEqual([]);
    // Every placement on a new node depends on the scale-up.
    for (const a of p.actions) if (a.type === 'place' && up!.addNodes.includes(a.node)) expect(a.dependsOn).toContain(up!.id);
  });
  it('never beyond max: the rest stays blocked', () => {
    const p = plan(policyFrom([POOL('p', { min: 1, max: 3, initial: 2 }), AGENT('a', 20), SP('p', '{kind: Pool, name: p}', 'min: 1\nmax: 3')].join('\n---\n')));
    expect(scalePools(p.actions)[0]).toMatchObject({ from: 2, to: 3 });
    expect(p.blocked).toHaveLength(8);
  });
  it('maxStep limits the scale-up and says so', () => {
    const p = plan(policyFrom([POOL('p', { min: 1, max: 10, initial: 2 }), AGENT('a', 20), poolPolicy('behavior: {scaleUp: {maxStep: 1}}')].join('\n---\n')));
    const [up] = scalePools(p.actions);
    expect(up).toMatchObject({ from: 2, to: 3 });
    expect(up!.reason).toMatch(/→ 5 nodes \(\+3\); limited by scaleUp\.maxStep 1 → 3$/);
  });
  it('a pool without a ScalingPolicy keeps today\'s behaviour: only its size bounds', () => {
    const p = plan(policyFrom([POOL('p', { min: 3, max: 10, initial: 3 }), AGENT('a', 20)].join('\n---\n')));
    expect(scalePools(p.actions)[0]).toMatchObject({ from: 2, to: 3, reason: '2 nodes is below size.min 3' });
  });
});

describe('utilisation scale-down: under-used nodes whose instances fit elsewhere, once unneeded for 10m', () => {
  const fleet = (extra = '') => policyFrom([POOL('p', { min: 1, max: 10, initial: 3 }), AGENT('a', 3), poolPolicy(extra)].join('\n---\n'));
  const instances = [...running('a', 'p-0', 2), ...running('a', 'p-1', 1, 2)];
  const lastScaled = (at: string): ScalingEvent[] => [{ target: { kind: 'Pool', name: 'p' }, at, from: 2, to: 3 }];
  it('removes the empty node and the one whose instance fits on another, and moves that instance', () => {
    const p = plan(fleet(), { nodes: 3, instances, history: lastScaled(HOUR_AGO) });
    const [down] = scalePools(p.actions);
    expect(down).toMatchObject({ from: 3, to: 1, removeNodes: ['p-1', 'p-2'] });
    expect(down!.reason).toMatch(/^p-2 \(0 %, 0 instances, unneeded 1h\), p-1 \(25 %, 1 instance, unneeded 1h\) under 50 % utilisation for at least 10m, their instances fit on the other nodes → 1 node \(−2\)/);
    const move = p.actions.find((a) => a.type === 'move');
    expect(move).toMatchObject({ instance: 'a-2', fromNode: 'p-1', toNode: 'p-0' });
    expect(down!.dependsOn).toContain(move!.id);
  });
  it.each([
    ['not yet unneeded for 10m', '', '2026-11-27T19:56:00Z', /no node can go \(p-2 under 50 % but changed 4m ago, less than 10m; /],
    ['deny window open', 'windows: [{deny: true, cron: "0 * * * *", timezone: UTC, duration: 1h}]', HOUR_AGO, /no scale-down now: deny windows\[0\]/],
    ['scale-down cooldown', 'behavior: {scaleDown: {cooldown: 2h}}', HOUR_AGO, /held at 3 by scaleDown\.cooldown 2h: last scaled 2 → 3 at 2026-11-27T19:00:00Z, 1h ago/],
    ['target utilisation would be exceeded', 'targetUtilizationPercent: 60', HOUR_AGO, /→ 2 nodes \(−1\)/],
  ])('%s → no (or a smaller) scale-down', (_n, extra, at, reason) => {
    const policy = fleet(extra);
    const observed = { nodes: newNodes(policy.pools[0]!, [], 3), instances, scalingHistory: lastScaled(at) };
    const d = planScaling({ policy, observed, now: NOW, metrics: {}, forecast }).decisions.pools[0]!;
    expect(d.reason).toMatch(reason);
    expect(d.to).toBeGreaterThan(1);
  });
  it('scaleDownUtilizationPercent and scaleDownUnneededTime replace the 50 % / 10m defaults', () => {
    const at = (extra: string, changed: string) => {
      const policy = fleet(extra);
      const observed = { nodes: newNodes(policy.pools[0]!, [], 3), instances, scalingHistory: lastScaled(changed) };
      return planScaling({ policy, observed, now: NOW, metrics: {}, forecast }).decisions.pools[0]!;
    };
    // p-1 runs at 25 %: under 50 % it goes, under a 20 % threshold it stays.
    expect(at('scaleDownUtilizationPercent: 20', HOUR_AGO)).toMatchObject({ to: 2 });
    expect(at('scaleDownUtilizationPercent: 20', HOUR_AGO).reason).toMatch(/^p-2 \(0 %, 0 instances, unneeded 1h\) under 20 % utilisation for at least 10m/);
    // Changed 4 minutes ago: too recent for the default 10m, long enough for 2m.
    expect(at('', '2026-11-27T19:56:00Z')).toMatchObject({ to: 3 });
    const short = at('scaleDownUnneededTime: 2m\nbehavior: {scaleDown: {cooldown: 1m}}', '2026-11-27T19:56:00Z');
    expect(short).toMatchObject({ to: 1 });
    expect(short.reason).toMatch(/under 50 % utilisation for at least 2m, their instances fit on the other nodes → 1 node \(−2\)$/);
    expect(at('scaleDownUnneededTime: 5m', '2026-11-27T19:56:00Z').reason).toMatch(/p-2 under 50 % but changed 4m ago, less than 5m/);
  });
  it('the disruption budget keeps a node whose instances would exceed it', () => {
    const policy = policyFrom([POOL('p', { min: 1, max: 10, initial: 3 }), AGENT('a', 3), poolPolicy(), `apiVersion: quartermaster.dev/v1alpha1
kind: SchedulingProfile
metadata: {name: default}
spec: {disruptionBudget: {maxUnavailablePercent: 10}}`].join('\n---\n'));
    const two = [...running('a', 'p-1', 1), ...running('a', 'p-2', 1, 1), ...running('a', 'p-0', 1, 2)];
    const p = plan(policy, { nodes: 3, instances: two, history: lastScaled(HOUR_AGO) });
    // 10 % of 3 replicas rounds to the minimum of 1: one node with one instance may go, not two.
    expect(scalePools(p.actions)[0]).toMatchObject({ from: 3, to: 2 });
  });
});

describe('agent replicas from metrics feed the placement engine in the same plan', () => {
  const fleet = (extra = '') => policyFrom([POOL('p', { min: 1, max: 10, initial: 2 }), AGENT('a', 2), METRIC_SOURCES, SP('a', '{kind: Agent, name: a}', `min: 1\nmax: 6\nmetrics: [{metric: {source: h, series: rpm}, targetPerReplica: 100}]\nbehavior: {scaleUp: {cooldown: 0s}, scaleDown: {stabilizationWindow: 0s, cooldown: 0s}}${extra ? `\n${extra}` : ''}`)].join('\n---\n'));
  const rpm = (v: number) => data({ rpm: series('2026-11-27T19:50:00Z', 60, Array(11).fill(v)) });
  it('scale up: scaleAgent first, then the places it causes, depending on it', () => {
    const p = plan(fleet(), { instances: running('a', 'p-0', 2), metrics: rpm(450) });
    const sa = p.actions.find((a): a is ScaleAgentAction => a.type === 'scaleAgent')!;
    expect(sa).toMatchObject({ agent: 'a', from: 2, to: 5 });
    expect(sa.reason).toMatch(/^metric h\/rpm = 450 ÷ 100 per replica → 5 replicas \(\+3\)$/);
    const places = p.actions.filter((a) => a.type === 'place');
    expect(places.map((a) => a.type === 'place' && a.instance)).toEqual(['a-2', 'a-3', 'a-4']);
    for (const a of places) {
      expect(Number(a.id.slice(1))).toBeGreaterThan(Number(sa.id.slice(1)));
      expect(a.dependsOn).toContain(sa.id);
    }
    expect(p.summary.scaleAgent).toBe(1);
  });
  it('scale down: the highest ordinals are removed, freeing their nodes', () => {
    const p = plan(fleet(), { instances: [...running('a', 'p-0', 2), ...running('a', 'p-1', 2, 2)], metrics: rpm(150) });
    expect(p.actions.find((a) => a.type === 'scaleAgent')).toMatchObject({ from: 4, to: 2 });
    expect(p.actions.filter((a) => a.type === 'remove').map((a) => a.type === 'remove' && a.instance)).toEqual(['a-2', 'a-3']);
  });
  it('a source that is down: a warning in the plan, no scale-down, no crash', () => {
    const p = plan(fleet(), { instances: [...running('a', 'p-0', 2), ...running('a', 'p-1', 2, 2)], metrics: data({ rpm: { error: 'Prometheus at http://127.0.0.1:9/api/v1/query_range is unreachable' } }) });
    expect(p.summary.scaleAgent).toBe(0);
    expect(p.summary.remove).toBe(0);
    expect(p.warnings).toContainEqual({ code: 'MetricUnavailable', message: expect.stringMatching(/ScalingPolicy a: metric h\/rpm: Prometheus at .+ is unreachable; its recommendation is left out and the target is not scaled down/) });
  });
  it('a predictive policy puts its forecast into plan.forecasts', () => {
    const policy = policyFrom([POOL('p', { min: 1, max: 10, initial: 2 }), AGENT('a', 2), METRIC_SOURCES, SP('a', '{kind: Agent, name: a}', 'min: 1\nmax: 6\npredictive: {metric: {source: h, series: rpm}, targetPerReplica: 100, horizon: 30m, lookback: 3d, mode: forecastOnly}')].join('\n---\n'));
    const values = Array.from({ length: 3 * 288 }, (_, i) => 300 + 100 * Math.sin((2 * Math.PI * i) / 288));
    const start = new Date(Date.parse(NOW) - (values.length - 1) * 300_000).toISOString();
    const p = plan(policy, { instances: running('a', 'p-0', 2), metrics: data({ rpm: series(start, 300, values) }) });
    expect(p.forecasts).toHaveLength(1);
    const f = p.forecasts[0] as Record<string, unknown>;
    expect(f).toMatchObject({ target: { kind: 'Agent', name: 'a' }, series: 'rpm', horizon: 1800, mode: 'forecastOnly', applied: false, capacity: 200 });
    expect((f.points as unknown[]).length).toBeGreaterThan(0);
    // forecastOnly: shown, not acted upon.
    expect(p.summary.scaleAgent).toBe(0);
  });
});

describe('duplicates: the same instance on two nodes, the first kept and the other removed', () => {
  // a-0 (3 cpu) runs on p-0 and again on p-1, as after an unreachable engine came back.
  const copy = (node: string): ObservedInstance => ({ name: 'a-0', agent: 'a', node, requests: { cpuMillis: 3000, memoryBytes: 1024 ** 3 }, startedAt: HOUR_AGO });
  const fleet = (extra = '') => policyFrom([POOL('p', { min: 1, max: 10, initial: 2 }), AGENT('a', 1, 3), extra].filter(Boolean).join('\n---\n'));
  it('the plan\'s pool utilisation after removing the duplicate still counts the kept copy', () => {
    const p = plan(fleet(), { instances: [copy('p-0'), copy('p-1')] });
    expect(p.actions.map((a) => a.type === 'remove' && [a.instance, a.node])).toEqual([['a-0', 'p-1']]);
    expect(p.pools[0]!.utilizationPercent.cpu).toEqual({ current: 75, planned: 37.5 });
  });
  it('the autoscaler measures the pool with the kept copy (positions drop only the removed copy)', () => {
    const policy = fleet(SP('p', '{kind: Pool, name: p}', 'min: 1\nmax: 10\ntargetUtilizationPercent: 30'));
    const observed = { nodes: newNodes(policy.pools[0]!, [], 2), instances: [copy('p-0'), copy('p-1')], scalingHistory: [] };
    const d = planScaling({ policy, observed, now: NOW, metrics: {}, forecast }).decisions.pools[0]!;
    expect(d).toMatchObject({ from: 2, to: 3, reason: 'utilisation cpu 37.5 % > target 30 % → 3 nodes (+1)' });
  });
});

describe('static pools never scale', () => {
  it('a policy on a static pool is ignored with a warning', async () => {
    const { validateFiles } = await import('../../src/config/validate.js');
    const text = [`apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: p}
spec: {driver: sim, node: {capacity: {cpu: 4}}, nodes: [{name: s-1}]}`, AGENT('a', 1), poolPolicy()].join('\n---\n');
    const r = validateFiles([{ path: 'x.yaml', text }]);
    // Validation already refuses it; the planner is defensive anyway.
    expect(r.diagnostics.some((d) => d.code === 'InvalidTarget')).toBe(true);
  });
});
