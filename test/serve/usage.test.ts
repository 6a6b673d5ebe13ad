/**
 * Real use in qm serve (issue #15): per-agent requests and use exported in base units (cores,
 * bytes, devices), never per instance; one usage sample per measured instance per run recorded in
 * the state store. The end-to-end part runs the built `qm serve` on the example fleet, whose sim
 * driver simulates use (QM_SIM_USAGE).
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ServeMetrics } from '../../src/serve/metrics.js';
import { minuteOf, usageSamples } from '../../src/serve/usage.js';
import type { Plan } from '../../src/model/plan.js';
import type { ObservedState } from '../../src/model/state.js';
import { openStateStore } from '../../src/state/index.js';
import type { TempRepo } from '../helpers/repo.js';
import { exampleFleetRepo, sample, startServe, waitFor } from './harness.js';
import type { ServeProc } from './harness.js';

const node = (name: string, pool: string) => ({ name, pool, region: 'r', zone: 'z', labels: {}, taints: [], ready: true, capacity: { cpuMillis: 4000 }, costPerHour: 0, powerWatts: 0 });
const plan = { formatVersion: '1.0', planId: 'sha256:x', createdAt: '2026-12-06T10:00:00Z', inputs: { policyDigest: 'd', gitCommit: null, stateFingerprint: 'f', now: '2026-12-06T10:00:00Z' }, changes: false, summary: { place: 0, move: 0, evict: 0, remove: 0, scalePool: 0, scaleAgent: 0, blocked: 0 }, actions: [], blocked: [], pools: [], quotas: [], forecasts: [], warnings: [] } as unknown as Plan;

const observed: ObservedState = {
  nodes: [node('g-0', 'gpu'), node('g-1', 'gpu')],
  instances: [
    { name: 'chat-0', agent: 'chat', node: 'g-0', requests: { cpuMillis: 1000, memoryBytes: 2 ** 30, gpuMillis: 500 }, usage: { at: '2026-12-06T09:59:41Z', use: { cpuMillis: 750, memoryBytes: 2 ** 29 } } },
    { name: 'chat-1', agent: 'chat', node: 'g-1', requests: { cpuMillis: 1000, memoryBytes: 2 ** 30, gpuMillis: 500 }, usage: { at: '2026-12-06T09:59:42.5Z', use: { cpuMillis: 250, memoryBytes: 2 ** 28 } } },
    { name: 'embed-0', agent: 'embed', node: 'g-1', requests: { cpuMillis: 500 } },
  ],
  scalingHistory: [],
};

describe('qm serve: usage metrics and samples', () => {
  it('exports requests and use per agent and resource in cores, bytes and devices; use absent where not measured; no instance label', async () => {
    const m = new ServeMetrics({ defaultMetrics: false });
    m.fleet(plan, observed);
    const t = (await m.text()).body;
    expect(sample(t, 'qm_agent_requests', { agent: 'chat', resource: 'cpu' })).toBe(2);
    expect(sample(t, 'qm_agent_requests', { agent: 'chat', resource: 'memory' })).toBe(2 * 2 ** 30);
    expect(sample(t, 'qm_agent_requests', { agent: 'chat', resource: 'gpu' })).toBe(1);
    expect(sample(t, 'qm_agent_usage', { agent: 'chat', resource: 'cpu' })).toBe(1);
    expect(sample(t, 'qm_agent_usage', { agent: 'chat', resource: 'memory' })).toBe(2 ** 29 + 2 ** 28);
    // Docker and metrics.k8s.io do not measure GPUs: no sample rather than a 0.
    expect(sample(t, 'qm_agent_usage', { agent: 'chat', resource: 'gpu' })).toBeUndefined();
    expect(sample(t, 'qm_agent_usage', { agent: 'embed', resource: 'cpu' })).toBeUndefined();
    expect(sample(t, 'qm_agent_requests', { agent: 'embed', resource: 'cpu' })).toBe(0.5);
    expect(sample(t, 'qm_agent_measured_instances', { agent: 'chat' })).toBe(2);
    expect(sample(t, 'qm_agent_measured_instances', { agent: 'embed' })).toBe(0);
    expect(t).toMatch(/# HELP qm_agent_usage Real use summed over/);
    expect(t).not.toMatch(/instance="/);
    // A later run without the agent forgets it.
    m.fleet(plan, { ...observed, instances: [] });
    expect(sample((await m.text()).body, 'qm_agent_usage', { agent: 'chat', resource: 'cpu' })).toBeUndefined();
  });

  it('one sample per measured instance, at the minute of its measurement, with its pool', () => {
    expect(minuteOf('2026-12-06T09:59:42.5Z')).toBe('2026-12-06T09:59:00Z');
    expect(minuteOf('2026-12-06T11:59:42+02:00')).toBe('2026-12-06T09:59:00Z');
    expect(minuteOf('soon')).toBeUndefined();
    expect(usageSamples(observed)).toEqual([
      { at: '2026-12-06T09:59:00Z', instance: 'chat-0', agent: 'chat', pool: 'gpu', node: 'g-0', use: { cpuMillis: 750, memoryBytes: 2 ** 29 } },
      { at: '2026-12-06T09:59:00Z', instance: 'chat-1', agent: 'chat', pool: 'gpu', node: 'g-1', use: { cpuMillis: 250, memoryBytes: 2 ** 28 } },
    ]);
  });
});

describe('qm serve on the example fleet with simulated use', { timeout: 120_000 }, () => {
  let repo: TempRepo | undefined;
  let serve: ServeProc | undefined;
  afterAll(async () => {
    await serve?.stop('SIGKILL', 5000);
    await repo?.cleanup();
  });

  it('exports qm_agent_usage from the drivers, records samples in the state store and prunes those past --usage-retention', async () => {
    repo = await exampleFleetRepo();
    // A sample from before the retention (8 days by default), as a long-running serve leaves behind.
    const old = new Date(Date.now() - 9 * 86400_000).toISOString().slice(0, 16) + ':00Z';
    const before = await openStateStore(path.join(repo.dir, '.qm', 'state.db'));
    try {
      await before.usage.record([{ at: old, instance: 'gone-0', agent: 'gone', pool: 'gpu', node: 'g-0', use: { cpuMillis: 10 } }]);
    } finally {
      await before.close();
    }
    serve = await startServe(repo.dir, ['--interval', '1s', '--mode', 'fix'], { QM_SIM_USAGE: '*:cpu=50,*:memory=25' });
    let body = '';
    await waitFor('qm_agent_usage', async () => {
      body = (await serve!.get('/metrics')).body;
      return body.includes('qm_agent_usage{');
    }, 60_000, () => serve!.stderr());
    const agents = [...body.matchAll(/^qm_agent_usage\{agent="([^"]+)",resource="cpu"\} (\S+)$/gm)].map((m) => ({ agent: m[1]!, use: Number(m[2]) }));
    expect(agents.length).toBeGreaterThan(0);
    for (const a of agents) {
      const req = sample(body, 'qm_agent_requests', { agent: a.agent, resource: 'cpu' })!;
      const n = sample(body, 'qm_agent_measured_instances', { agent: a.agent })!;
      const running = sample(body, 'qm_instances', { agent: a.agent, state: 'running' })!;
      // Every running instance is measured at 50 % of its CPU request.
      expect(n).toBe(running);
      expect(a.use).toBeCloseTo(req / 2, 3);
    }
    await serve.stop('SIGTERM');
    const store = await openStateStore(path.join(repo.dir, '.qm', 'state.db'));
    try {
      const samples = await store.usage.list();
      expect(samples.length).toBeGreaterThan(0);
      // The 9-day-old sample is gone: only the agents serve measured remain.
      expect(new Set(samples.map((s) => s.agent))).toEqual(new Set(agents.map((a) => a.agent)));
      expect(serve.stderr()).toContain('"pruned usage samples"');
      for (const s of samples) {
        expect(s.at).toMatch(/:00(\.000)?Z$/);
        expect(s.use.cpuMillis).toBeGreaterThan(0);
      }
    } finally {
      await store.close();
    }
  });
});
