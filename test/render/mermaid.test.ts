import { describe, expect, it } from 'vitest';
import { chartLegend, forecastChart, mermaidText, thin, timeLabel } from '../../src/render/plan/mermaid.js';

const f = (extra: Record<string, unknown> = {}) => ({
  target: 'Pool gpu',
  series: 'demand',
  points: [
    { timestamp: '2026-11-28T10:05:00Z', value: 5, lower: 4, upper: 6 },
    { timestamp: '2026-11-28T10:10:00Z', value: 6, lower: 5, upper: 8 },
  ],
  ...extra,
});

describe('Mermaid forecast chart', () => {
  it('draws upper, forecast, capacity and history, history last so it is on top', () => {
    const chart = forecastChart({ ...f({ capacity: 7 }), history: [{ timestamp: '2026-11-28T10:00:00Z', value: 4 }] })!;
    expect(chart.split('\n')).toEqual([
      '```mermaid',
      '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#f4a261, #2a9d8f, #e63946, #264653"}}}}%%',
      'xychart-beta',
      '    title "Pool gpu · demand"',
      '    x-axis ["10:00", "10:05", "10:10"]',
      '    y-axis "demand"',
      '    line [4, 6, 8]',
      '    line [4, 5, 6]',
      '    line [7, 7, 7]',
      '    line [4]',
      '```',
    ]);
  });

  it('leaves out the lines it has no data for, and their colours', () => {
    const chart = forecastChart(f())!;
    expect(chart.match(/^ {4}line/gm)).toHaveLength(2);
    expect(chart).toContain('"plotColorPalette": "#f4a261, #2a9d8f"');
    expect(chartLegend(f())).toBe('Lines: forecast (teal), upper bound (orange).');
  });

  it('follows a capacity given per timestamp, carrying the last value forward', () => {
    const chart = forecastChart(f({ capacity: [{ timestamp: '2026-11-28T10:05:00Z', value: 9 }] }))!;
    expect(chart).toContain('    line [9, 9]');
  });

  it('is absent without points', () => {
    expect(forecastChart({ target: 'x' })).toBeUndefined();
  });

  it('keeps at most MAX points, the last always', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i);
    const thinned = thin(xs, 48);
    expect(thinned.length).toBeLessThanOrEqual(48);
    expect(thinned[thinned.length - 1]).toBe(99);
    expect(thin([1, 2], 48)).toEqual([1, 2]);
  });

  it('labels times, with the date when the chart spans days', () => {
    expect(timeLabel('2026-11-28T10:05:00Z', false)).toBe('10:05');
    expect(timeLabel('2026-11-28T10:05:00Z', true)).toBe('11-28 10:05');
    expect(timeLabel('1764324300', false)).toBe('1764324300');
  });

  it('lets no quote, directive or fence into the chart', () => {
    expect(mermaidText('a"b %%{init: {}}%% ```\n`x`')).toBe('a b init: x');
    const chart = forecastChart(f({ target: '"]\n```\n%%{init}%%', series: '<b>' }))!;
    expect(chart.split('\n').filter((l) => l.startsWith('```'))).toEqual(['```mermaid', '```']);
    expect(chart.match(/%%\{/g)).toHaveLength(1);
  });
});
