import { describe, expect, it } from 'vitest';
import { COLOR } from '../../src/render/color.js';
import { PLAN_FORMATS, readPlan, renderMarkdown, renderPlan, renderPlanJson, renderText } from '../../src/render/plan/index.js';
import { PLAIN } from '../../src/render/color.js';
import { aPlan, realisticPlan } from './builders.js';

describe('renderPlan wires each format', () => {
  it.each([
    ['text', renderText(realisticPlan(), PLAIN)],
    ['markdown', renderMarkdown(realisticPlan())],
    ['json', renderPlanJson(realisticPlan())],
  ] as const)('%s', (format, expected) => {
    expect(renderPlan(realisticPlan(), format)).toBe(expected);
  });

  it('passes the palette, width and markdown options on', () => {
    expect(renderPlan(realisticPlan(), 'text', { palette: COLOR, width: 120 })).toBe(renderText(realisticPlan(), COLOR, { width: 120 }));
    expect(renderPlan(realisticPlan(), 'markdown', { maxLength: 2000, fullPlanUrl: 'https://x/y' })).toBe(renderMarkdown(realisticPlan(), { maxLength: 2000, fullPlanUrl: 'https://x/y' }));
  });

  it.each(PLAN_FORMATS)('%s is deterministic and reads only the plan JSON: a plan read back from its JSON renders the same', (format) => {
    const plan = realisticPlan();
    const fromFile = readPlan(JSON.parse(renderPlanJson(plan)));
    expect(renderPlan(fromFile, format)).toBe(renderPlan(plan, format));
    expect(renderPlan(plan, format)).toBe(renderPlan(realisticPlan(), format));
  });

  it('renders a plan of a newer minor with fields it does not know', () => {
    const plan = readPlan({ ...JSON.parse(renderPlanJson(aPlan().place('a-0', 'p', 'p-0').build())), formatVersion: '1.4', costPerHour: { before: 1, after: 2 } });
    expect(renderPlan(plan, 'text')).toContain('Plan: 1 to place');
    expect(renderPlan(plan, 'json')).toContain('"costPerHour"');
  });
});
