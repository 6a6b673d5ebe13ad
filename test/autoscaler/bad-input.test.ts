/** Bad input never crashes and never scales down wildly: each case gives a clear message and a safe count. */
import { describe, expect, it } from 'vitest';
import { autoscale } from '../../src/autoscaler/index.js';
import type { SeriesPoint } from '../../src/autoscaler/index.js';
import type { PolicySet } from '../../src/model/documents.js';
import { AGENT, METRIC_SOURCES, SP, T, data, policyFrom, series } from './builders.js';

const NOW = '2026-11-27T12:00:00Z';
const running = (n: number) => ({ nodes: [], instances: Array.from({ length: n }, (_, i) => ({ name: `a-${i}`, agent: 'a', node: 'n', requests: {} })), scalingHistory: [] });
const policy = (extra = '') => policyFrom([AGENT('a', 3), METRIC_SOURCES, SP('s', '{kind: Agent, name: a}', `min: 1
max: 10
metrics: [{metric: {source: h, series: load}, targetPerReplica: 100}]
predictive: {metric: {source: h, series: load}, targetPerReplica: 100, horizon: 15m, lookback: 1d, mode: forecastAndScale}
behavior: {scaleUp: {cooldown: 0s}, scaleDown: {stabilizationWindow: 0s, cooldown: 0s}}${extra ? `\n${extra}` : ''}`)].join('\n---\n'));
const run = (p: PolicySet, load: SeriesPoint[] | { error: string }, now = NOW) => autoscale({ policy: p, observed: running(4), metrics: data({ load }), now });
const minutes = (values: number[], end = NOW) => series(new Date(Date.parse(end) - (values.length - 1) * 60_000).toISOString(), 60, values);

describe('bad series', () => {
  it.each<[string, SeriesPoint[] | { error: string }, number, RegExp]>([
    ['empty', [], 4, /metric h\/load: no samples .*; its recommendation is left out and the target is not scaled down/],
    ['a failing source', { error: "Prometheus at http://p:9090/api/v1/query rejected query 'sum(x': bad_data: parse error" }, 4, /rejected query 'sum\(x': bad_data/],
    ['only NaN and Inf', minutes([NaN, Infinity, -Infinity, NaN]), 4, /4 NaN\/Inf samples dropped/],
    ['stale (the history ends 2h before now)', minutes(Array(30).fill(100), '2026-11-27T10:00:00Z'), 4, /stale/],
  ])('%s → keep %d with a warning', (_n, load, to, msg) => {
    const r = run(policy(), load);
    expect(r.agents[0]!.to).toBe(to);
    expect(r.warnings.map((w) => w.message).join('\n')).toMatch(msg);
  });
  it.each<[string, SeriesPoint[], number, RegExp | undefined]>([
    ['constant', minutes(Array(120).fill(250)), 3, undefined],
    ['NaN and Inf among good samples', minutes([...Array(100).fill(250), NaN, Infinity, 250]), 3, /2 NaN\/Inf samples dropped/],
    ['out of order', [...minutes(Array(120).fill(250))].reverse(), 3, /samples out of order, sorted by time/],
    ['duplicate timestamps (the last wins)', [...minutes(Array(120).fill(900)), ...minutes(Array(120).fill(250))], 3, /120 duplicate timestamps, the last value kept/],
  ])('%s → a sound recommendation (%d)', (_n, load, to, msg) => {
    const r = run(policy(), load);
    expect(r.agents[0]!.to).toBe(to);
    if (msg) expect(r.warnings.map((w) => w.message).join('\n')).toMatch(msg);
  });
});

describe('bad schedules and windows at run time', () => {
  // qm validate refuses these; the planner must still be safe when handed one (a policy built by code, a newer croner).
  const broken = (extra: string, patch: (s: PolicySet['scalingPolicies'][number]['spec']) => void) => {
    const p = policy(extra);
    patch(p.scalingPolicies[0]!.spec);
    return p;
  };
  it('an unknown time zone is ignored with a warning', () => {
    const p = broken('schedules: [{cron: "0 * * * *", timezone: UTC, duration: 1h, min: 9}]', (s) => (s.schedules[0]!.timezone = 'Mars/Olympus'));
    const r = run(p, minutes(Array(30).fill(400)));
    expect(r.agents[0]!.to).toBe(4);
    expect(r.warnings.find((w) => w.code === 'ScheduleIgnored')!.message).toMatch(/^ScalingPolicy s: schedules\[0\]: cron '0 \* \* \* \*' in Mars\/Olympus cannot be evaluated: .+; the schedule is ignored$/);
  });
  it('a schedule whose cron never fires is ignored with a warning', () => {
    const p = broken('schedules: [{cron: "0 0 1 1 *", timezone: UTC, duration: 1h, min: 9}]', (s) => (s.schedules[0]!.cron = '0 0 30 2 *'));
    const r = run(p, minutes(Array(30).fill(400)));
    expect(r.agents[0]!.to).toBe(4);
    expect(r.warnings).toContainEqual({ code: 'ScheduleIgnored', message: "ScalingPolicy s: schedules[0]: cron '0 0 30 2 *' in UTC never fires; the schedule is ignored" });
  });
  it('a deny window that cannot be evaluated blocks scale-down (the safe side)', () => {
    const p = broken('windows: [{deny: true, cron: "0 0 1 1 *", timezone: UTC, duration: 1h}]', (s) => (s.windows[0]!.cron = '0 0 30 2 *'));
    const r = run(p, minutes(Array(30).fill(100)));
    expect(r.agents[0]!.to).toBe(4);
    expect(r.agents[0]!.reason).toMatch(/no scale-down now: deny windows\[0\] .+ cannot be evaluated/);
  });
  it('a clock that is not a time: nothing is autoscaled, and the plan says why', () => {
    const r = autoscale({ policy: policy(), observed: running(4), metrics: {}, now: 'yesterday' });
    expect(r.agents).toEqual([]);
    expect(r.warnings[0]!.message).toBe("the plan clock 'yesterday' is not an ISO 8601 time; nothing is autoscaled");
  });
  it('two policies for one target: the first by name wins, the other is reported', () => {
    const one = policyFrom([AGENT('a', 3), METRIC_SOURCES, SP('s1', '{kind: Agent, name: a}', 'min: 1\nmax: 5')].join('\n---\n'));
    const s1 = one.scalingPolicies[0]!;
    const p = { ...one, scalingPolicies: [s1, { ...s1, metadata: { ...s1.metadata, name: 's2' } }] };
    const r = autoscale({ policy: p, observed: running(2), metrics: {}, now: NOW });
    expect(r.agents.map((d) => d.policy)).toEqual(['s1']);
    expect(r.warnings[0]!.message).toBe('ScalingPolicy s2 targets Agent a, which ScalingPolicy s1 already scales; it is ignored');
  });
});

describe('time arithmetic is on the plan clock, not the wall clock', () => {
  it('the same inputs give the same decision', () => {
    const a = run(policy(), minutes(Array(30).fill(700)));
    const b = run(policy(), minutes(Array(30).fill(700)));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(T(NOW)).toBe(1795780800);
  });
});
