/** The example fleet's gpu-pool ScalingPolicy scales the gpu pool in `qm plan`, with the winning reason and the forecast. */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qm, ROOT } from '../helpers/cli.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'qm-example-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the example fleet, replaying metrics/history.csv with --now', () => {
  it('Friday 11:30 UTC: the forecast of requests_per_min asks for a third gpu node', () => {
    const r = qm(['plan', '--now', '2026-11-27T11:30:00Z', '--format', 'json', '--state', path.join(dir, 'a.db')]);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { actions: { type: string; pool?: string; from?: number; to?: number; reason: string }[]; forecasts: { target: unknown; series: string; points: { upper: number }[]; history: unknown[]; capacity: number; applied: boolean }[] };
    const up = plan.actions.find((a) => a.type === 'scalePool' && a.pool === 'gpu');
    expect(up).toMatchObject({ from: 2, to: 3 });
    expect(up!.reason).toMatch(/^predictive \(forecastAndScale\): history\/requests_per_min forecast by .+ upper bound [\d,]+ at 2026-11-27T1\d:\d\d:00Z within 30m ÷ 1,000 per node → 3 nodes \(\+1\) \(over utilisation 2\)$/);
    expect(plan.forecasts).toHaveLength(1);
    expect(plan.forecasts[0]).toMatchObject({ target: { kind: 'Pool', name: 'gpu' }, series: 'requests_per_min', capacity: 3000, applied: true });
    expect(plan.forecasts[0]!.history).toHaveLength(48);
  });
  it('settles in one apply: the next plan has no changes (no rebalancing left over)', () => {
    const state = path.join(dir, 'settle.db');
    const applied = qm(['apply', '--auto-approve', '--now', '2026-11-27T11:30:00Z', '--state', state]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const next = qm(['plan', '--detailed-exitcode', '--now', '2026-11-27T11:31:00Z', '--state', state]);
    expect(next.stdout).toContain('No changes.');
    expect(next.code).toBe(0);
  });
  it('the markdown plan draws the forecast', () => {
    const r = qm(['plan', '--now', '2026-11-27T11:30:00Z', '--format', 'markdown', '--state', path.join(dir, 'b.db')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('### Forecasts');
    expect(r.stdout).toContain('xychart-beta');
  });
  it('Saturday 09:00 UTC, after the recording ends: it is replayed as of now, quiet, nothing to scale', () => {
    const r = qm(['plan', '--now', '2026-11-28T09:00:00Z', '--format', 'json', '--state', path.join(dir, 'c.db')]);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { summary: { scalePool: number }; warnings: { code: string; message: string }[]; forecasts: { history: { timestamp: string }[] }[] };
    expect(plan.summary.scalePool).toBe(0);
    expect(plan.warnings).toEqual([]);
    // Moved forward by whole 5-minute steps: the newest sample is the one just before 09:00.
    expect(plan.forecasts[0]!.history.at(-1)!.timestamp).toBe('2026-11-28T09:00:00Z');
  });

  it('without replay, a recording that ended hours ago is stale: a warning, not a guess', async () => {
    const copy = await mkdtemp(path.join(tmpdir(), 'qm-example-noreplay-'));
    try {
      for (const d of ['pools', 'agents', 'policies', 'metrics']) await cp(path.join(ROOT, d), path.join(copy, d), { recursive: true });
      const sources = path.join(copy, 'policies', 'metric-sources.yaml');
      await writeFile(sources, (await readFile(sources, 'utf8')).replace(/^\s*replay: true\n/m, ''));
      const r = qm(['plan', '--now', '2026-11-28T09:00:00Z', '--format', 'json', '--state', path.join(dir, 'd.db'), copy]);
      expect(r.code, r.stderr).toBe(0);
      const plan = JSON.parse(r.stdout) as { summary: { scalePool: number }; warnings: { code: string; message: string }[] };
      expect(plan.summary.scalePool).toBe(0);
      expect(plan.warnings.map((w) => w.message).join('\n')).toMatch(/history\/requests_per_min: the latest sample is from 2026-11-28T00:00:00Z, 9h before 2026-11-28T09:00:00Z, so it is stale \(plan with --now inside the history to replay it\)/);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});
