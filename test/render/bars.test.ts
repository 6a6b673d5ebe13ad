import { describe, expect, it } from 'vitest';
import { COLOR, PLAIN } from '../../src/render/color.js';
import { BAR_WIDTH, bar, barCells, percentText } from '../../src/render/plan/bars.js';

// eslint-disable-next-line no-control-regex
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('utilisation bars', () => {
  it.each([
    [0, 0, '0%', '[░░░░░░░░░░]   0%'],
    [0.4, 1, '<1%', '[█░░░░░░░░░]  <1%'],
    [4, 1, '4%', '[█░░░░░░░░░]   4%'],
    [50, 5, '50%', '[█████░░░░░]  50%'],
    [80, 8, '80%', '[████████░░]  80%'],
    [99.6, 9, '99%', '[█████████░]  99%'],
    [100, 10, '100%', '[██████████] 100%'],
    [130, 10, '130%', '[██████████] 130%'],
    [1250, 10, '1250%', '[██████████] 1250%'],
    [-5, 0, '0%', '[░░░░░░░░░░]   0%'],
    [Number.NaN, 0, '0%', '[░░░░░░░░░░]   0%'],
    [Infinity, 10, '∞%', '[██████████]   ∞%'],
  ])('%s %% → %s cells, "%s"', (pct, cells, text, drawn) => {
    expect(barCells(pct)).toBe(cells);
    expect(percentText(pct)).toBe(text);
    expect(bar(pct, PLAIN)).toBe(drawn);
  });

  it('has the same width with and without colour', () => {
    for (const pct of [0, 1, 55, 100, 180]) {
      expect(strip(bar(pct, COLOR))).toBe(bar(pct, PLAIN));
      expect(bar(pct, PLAIN).indexOf(']')).toBe(BAR_WIDTH + 1);
    }
  });

  it('colours an overcommitted level red, a high one yellow, the rest green', () => {
    expect(bar(130, COLOR)).toContain('\x1b[31m');
    expect(bar(95, COLOR)).toContain('\x1b[33m');
    expect(bar(50, COLOR)).toContain('\x1b[32m');
  });
});
