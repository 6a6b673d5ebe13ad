/**
 * Anomalies end to end: a policy repository whose file MetricSource has a history with a level
 * shift injected at the end. `qm plan` (text and JSON) and `qm status` (text and JSON) report it;
 * the same history planned before the shift reports nothing.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qm } from './helpers/cli.js';
import { POOL_YAML, agentYaml, tempRepo } from './helpers/repo.js';
import type { TempRepo } from './helpers/repo.js';

const START = Date.parse('2026-11-28T08:00:00Z') / 1000;
const iso = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
/** 90 one-minute samples around 40 (a deterministic ±2 wobble), then three at 75. */
const VALUES = [...Array.from({ length: 90 }, (_, i) => 40 + 2 * Math.sin(i * 1.7)), 75, 76, 74];
const CSV = ['timestamp,series,value', ...VALUES.map((v, i) => `${iso(START + 60 * i)},queue,${v.toFixed(2)}`)].join('\n') + '\n';
const AFTER = iso(START + 60 * (VALUES.length - 1) + 30);
const BEFORE = iso(START + 60 * 89 + 30);

describe('qm plan and qm status report a metric outside its forecast interval', () => {
  let repo: TempRepo;
  const run = (args: string[]) => qm([...args, '--state', path.join(repo.dir, '.qm', 'state.db')], { cwd: repo.dir });

  beforeAll(async () => {
    repo = await tempRepo();
    await repo.write('pools/general.yaml', POOL_YAML);
    await repo.write('agents/worker.yaml', agentYaml('worker', '  replicas: 2'));
    await repo.write('metrics/history.csv', CSV);
    await repo.write(
      'policies/scaling.yaml',
      `apiVersion: quartermaster.dev/v1alpha1
kind: MetricSource
metadata: {name: history}
spec: {file: {path: metrics/history.csv}}
---
apiVersion: quartermaster.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: worker-queue}
spec:
  target: {kind: Agent, name: worker}
  min: 1
  max: 10
  metrics:
    - {metric: {source: history, series: queue}, targetPerReplica: 50}
`,
    );
  });
  afterAll(async () => {
    await repo?.cleanup();
  });

  it('qm plan --format json carries the anomaly: series, side, times, how far out', () => {
    const r = run(['plan', '--now', AFTER, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { anomalies?: Record<string, unknown>[] };
    expect(plan.anomalies).toHaveLength(1);
    const a = plan.anomalies![0]!;
    expect(a).toMatchObject({ policy: 'worker-queue', target: { kind: 'Agent', name: 'worker' }, source: 'history', series: 'queue', metric: 'history/queue', direction: 'above', from: iso(START + 60 * 90), at: iso(START + 60 * 92), samples: 3, level: 0.95, observed: 74 });
    expect(a.deviation as number).toBeGreaterThan(2);
    expect(a.deviationPercent as number).toBeGreaterThan(50);
    expect((a.points as unknown[]).length).toBe(3);
  });

  it('qm plan shows it in the text plan; before the shift there is none', () => {
    const r = run(['plan', '--now', AFTER]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("1 anomaly, metrics outside their forecast's interval for several samples in a row:");
    expect(r.stdout).toContain(`! history/queue, ScalingPolicy worker-queue (Agent worker): 3 samples above the 95% interval since ${iso(START + 60 * 90)}`);
    const before = run(['plan', '--now', BEFORE, '--format', 'json']);
    expect(before.code, before.stderr).toBe(0);
    expect(JSON.parse(before.stdout)).not.toHaveProperty('anomalies');
    expect(run(['plan', '--now', BEFORE]).stdout).not.toContain('anomal');
  });

  it('qm status shows it (text and JSON)', () => {
    const text = run(['status', '--now', AFTER]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/\nAnomalies\n {2}! history\/queue\s+above its forecast since 2026-11-28T09:30:00Z \(3 samples\): 74 at 2026-11-28T09:32:00Z/);
    const json = run(['status', '--now', AFTER, '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const s = JSON.parse(json.stdout) as { anomalies: { metric: string; direction: string }[] };
    expect(s.anomalies.map((a) => [a.metric, a.direction])).toEqual([['history/queue', 'above']]);
    const calm = JSON.parse(run(['status', '--now', BEFORE, '--format', 'json']).stdout) as { anomalies: unknown[] };
    expect(calm.anomalies).toEqual([]);
  });
});
