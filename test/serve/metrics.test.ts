/** ServeMetrics: the gauges it derives from a plan and an observation, and what a later run replaces. */
import { describe, expect, it } from 'vitest';
import { ServeMetrics } from '../../src/serve/metrics.js';
import type { Plan } from '../../src/model/plan.js';
import type { ObservedState } from '../../src/model/state.js';
import { sample } from './harness.js';

const node = (name: string, pool: string, ready = true) => ({ name, pool, region: 'r', zone: 'z', labels: {}, taints: [], ready, capacity: { cpuMillis: 4000 }, costPerHour: 0, powerWatts: 0 });

function plan(over: Partial<Plan>): Plan {
  return {
    formatVersion: '1.0', planId: 'sha256:x', createdAt: '2026-12-06T10:00:00Z', inputs: { policyDigest: 'd', gitCommit: null, stateFingerprint: 'f', now: '2026-12-06T10:00:00Z' },
    changes: false, summary: { place: 0, move: 0, evict: 0, remove: 0, scalePool: 0, scaleAgent: 0, blocked: 0 },
    actions: [], blocked: [], pools: [], quotas: [], forecasts: [], warnings: [], ...over,
  } as Plan;
}

describe('ServeMetrics.fleet', () => {
  it('counts blocked instances per agent and first reason, quota ratios, pool nodes by state; no instance labels', async () => {
    const m = new ServeMetrics({ defaultMetrics: false });
    const observed: ObservedState = { nodes: [node('a-0', 'a'), node('a-1', 'a', false)], instances: [{ name: 'chat-0', agent: 'chat', node: 'a-0', requests: {} }], scalingHistory: [] };
    m.fleet(plan({
      actions: [{ type: 'place', id: 'p1', reason: 'r', instance: 'chat-1', agent: 'chat', pool: 'a', node: 'a-0', requests: {}, score: 1 }],
      blocked: [
        { instance: 'big-0', agent: 'big', reasons: [{ code: 'InsufficientResource', message: 'm' }, { code: 'UntoleratedTaint', message: 'm' }] },
        { instance: 'big-1', agent: 'big', reasons: [{ code: 'InsufficientResource', message: 'm' }] },
        { instance: 'big-2', agent: 'big', reasons: [{ code: 'QuotaExceeded', message: 'm' }] },
      ],
      pools: [{ name: 'a', nodes: { current: 2, planned: 3 }, utilizationPercent: { cpuMillis: { current: 25, planned: 50 } } }],
      quotas: [{ name: 'team', used: { cpuMillis: 950, gpuMillis: 0 }, limits: { cpuMillis: 1000, gpuMillis: 0 } }],
      forecasts: [{ policy: 'p', points: [{ value: 5, lower: 4, upper: 6 }, { value: 10, lower: 8, upper: 12 }] }],
    }), observed);
    const t = (await m.text()).body;
    expect(sample(t, 'qm_blocked_instances', { agent: 'big', reason: 'InsufficientResource' })).toBe(2);
    expect(sample(t, 'qm_blocked_instances', { agent: 'big', reason: 'QuotaExceeded' })).toBe(1);
    expect(sample(t, 'qm_blocked_instances', { agent: 'big', reason: 'UntoleratedTaint' })).toBeUndefined();
    expect(sample(t, 'qm_instances', { agent: 'big', state: 'blocked' })).toBe(3);
    expect(sample(t, 'qm_instances', { agent: 'chat', state: 'running' })).toBe(1);
    expect(sample(t, 'qm_instances', { agent: 'chat', state: 'to_place' })).toBe(1);
    expect(sample(t, 'qm_pool_nodes', { pool: 'a', state: 'ready' })).toBe(1);
    expect(sample(t, 'qm_pool_nodes', { pool: 'a', state: 'not_ready' })).toBe(1);
    expect(sample(t, 'qm_pool_nodes', { pool: 'a', state: 'planned' })).toBe(3);
    expect(sample(t, 'qm_pool_utilization_ratio', { pool: 'a', resource: 'cpuMillis' })).toBe(0.25);
    expect(sample(t, 'qm_quota_used_ratio', { quota: 'team', resource: 'cpuMillis' })).toBe(0.95);
    // A limit of 0 has no ratio.
    expect(sample(t, 'qm_quota_used_ratio', { quota: 'team', resource: 'gpuMillis' })).toBeUndefined();
    expect([sample(t, 'qm_forecast', { policy: 'p', bound: 'lower' }), sample(t, 'qm_forecast', { policy: 'p', bound: 'mean' }), sample(t, 'qm_forecast', { policy: 'p', bound: 'upper' })]).toEqual([8, 10, 12]);
    expect(sample(t, 'qm_drift_instances')).toBe(1);
    expect(sample(t, 'qm_drift_pools')).toBe(1);
    expect(t).not.toMatch(/instance="|node="/);
  });

  it('a later run replaces the gauges: a pool or agent gone from the policy disappears', async () => {
    const m = new ServeMetrics({ defaultMetrics: false });
    m.fleet(plan({ pools: [{ name: 'old', nodes: { current: 1, planned: 1 }, utilizationPercent: {} }], blocked: [{ instance: 'x-0', agent: 'x', reasons: [{ code: 'NoPoolCanFit', message: 'm' }] }] }), { nodes: [node('old-0', 'old')], instances: [], scalingHistory: [] });
    m.fleet(plan({ pools: [{ name: 'new', nodes: { current: 0, planned: 0 }, utilizationPercent: {} }] }), { nodes: [], instances: [], scalingHistory: [] });
    const t = (await m.text()).body;
    expect(sample(t, 'qm_pool_nodes', { pool: 'old', state: 'ready' })).toBeUndefined();
    expect(sample(t, 'qm_pool_nodes', { pool: 'new', state: 'planned' })).toBe(0);
    expect(sample(t, 'qm_blocked_instances', { agent: 'x', reason: 'NoPoolCanFit' })).toBeUndefined();
  });

  it('qm_anomaly is 1 while a metric is out of its interval and 0 once it is back; qm_anomaly_deviation says how far', async () => {
    const m = new ServeMetrics({ defaultMetrics: false });
    const observed: ObservedState = { nodes: [], instances: [], scalingHistory: [] };
    const anomaly = { policy: 'gpu', target: { kind: 'Pool' as const, name: 'gpu' }, source: 'h', series: 'load', metric: 'h/load', direction: 'below' as const, from: '2026-12-06T09:58:00Z', at: '2026-12-06T10:00:00Z', samples: 3, level: 0.95, model: 'ses', observed: 2, expected: 40, lower: 30, upper: 50, deviation: -3.8, points: [] };
    m.fleet(plan({ anomalies: [anomaly] }), observed);
    let t = (await m.text()).body;
    expect(sample(t, 'qm_anomaly', { policy: 'gpu', series: 'h/load' })).toBe(1);
    expect(sample(t, 'qm_anomaly_deviation', { policy: 'gpu', series: 'h/load' })).toBe(-3.8);
    m.fleet(plan({}), observed);
    t = (await m.text()).body;
    expect(sample(t, 'qm_anomaly', { policy: 'gpu', series: 'h/load' })).toBe(0);
    expect(sample(t, 'qm_anomaly_deviation', { policy: 'gpu', series: 'h/load' })).toBeUndefined();
    m.clearFleet();
    expect(sample((await m.text()).body, 'qm_anomaly', { policy: 'gpu', series: 'h/load' })).toBeUndefined();
  });

  it('records driver calls, phases, runs and actions', async () => {
    const m = new ServeMetrics({ defaultMetrics: false });
    m.driverCall('docker-east', 'observe', 0.02, false);
    m.driverCall('docker-east', 'apply', 0.5, true);
    m.phase('plan', 1.5);
    m.runEnded('error', 2, new Date(1_000_000));
    m.applied(plan({ actions: [{ type: 'remove', id: 'r1', reason: 'r', instance: 'i', agent: 'a', node: 'n' }] }), { status: 'failed', results: [{ id: 'r1', action: 'remove i from n', status: 'failed', message: 'm', ms: 1 }] });
    const t = (await m.text()).body;
    expect(sample(t, 'qm_driver_up', { driver: 'docker-east' })).toBe(0);
    expect(sample(t, 'qm_driver_call_errors_total', { driver: 'docker-east', call: 'observe' })).toBe(1);
    expect(sample(t, 'qm_driver_call_duration_seconds_count', { driver: 'docker-east', call: 'apply' })).toBe(1);
    expect(sample(t, 'qm_plan_duration_seconds_sum')).toBe(1.5);
    expect(sample(t, 'qm_reconcile_total', { result: 'error' })).toBe(1);
    expect(sample(t, 'qm_last_reconcile_timestamp_seconds')).toBe(1000);
    expect(sample(t, 'qm_last_reconcile_success_timestamp_seconds')).toBe(0);
    expect(sample(t, 'qm_actions_total', { type: 'remove', result: 'failed' })).toBe(1);
  });
});

describe('instrumentDriver', () => {
  it('times observe and apply (failures too) and leaves the rest of the driver as it is, #private fields included', async () => {
    const { instrumentDriver, setTelemetry } = await import('../../src/engine/telemetry.js');
    class Fake {
      readonly name = 'fake';
      #calls = 0;
      get calls() {
        return this.#calls;
      }
      async observe() {
        this.#calls++;
        return { nodes: [], instances: [], warnings: [], scalingHistory: [] };
      }
      async apply() {
        this.#calls++;
        throw new Error('no');
      }
      async close() {
        this.#calls++;
      }
    }
    const m = new ServeMetrics({ defaultMetrics: false });
    setTelemetry(m);
    try {
      const d = instrumentDriver(new Fake() as never) as unknown as Fake;
      await d.observe();
      await expect(d.apply()).rejects.toThrow('no');
      await d.close();
      expect(d.calls).toBe(3);
    } finally {
      setTelemetry(undefined);
    }
    const t = (await m.text()).body;
    expect(sample(t, 'qm_driver_call_duration_seconds_count', { driver: 'fake', call: 'observe' })).toBe(1);
    expect(sample(t, 'qm_driver_call_errors_total', { driver: 'fake', call: 'apply' })).toBe(1);
    expect(sample(t, 'qm_driver_up', { driver: 'fake' })).toBe(1);
    // Without a sink the driver is returned untouched.
    const plain = new Fake();
    expect(instrumentDriver(plain as never)).toBe(plain);
  });
});

describe('ServeMetrics.clearFleet', () => {
  it('leaves no fleet gauge behind (a leader stepping down)', async () => {
    const m = new ServeMetrics({ defaultMetrics: false });
    m.fleet(plan({ actions: [{ type: 'evict', id: 'e', reason: 'r', instance: 'i', agent: 'a', node: 'n' }], pools: [{ name: 'p', nodes: { current: 1, planned: 2 }, utilizationPercent: {} }] }), { nodes: [node('p-0', 'p')], instances: [], scalingHistory: [] });
    m.driverCall('sim', 'observe', 0.01, true);
    m.clearFleet();
    const t = (await m.text()).body;
    expect(sample(t, 'qm_drift_instances')).toBe(0);
    expect(sample(t, 'qm_drift_pools')).toBe(0);
    expect(sample(t, 'qm_pool_nodes', { pool: 'p', state: 'ready' })).toBeUndefined();
    expect(sample(t, 'qm_driver_up', { driver: 'sim' })).toBeUndefined();
  });
});

describe('ServeMetrics.text', () => {
  it('renders the qm_* families again only after something was recorded (or changed() was called)', async () => {
    const m = new ServeMetrics({ defaultMetrics: false });
    const first = (await m.text()).body;
    expect(first).toMatch(/^qm_leader 0$/m);
    // Set behind the recording methods' back: the kept text still answers...
    m.leader.set(1);
    expect((await m.text()).body).toBe(first);
    // ...until changed(), which every recording method calls.
    m.changed();
    expect((await m.text()).body).toMatch(/^qm_leader 1$/m);
    m.runEnded('ok', 0.5, new Date(1_000_000));
    expect((await m.text()).body).toMatch(/^qm_reconcile_total\{result="ok"\} 1$/m);
    m.driverCall('sim', 'observe', 0.01, false);
    expect((await m.text()).body).toMatch(/^qm_driver_up\{driver="sim"\} 0$/m);
  });

  it('renders the process_* and nodejs_* families at every scrape', async () => {
    const m = new ServeMetrics();
    const a = (await m.text()).body;
    expect(a).toMatch(/^process_cpu_seconds_total \S+$/m);
    expect(a).toMatch(/^qm_leader 0$/m);
    expect(a).not.toMatch(/nodejs_active_handles_total/);
  });
});

describe('ServeMetrics: the fleet families are set and rendered only when their inputs change', () => {
  const obs = (usage?: number): ObservedState => ({
    nodes: [node('a-0', 'a')],
    instances: [{ name: 'chat-0', agent: 'chat', node: 'a-0', requests: { cpuMillis: 500 }, ...(usage !== undefined ? { usage: { at: '2026-12-06T10:00:00Z', use: { cpuMillis: usage } } } : {}) }],
    scalingHistory: [],
  });
  const pools = (planned: number) => plan({ pools: [{ name: 'a', nodes: { current: 1, planned }, utilizationPercent: {} }] });

  it('the same plan input key and nothing measured: the gauges are kept; a new key, measured use or clearFleet sets them again', async () => {
    const m = new ServeMetrics({ defaultMetrics: false });
    m.fleet(pools(1), obs(), 'key-1');
    // Another plan under the same key stands for the same inputs, so it is not read again.
    m.fleet(pools(5), obs(), 'key-1');
    let t = (await m.text()).body;
    expect(sample(t, 'qm_pool_nodes', { pool: 'a', state: 'planned' })).toBe(1);
    m.fleet(pools(2), obs(), 'key-2');
    t = (await m.text()).body;
    expect(sample(t, 'qm_pool_nodes', { pool: 'a', state: 'planned' })).toBe(2);
    // Measured use changes every minute: never skipped.
    m.fleet(pools(2), obs(100), 'key-2');
    m.fleet(pools(2), obs(300), 'key-2');
    t = (await m.text()).body;
    expect(sample(t, 'qm_agent_usage', { agent: 'chat', resource: 'cpu' })).toBe(0.3);
    // Without a key (a policy whose plans are never reused) every call sets them.
    m.fleet(pools(3), obs(), undefined);
    m.fleet(pools(4), obs(), undefined);
    expect(sample((await m.text()).body, 'qm_pool_nodes', { pool: 'a', state: 'planned' })).toBe(4);
    m.fleet(pools(6), obs(), 'key-3');
    m.clearFleet();
    expect(sample((await m.text()).body, 'qm_pool_nodes', { pool: 'a', state: 'planned' })).toBeUndefined();
    // After clearFleet the same key sets them again.
    m.fleet(pools(6), obs(), 'key-3');
    expect(sample((await m.text()).body, 'qm_pool_nodes', { pool: 'a', state: 'planned' })).toBe(6);
  });

  it('a run counted after the fleet gauges were rendered shows both: the run counters anew, the fleet families kept', async () => {
    const m = new ServeMetrics({ defaultMetrics: false });
    m.fleet(pools(2), obs(), 'k');
    const first = (await m.text()).body;
    expect(sample(first, 'qm_reconcile_total', { result: 'ok' })).toBeUndefined();
    m.runEnded('ok', 0.2, new Date('2026-12-06T10:00:00Z'));
    const second = (await m.text()).body;
    expect(sample(second, 'qm_reconcile_total', { result: 'ok' })).toBe(1);
    expect(sample(second, 'qm_pool_nodes', { pool: 'a', state: 'planned' })).toBe(2);
    expect(sample(second, 'qm_agent_requests', { agent: 'chat', resource: 'cpu' })).toBe(0.5);
    // Every family once: HELP and TYPE lines are not repeated by the two registries.
    const helps = [...second.matchAll(/^# HELP (\S+)/gm)].map((x) => x[1]);
    expect(new Set(helps).size).toBe(helps.length);
  });
});
