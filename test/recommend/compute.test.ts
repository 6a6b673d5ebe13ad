/** The recommendation arithmetic: percentiles, daily peaks, margin, rounding, floors, tolerance, history. */
import { describe, expect, test } from 'vitest';
import type { AgentDoc } from '../../src/model/documents.js';
import { dailyPeaks, percentile, recommendAgent, type InstanceSeries, type RecommendSettings } from '../../src/recommend/compute.js';

const MI = 2 ** 20;
const MIN = 60_000;
const END = Date.UTC(2026, 11, 1);

const agent = (requests: Record<string, number>): AgentDoc =>
  ({ kind: 'Agent', metadata: { name: 'chat', labels: {}, annotations: {} }, spec: { resources: { requests } }, source: { file: 'agents/chat.yaml', index: 0, line: 1, column: 1 } }) as unknown as AgentDoc;

/** `minutes` samples ending at END, cpu and memory from functions of the minute index. */
function series(instance: string, minutes: number, cpu: (m: number) => number, memory: (m: number) => number): InstanceSeries {
  const at = Array.from({ length: minutes }, (_, k) => END - (minutes - 1 - k) * MIN);
  return { instance, at, cpu: at.map((_, k) => cpu(k)), memory: at.map((_, k) => memory(k)) };
}

const settings: RecommendSettings = { end: END, windowMs: 8 * 1440 * MIN, cpuPercentile: 90, memoryPercentile: 95, margin: 0.15, tolerance: 0.1, minHistoryMinutes: 1440 };

describe('percentile (nearest rank)', () => {
  test('an observed value, never interpolated', () => {
    const v = Array.from({ length: 10 }, (_, i) => (i + 1) * 10);
    expect([percentile(v, 50), percentile(v, 90), percentile(v, 91), percentile(v, 100), percentile(v, 0.1)]).toEqual([50, 90, 100, 100, 10]);
    expect(percentile([], 90)).toBeNaN();
  });
});

describe('dailyPeaks', () => {
  test('per instance, per day counted back from the window end; unmeasured minutes skipped', () => {
    const a = series('a-0', 2 * 1440, (m) => m, (m) => (m < 1440 ? 100 : 300));
    const b = series('a-1', 60, () => 1, () => NaN);
    expect(dailyPeaks([a, b], END).sort((x, y) => x - y)).toEqual([100, 300]);
  });
});

describe('recommendAgent', () => {
  test('cpu p90 of per-minute use and memory p95 of daily peaks, + 15 %, rounded up to 10m and Mi', () => {
    // CPU cycles 0..990 in steps of 10 → p90 = 890 → × 1.15 = 1023.5 → 1030m.
    const s = series('chat-0', 3 * 1440, (m) => (m % 100) * 10, (m) => (1000 + (m % 1440 === 5 ? 24 : 0)) * MI);
    const r = recommendAgent(agent({ cpuMillis: 2000, memoryBytes: 4 * 2 ** 30 }), [s], settings);
    expect(r).toMatchObject({ agent: 'chat', file: 'agents/chat.yaml', instances: 1, historyMinutes: 3 * 1440, status: 'change' });
    expect(r.cpu).toEqual({ current: 2000, use: { p50: 490, pN: 890, max: 990 }, points: 3 * 1440, proposed: 1030, status: 'change' });
    // Peaks: 1024Mi on each of the 3 days → 1177.6Mi → 1178Mi.
    expect(r.memory).toEqual({ current: 4 * 2 ** 30, use: { p50: 1024 * MI, pN: 1024 * MI, max: 1024 * MI }, points: 3, proposed: 1178 * MI, status: 'change' });
  });

  test('within the tolerance of the current request: ok', () => {
    const s = series('chat-0', 1440, () => 870, () => 900 * MI);
    const r = recommendAgent(agent({ cpuMillis: 1000, memoryBytes: 1024 * MI }), [s], settings);
    expect([r.status, r.cpu.proposed, r.cpu.status, r.memory.proposed, r.memory.status]).toEqual(['ok', 1010, 'ok', 1035 * MI, 'ok']);
  });

  test('less history than --min-history: no guess', () => {
    const r = recommendAgent(agent({ cpuMillis: 1000 }), [series('chat-0', 1439, () => 1, () => 1)], settings);
    expect(r).toMatchObject({ status: 'not-enough-history', historyMinutes: 1439, cpu: { current: 1000, points: 0, status: 'no-data' } });
    expect(r.cpu.proposed).toBeUndefined();
    expect(recommendAgent(agent({}), [], settings).status).toBe('no-usage');
  });

  test('history is minutes with a sample, not samples: two instances at the same minutes count once', () => {
    const r = recommendAgent(agent({}), [series('chat-0', 1000, () => 1, () => 1), series('chat-1', 1000, () => 1, () => 1)], settings);
    expect([r.historyMinutes, r.status]).toEqual([1000, 'not-enough-history']);
  });

  test('an idle agent gets the floors (10m, 32Mi); a request not declared is a change; an unmeasured resource has no proposal', () => {
    const r = recommendAgent(agent({}), [series('chat-0', 1440, () => 0, () => NaN)], settings);
    expect(r.cpu).toMatchObject({ proposed: 10, status: 'change' });
    expect(r.cpu.current).toBeUndefined();
    expect(r.memory).toEqual({ points: 0, status: 'no-data' });
    expect(r.status).toBe('change');
  });
});
