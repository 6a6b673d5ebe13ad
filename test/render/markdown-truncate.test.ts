import { describe, expect, it } from 'vitest';
import { GITHUB_COMMENT_LIMIT, renderMarkdown, summaryTable } from '../../src/render/plan/markdown.js';
import { aPlan, hugePlan, realisticPlan } from './builders.js';

/** What GitHub needs to render the rest of a comment right: balanced details tags and code fences. */
function expectWellFormed(md: string) {
  expect(md.match(/<details>/g)?.length ?? 0).toBe(md.match(/<\/details>/g)?.length ?? 0);
  const fences = md.split('\n').filter((l) => l.startsWith('```'));
  expect(fences.length % 2).toBe(0);
  // Every <details> opens before it closes.
  let depth = 0;
  for (const l of md.split('\n')) {
    if (l.startsWith('<details>')) depth++;
    if (l === '</details>') depth--;
    expect(depth).toBeGreaterThanOrEqual(0);
    expect(depth).toBeLessThanOrEqual(1);
  }
}

describe('renderMarkdown: GitHub’s 65,536-character limit', () => {
  const huge = hugePlan(20_000);

  it('leaves a plan that fits as it is, without a note', () => {
    const md = renderMarkdown(realisticPlan());
    expect(md.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(md).not.toContain('[!NOTE]');
    expectWellFormed(md);
  });

  it('cuts 20,000 actions to fit, keeping the title and the summary table', () => {
    const md = renderMarkdown(huge);
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(md.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT * 0.9);
    expect(md.startsWith('### Quartermaster plan: 20000 to place')).toBe(true);
    expect(md).toContain(summaryTable(huge));
    expectWellFormed(md);
  });

  it('ends with a note saying what was cut and where the full plan is', () => {
    const md = renderMarkdown(huge);
    expect(md).toMatch(/> \[!NOTE\]\n> This plan is too large for one comment \(at most 65,536 characters\), so its details are cut: [\d,]+ of 20,000 actions shown\. Everything is in the plan artifact\.\n$/);
    const linked = renderMarkdown(huge, { fullPlanUrl: 'https://github.com/acme/fleet/actions/runs/42' });
    expect(linked.endsWith('Everything is in [the full plan](https://github.com/acme/fleet/actions/runs/42).\n')).toBe(true);
    expect(linked.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
  });

  it('still shows every pool’s summary and utilisation after one is cut short', () => {
    const md = renderMarkdown(huge);
    for (const pool of ['gpu-east', 'general', 'batch-spot']) expect(md).toContain(`<details><summary><b>${pool}</b> · 100 nodes`);
    expect(md).toContain('_… 6,667 more actions in general not shown._');
  });

  it('keeps whole table rows: every action row shown is complete', () => {
    const md = renderMarkdown(huge);
    const rows = md.split('\n').filter((l) => l.startsWith('| `+` |'));
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.every((r) => r.endsWith('(score 80) |'))).toBe(true);
    const shown = Number(/([\d,]+) of 20,000 actions shown/.exec(md)![1]!.replace(/,/g, ''));
    expect(rows).toHaveLength(shown);
  });

  it.each([
    ['many blocked instances', hugePlan(100, 5_000)],
    ['many actions and blocked instances', hugePlan(20_000, 5_000)],
    ['many warnings', (() => {
      const b = aPlan().place('a-0', 'p', 'p-0');
      for (let i = 0; i < 5_000; i++) b.warning('W', `warning number ${i} with some words to make it longer`);
      return b.build();
    })()],
  ])('stays within the limit with %s', (_, plan) => {
    const md = renderMarkdown(plan);
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(md).toContain(summaryTable(plan));
    expect(md.endsWith('Everything is in the plan artifact.\n')).toBe(true);
    expectWellFormed(md);
  });

  it('keeps forecasts whole or leaves them out, never a half chart', () => {
    const plan = { ...hugePlan(20_000), forecasts: realisticPlan().forecasts };
    const md = renderMarkdown(plan);
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(md).toContain('```mermaid');
    expectWellFormed(md);
  });

  it.each([2_000, 5_000, 20_000, 40_000])('fits a smaller limit of %s characters', (maxLength) => {
    const md = renderMarkdown(huge, { maxLength });
    expect(md.length).toBeLessThanOrEqual(maxLength);
    expect(md).toContain('| `!` blocked | 0 |');
    expectWellFormed(md);
  });

  it('refuses a limit too small for the summary', () => {
    expect(() => renderMarkdown(huge, { maxLength: 100 })).toThrow(RangeError);
  });

  it('is deterministic', () => {
    expect(renderMarkdown(huge)).toBe(renderMarkdown(hugePlan(20_000)));
  });
});
