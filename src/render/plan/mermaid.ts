/**
 * A forecast as a Mermaid `xychart-beta` block, which GitHub draws in comments: history, forecast,
 * upper bound and capacity lines over one time axis.
 */
import { compactNumber, forecastTitle } from './describe.js';
import type { PlanForecast } from './types.js';

/** At most this many history and this many forecast points are drawn, so a chart stays small. */
export const MAX_CHART_POINTS = 48;

/** Line colours, in the order the lines are drawn (the last is on top). */
export const CHART_LINES = [
  { name: 'upper bound', colour: 'orange', hex: '#f4a261' },
  { name: 'forecast', colour: 'teal', hex: '#2a9d8f' },
  { name: 'capacity', colour: 'red', hex: '#e63946' },
  { name: 'history', colour: 'dark blue', hex: '#264653' },
] as const;

/** Mermaid string content: a whitelist of harmless characters, so no quote, directive or fence can be injected. */
export function mermaidText(s: string): string {
  return s.replace(/[^A-Za-z0-9 .,:/()+=\-_·]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 80);
}

/** Every k-th point so that at most `max` remain, always keeping the last. */
export function thin<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const step = Math.ceil(points.length / max);
  const out: T[] = [];
  for (let i = points.length - 1; i >= 0 && out.length < max; i -= step) out.unshift(points[i]!);
  return out;
}

/** An axis label from an ISO timestamp: "10:05", or "11-28 10:05" when the chart spans several days. */
export function timeLabel(ts: string, withDate: boolean): string {
  const m = /^\d{4}-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(ts);
  if (!m) return mermaidText(String(ts));
  return withDate ? `${m[1]}-${m[2]} ${m[3]}:${m[4]}` : `${m[3]}:${m[4]}`;
}

const finite = <T extends { value: unknown }>(p: T): p is T & { value: number } => typeof p.value === 'number' && Number.isFinite(p.value);

/** The capacity at each timestamp: a constant, or the latest value given at or before it. */
function capacityAt(capacity: PlanForecast['capacity'], stamps: readonly string[]): number[] | undefined {
  if (typeof capacity === 'number' && Number.isFinite(capacity)) return stamps.map(() => capacity);
  if (!Array.isArray(capacity)) return undefined;
  const known = capacity.filter(finite);
  if (known.length === 0) return undefined;
  let last = known[0]!.value;
  const byTime = new Map(known.map((p) => [String(p.timestamp), p.value]));
  return stamps.map((t) => (last = byTime.get(t) ?? last));
}

/**
 * The chart, or undefined when the forecast has no points. Mermaid plots a line's values from the
 * first category on, so the forecast and upper-bound lines repeat the history and the history line
 * is drawn last, on top: what shows of them starts where the history ends.
 */
export function forecastChart(f: PlanForecast): string | undefined {
  const points = thin((f.points ?? []).filter(finite), MAX_CHART_POINTS);
  if (points.length === 0) return undefined;
  const history = (f.history ?? []).filter(finite).slice(-MAX_CHART_POINTS);
  const stamps = [...history, ...points].map((p) => String(p.timestamp));
  const days = new Set(stamps.map((t) => t.slice(0, 10)));
  const labels = stamps.map((t) => `"${timeLabel(t, days.size > 1)}"`);
  const hist = history.map((p) => p.value);
  const upper = points.map((p) => (typeof p.upper === 'number' && Number.isFinite(p.upper) ? p.upper : p.value));
  const capacity = capacityAt(f.capacity, stamps);
  const series = [
    [...hist, ...upper],
    [...hist, ...points.map((p) => p.value)],
    capacity,
    hist.length > 0 ? hist : undefined,
  ];
  const palette = CHART_LINES.filter((_, i) => series[i] !== undefined).map((l) => l.hex).join(', ');
  const lines = series.filter((s): s is number[] => s !== undefined).map((s) => `    line [${s.map(compactNumber).join(', ')}]`);
  const yTitle = mermaidText(typeof f.series === 'string' ? f.series : 'value') || 'value';
  return [
    '```mermaid',
    `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "${palette}"}}}}%%`,
    'xychart-beta',
    `    title "${mermaidText(forecastTitle(f)) || 'forecast'}"`,
    `    x-axis [${labels.join(', ')}]`,
    `    y-axis "${yTitle}"`,
    ...lines,
    '```',
  ].join('\n');
}

/** The legend Mermaid's xychart lacks: which colour is which line. */
export function chartLegend(f: PlanForecast): string {
  const has = [true, true, capacityAt(f.capacity, ['']) !== undefined, (f.history ?? []).some(finite)];
  const shown = CHART_LINES.filter((_, i) => has[i]);
  return `Lines: ${[...shown].reverse().map((l) => `${l.name} (${l.colour})`).join(', ')}.`;
}
