/** The plan's anomalies in the terminal, the comment (also the pull-request comment), the JSON and the schema. */
import { describe, expect, it } from 'vitest';
import type { PlanCommentInput } from '../../src/github/comment-sections.js';
import { renderPlanComment } from '../../src/github/comment-sections.js';
import type { Plan as ModelPlan, PlanAnomaly } from '../../src/model/plan.js';
import { PLAIN } from '../../src/render/color.js';
import { anomaliesMarkdownSection, checkPlan, renderMarkdown, renderPlan, renderPlanJson } from '../../src/render/plan/index.js';
import type { Plan } from '../../src/render/plan/types.js';
import { aPlan, anAnomaly, realisticPlan } from './builders.js';

const withAnomalies = (plan: Plan, list: PlanAnomaly[]): Plan => ({ ...plan, anomalies: list });

describe('anomalies in the plan renderers', () => {
  const plan = withAnomalies(realisticPlan(), [anAnomaly(), anAnomaly({ policy: 'chat', target: { kind: 'Agent', name: 'chat' }, metric: 'prom: sum(rate(chat_requests_total[5m]))', series: 'sum(rate(chat_requests_total[5m]))', source: 'prom', direction: 'below', observed: 2, expected: 40, lower: 30, upper: 50, deviation: -3.8, deviationPercent: -95 })]);

  it('text: a section after the forecasts, two lines per anomaly', () => {
    const text = renderPlan(plan, 'text', { palette: PLAIN, width: 100 });
    const lines = text.split('\n');
    const at = lines.indexOf("2 anomalies, metrics outside their forecast's interval for several samples in a row:");
    expect(at).toBeGreaterThan(lines.indexOf('Forecasts:'));
    expect(lines.slice(at + 1, at + 5)).toEqual([
      '  ! history/gpu-demand, ScalingPolicy gpu-east (Pool gpu-east): 3 samples above the 95% interval since 2026-11-28T09:50:00Z',
      '        at 2026-11-28T10:00:00Z 27, forecast 17 (16 to 18) by holt-winters(season=1d): 10 half-widths from the forecast, +58.8%',
      '  ! prom: sum(rate(chat_requests_total[5m])), ScalingPolicy chat (Agent chat): 3 samples below the 95% interval since 2026-11-28T09:50:00Z',
      '        at 2026-11-28T10:00:00Z 2, forecast 40 (30 to 50) by holt-winters(season=1d): 3.8 half-widths from the forecast, −95%',
    ]);
    expect(renderPlan(realisticPlan(), 'text', { palette: PLAIN })).not.toContain('anomal');
  });

  it('markdown: a table after the warnings, with the side, since when and how far out', () => {
    const md = renderMarkdown(plan);
    expect(md.indexOf('### Anomalies (2)')).toBeGreaterThan(md.indexOf('### Warnings'));
    expect(md.indexOf('### Anomalies (2)')).toBeLessThan(md.indexOf('### Blocked'));
    expect(md).toContain('| `history/gpu-demand` | ScalingPolicy gpu-east (Pool gpu-east) | ▲ above | 2026-11-28T09:50:00Z | 3 | 27 | 17 (16 to 18, 95%) | 10 half-widths from the forecast, +58.8% |');
    expect(md).toContain('| ▼ below |');
    expect(renderMarkdown(realisticPlan())).not.toContain('Anomalies');
    // Names are escaped like everything else in the comment.
    expect(anomaliesMarkdownSection(withAnomalies(aPlan().build(), [anAnomaly({ policy: 'a|b <img>' })]))).toContain('ScalingPolicy a\\|b &lt;img&gt;');
  });

  it('markdown: a comment too large keeps anomalies before the details, and says how many it left out', () => {
    const many = withAnomalies(aPlan().build(), Array.from({ length: 200 }, (_, i) => anAnomaly({ policy: `policy-${String(i).padStart(3, '0')}` })));
    const md = renderMarkdown(many, { maxLength: 4096 });
    expect(md.length).toBeLessThanOrEqual(4096);
    expect(md).toContain('### Anomalies (200)');
    expect(md).toMatch(/more anomalies not shown/);
    expect(md).toMatch(/\d+ of 200 anomalies shown/);
  });

  it('the pull-request comment of the next plan shows them', () => {
    const head = withAnomalies(aPlan().pool('gpu-east', [4, 4]).build(), [anAnomaly()]) as unknown as ModelPlan;
    const input: PlanCommentInput = { pr: { number: 7, baseRef: 'main', baseSha: '1'.repeat(40), headSha: '2'.repeat(40) }, changedFiles: ['pools/gpu.yaml'], diagnostics: [], headPlan: head, lockConflicts: [], locksHeld: [], now: '2026-11-28T10:00:00Z' };
    const comment = renderPlanComment(input);
    expect(comment).toContain('### Anomalies (1)');
    expect(comment).toContain('| `history/gpu-demand` | ScalingPolicy gpu-east (Pool gpu-east) | ▲ above |');
  });

  it('JSON: `anomalies` after the warnings, keys in a fixed order, and valid against the plan schema', () => {
    const json = renderPlanJson(plan);
    const parsed = JSON.parse(json) as Record<string, unknown>;
    expect(Object.keys(parsed).slice(-2)).toEqual(['warnings', 'anomalies']);
    const a = (parsed.anomalies as Record<string, unknown>[])[0]!;
    expect(Object.keys(a)).toEqual(['policy', 'target', 'source', 'series', 'metric', 'direction', 'from', 'at', 'samples', 'level', 'model', 'observed', 'expected', 'lower', 'upper', 'deviation', 'deviationPercent', 'points']);
    expect(checkPlan(parsed)).toEqual([]);
    const bad = { ...parsed, anomalies: [{ ...a, direction: 'sideways' }] };
    expect(checkPlan(bad).map((p) => p.pointer)).toContain('/anomalies/0/direction');
    // A plan without anomalies has no `anomalies` key at all (plans before this addition are unchanged).
    expect(JSON.parse(renderPlanJson(realisticPlan()))).not.toHaveProperty('anomalies');
  });
});
