/** Behaviour rules, one table each: cooldown, maxStep/maxPercent, stabilization, windows, bounds from schedules. */
import { describe, expect, it } from 'vitest';
import { autoscale } from '../../src/autoscaler/index.js';
import { cooldownHold, stepLimit } from '../../src/autoscaler/behavior.js';
import { boundsAt, disruptionBlocked, windowAt } from '../../src/autoscaler/schedule.js';
import type { ScalingEvent } from '../../src/model/state.js';
import { AGENT, METRIC_SOURCES, SP, T, data, onlyPolicy, policyFrom, series } from './builders.js';

const target = { kind: 'Agent' as const, name: 'a' };
const ev = (at: string, from = 2, to = 3): ScalingEvent => ({ target, at, from, to });

describe('cooldown since the last scaling of the target', () => {
  it.each([
    // history, now, cooldown s, held?
    [[], '2026-11-27T12:00:00Z', 300, false],
    [[ev('2026-11-27T11:58:00Z')], '2026-11-27T12:00:00Z', 300, true],
    [[ev('2026-11-27T11:55:00Z')], '2026-11-27T12:00:00Z', 300, false],
    [[ev('2026-11-27T11:00:00Z'), ev('2026-11-27T11:59:30Z')], '2026-11-27T12:00:00Z', 60, true],
    [[ev('2026-11-27T12:05:00Z')], '2026-11-27T12:00:00Z', 300, false], // in the future of the plan clock: ignored
    [[{ target: { kind: 'Pool' as const, name: 'a' }, at: '2026-11-27T11:59:00Z', from: 1, to: 2 }], '2026-11-27T12:00:00Z', 300, false], // another target
    [[ev('2026-11-27T11:58:00Z')], '2026-11-27T12:00:00Z', 0, false],
  ])('%j at %s with cooldown %ds → held %s', (history, now, cooldown, held) => {
    const r = cooldownHold(history, target, T(now), { stabilizationWindow: 0, cooldown }, 'up');
    expect(r !== undefined).toBe(held);
    if (held) expect(r).toMatch(/^scaleUp\.cooldown .+: last scaled 2 → 3 at .+, .+ ago$/);
  });
});

describe('maxStep and maxPercent per direction', () => {
  it.each([
    // current, desired, rule, dir, to, limit
    [4, 10, { maxStep: 2 }, 'up', 6, 'limited by scaleUp.maxStep 2 → 6'],
    [4, 10, { maxPercent: 100 }, 'up', 8, 'limited by scaleUp.maxPercent 100 % of 4 = 4 → 8'],
    [4, 10, { maxStep: 3, maxPercent: 50 }, 'up', 6, 'limited by scaleUp.maxPercent 50 % of 4 = 2 → 6'],
    [1, 10, { maxPercent: 10 }, 'up', 2, 'limited by scaleUp.maxPercent 10 % of 1 = 1 → 2'],
    [4, 5, { maxStep: 2 }, 'up', 5, undefined],
    [6, 1, { maxStep: 1 }, 'down', 5, 'limited by scaleDown.maxStep 1 → 5'],
    [10, 1, { maxPercent: 25 }, 'down', 8, 'limited by scaleDown.maxPercent 25 % of 10 = 2 → 8'],
    [2, 0, { maxPercent: 10 }, 'down', 1, 'limited by scaleDown.maxPercent 10 % of 2 = 1 → 1'],
    [6, 1, {}, 'down', 1, undefined],
  ] as const)('%d → %d with %j (%s) → %d', (current, desired, rule, dir, to, limit) => {
    const r = stepLimit(current, desired, { stabilizationWindow: 0, cooldown: 0, ...rule }, dir);
    expect(r.to).toBe(to);
    expect(r.limit).toBe(limit);
  });
});

describe('cron windows in their time zone', () => {
  const w = (cron: string, timezone: string, duration: number) => ({ cron, timezone, duration });
  it.each([
    // Berlin is UTC+1 in November: 08:00 Berlin = 07:00Z
    [w('0 8 * * 1-5', 'Europe/Berlin', 36000), '2026-11-27T06:59:00Z', false],
    [w('0 8 * * 1-5', 'Europe/Berlin', 36000), '2026-11-27T07:00:00Z', true],
    [w('0 8 * * 1-5', 'Europe/Berlin', 36000), '2026-11-27T16:59:59Z', true],
    [w('0 8 * * 1-5', 'Europe/Berlin', 36000), '2026-11-27T17:00:00Z', false],
    [w('0 8 * * 1-5', 'Europe/Berlin', 36000), '2026-11-28T09:00:00Z', false], // Saturday
    [w('0 8 * * 1-5', 'UTC', 36000), '2026-11-27T07:30:00Z', false],
    // summer time: 08:00 Berlin = 06:00Z
    [w('0 8 * * 1-5', 'Europe/Berlin', 3600), '2026-07-01T06:30:00Z', true],
    // a window longer than its period stays open
    [w('0 * * * *', 'UTC', 7200), '2026-11-27T12:59:00Z', true],
    // over midnight and into the next day (Saturday 00:00 for 48h)
    [w('0 0 * * 6', 'Europe/Berlin', 172800), '2026-11-29T22:00:00Z', true],
    [w('0 0 * * 6', 'Europe/Berlin', 172800), '2026-11-29T23:00:00Z', false],
  ])('%j at %s → open %s', (win, at, open) => {
    const s = windowAt(win, T(at));
    expect('open' in s && s.open).toBe(open);
  });
  it.each([
    [w('0 0 30 2 *', 'UTC', 3600), /never fires/],
    [w('61 * * * *', 'UTC', 3600), /cannot be evaluated/],
    [w('0 8 * * *', 'Mars/Olympus', 3600), /cannot be evaluated/],
  ])('%j → a problem, not a crash', (win, msg) => {
    const s = windowAt(win, T('2026-11-27T12:00:00Z'));
    expect('problem' in s && s.problem).toMatch(msg);
  });
});

describe('deny and allow windows for scale-down', () => {
  const deny = { cron: '0 9 * * 1-5', timezone: 'UTC', duration: 28800, deny: true };
  const allow = { cron: '0 22 * * *', timezone: 'UTC', duration: 14400, deny: false };
  it.each([
    [[], '2026-11-27T12:00:00Z', undefined],
    [[deny], '2026-11-27T12:00:00Z', /^deny windows\[0\] .+ until 2026-11-27T17:00:00Z$/],
    [[deny], '2026-11-27T18:00:00Z', undefined],
    [[allow], '2026-11-27T12:00:00Z', /no allow window open/],
    [[allow], '2026-11-27T23:00:00Z', undefined],
    [[deny, allow], '2026-11-27T23:00:00Z', undefined],
    [[{ ...deny, cron: '0 0 30 2 *' }], '2026-11-27T12:00:00Z', /cannot be evaluated/], // a broken deny window denies
  ])('%j at %s', (windows, at, blocked) => {
    const r = disruptionBlocked(windows, T(at));
    if (blocked) expect(r.blocked).toMatch(blocked);
    else expect(r.blocked).toBeUndefined();
  });
});

describe('bounds: schedules raise floors and lower caps', () => {
  const doc = onlyPolicy(policyFrom(SP('s', '{kind: Agent, name: a}', `min: 1
max: 8
schedules:
  - {cron: "0 8 * * 1-5", timezone: Europe/Berlin, duration: 10h, min: 4}
  - {cron: "0 0 * * 6", timezone: Europe/Berlin, duration: 48h, max: 2}
  - {cron: "0 12 * * 5", timezone: UTC, duration: 1h, max: 3}`)));
  it.each([
    ['2026-11-27T03:00:00Z', 1, 8, undefined],
    ['2026-11-27T09:00:00Z', 4, 8, undefined],
    ['2026-11-28T09:00:00Z', 1, 2, undefined],
    ['2026-11-27T12:30:00Z', 4, 3, /the floor schedules\[0\] .+ min 4 is above the cap schedules\[2\] .+ max 3/],
  ])('at %s → [%d, %d]', (at, min, max, conflict) => {
    const b = boundsAt(doc.spec, T(at), { min: 0, max: 100, what: 'Agent a' });
    expect([b.min, b.max]).toEqual([min, max]);
    if (conflict) expect(b.conflict).toMatch(conflict);
    else expect(b.conflict).toBeUndefined();
  });
});

/** An Agent policy driven by one file metric, decided at `now`. */
function decideAgent(spec: string, values: Record<string, number[]>, now: string, opts: { running?: number; history?: ScalingEvent[]; start?: string } = {}) {
  const policy = policyFrom([AGENT('a', 3), METRIC_SOURCES, SP('s', '{kind: Agent, name: a}', spec)].join('\n---\n'));
  const running = opts.running ?? 4;
  const observed = { nodes: [], instances: Array.from({ length: running }, (_, i) => ({ name: `a-${i}`, agent: 'a', node: 'n', requests: {} })), scalingHistory: opts.history ?? [] };
  const metrics = data(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, series(opts.start ?? '2026-11-27T11:45:00Z', 60, v)])));
  return autoscale({ policy, observed, metrics, now }).agents[0]!;
}

describe('the whole decision: largest recommendation, bounds, behaviour, in words', () => {
  const NOW = '2026-11-27T12:00:00Z';
  const base = 'min: 1\nmax: 10\nmetrics: [{metric: {source: h, series: load}, targetPerReplica: 100}]';
  const flat = (v: number) => Array(16).fill(v);
  it.each([
    // name, spec extra, load series (11:45…12:00 every minute), history, to, reason pattern
    ['scale up, no limits', 'behavior: {scaleUp: {cooldown: 0s}}', flat(700), [], 7, /^metric h\/load = 700 ÷ 100 per replica → 7 replicas \(\+3\)$/],
    ['maxStep limits the step', 'behavior: {scaleUp: {cooldown: 0s, maxStep: 1}}', flat(700), [], 5, /→ 7 replicas \(\+3\); limited by scaleUp\.maxStep 1 → 5$/],
    ['cooldown holds a scale-up', 'behavior: {scaleUp: {cooldown: 5m}}', flat(700), [ev('2026-11-27T11:58:00Z', 3, 4)], 4, /held at 4 by scaleUp\.cooldown 5m: last scaled 3 → 4 at 2026-11-27T11:58:00Z, 2m ago$/],
    ['cooldown passed', 'behavior: {scaleUp: {cooldown: 1m}}', flat(700), [ev('2026-11-27T11:58:00Z', 3, 4)], 7, /→ 7 replicas \(\+3\)$/],
    ['scale-down stabilization keeps the highest in the window', 'behavior: {scaleDown: {stabilizationWindow: 5m, cooldown: 0s}}', [...flat(100).slice(0, 10), 600, 600, 100, 100, 100, 100], [], 4, /stabilized by scaleDown\.stabilizationWindow 5m: the highest recommendation in it was 6 at 2026-11-27T11:56:00Z → 4 \(never above the current 4\)$/],
    ['scale-down after the window', 'behavior: {scaleDown: {stabilizationWindow: 2m, cooldown: 0s}}', [...flat(100).slice(0, 10), 600, 600, 100, 100, 100, 100], [], 1, /→ 1 replica \(−3\)$/],
    ['scale-up stabilization takes the lowest in the window', 'behavior: {scaleUp: {stabilizationWindow: 5m, cooldown: 0s}}', [...flat(500).slice(0, 12), 900, 900, 900, 900], [], 5, /stabilized by scaleUp\.stabilizationWindow 5m: the lowest recommendation in it was 5/],
    ['cap from spec.max', 'behavior: {scaleUp: {cooldown: 0s}}', flat(5000), [], 10, /→ 50 replicas \(\+46\); capped at spec\.max 10$/],
    ['floor from spec.min', 'behavior: {scaleDown: {stabilizationWindow: 0s, cooldown: 0s}}', flat(0), [], 1, /; raised to spec\.min 1$/],
    ['deny window blocks a scale-down', 'behavior: {scaleDown: {stabilizationWindow: 0s, cooldown: 0s}}\nwindows: [{deny: true, cron: "0 9 * * 1-5", timezone: UTC, duration: 8h}]', flat(100), [], 4, /no scale-down now: deny windows\[0\]/],
    ['a deny window does not block a scale-up', 'behavior: {scaleUp: {cooldown: 0s}}\nwindows: [{deny: true, cron: "0 9 * * 1-5", timezone: UTC, duration: 8h}]', flat(700), [], 7, /→ 7 replicas/],
  ])('%s', (_n, extra, load, history, to, reason) => {
    const d = decideAgent(`${base}\n${extra}`, { load }, NOW, { history });
    expect(d.from).toBe(4);
    expect(d.to).toBe(to);
    expect(d.reason).toMatch(reason);
  });
  it('the largest recommendation wins and the others are named', () => {
    const d = decideAgent(`${base}\nbehavior: {scaleUp: {cooldown: 0s}}\ntriggers: [{name: hot, metric: {source: h, series: q}, operator: gt, threshold: 50, for: 5m, change: {by: 4}}]`, { load: flat(500), q: flat(80) }, NOW);
    expect(d.to).toBe(8);
    expect(d.reason).toMatch(/^trigger hot: h\/q > 50 for 5m \(now 80\) → \+4 = 8 replicas \(\+4\) \(over metric h\/load 5\)$/);
  });
  it('a missing metric never causes a scale-down: the others are held at the current count', () => {
    const d = decideAgent(`${base}\nbehavior: {scaleDown: {stabilizationWindow: 0s, cooldown: 0s}}\ntriggers: [{name: hot, metric: {source: prom, query: up}, operator: gt, threshold: 50, change: {by: 1}}]`, { load: flat(100) }, NOW);
    expect(d.to).toBe(4);
    expect(d.reason).toMatch(/held at 4: 1 metric is unavailable, so no scale-down/);
  });
  it('bounds that conflict at run time keep the count and warn', () => {
    const policy = policyFrom([AGENT('a', 3), METRIC_SOURCES, SP('s', '{kind: Agent, name: a}', `min: 1\nmax: 10\nmetrics: [{metric: {source: h, series: load}, targetPerReplica: 100}]\nschedules:\n  - {cron: "0 * * * *", timezone: UTC, duration: 1h, min: 8}\n  - {cron: "0 * * * *", timezone: UTC, duration: 1h, max: 2}`)].join('\n---\n'));
    const observed = { nodes: [], instances: [0, 1, 2, 3].map((i) => ({ name: `a-${i}`, agent: 'a', node: 'n', requests: {} })), scalingHistory: [] };
    const r = autoscale({ policy, observed, metrics: data({ load: series('2026-11-27T11:45:00Z', 60, flat(900)) }), now: NOW });
    expect(r.agents[0]!.to).toBe(4);
    expect(r.warnings.map((w) => w.code)).toContain('ScalingBoundsConflict');
    expect(r.warnings.find((w) => w.code === 'ScalingBoundsConflict')!.message).toMatch(/ScalingPolicy s: at 2026-11-27T12:00:00Z the floor schedules\[0\] .+ min 8 is above the cap schedules\[1\] .+ max 2; keeping 4 replicas/);
  });
});
