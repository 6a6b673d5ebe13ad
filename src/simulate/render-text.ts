/** `qm simulate` as a text summary table: one column per run (base, head) and the change. Pure. */
import type { SimRun, SimulateReport } from './types.js';

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(x >= 100 ? 1 : 2).replace(/\.?0+$/, ''));
const signed = (x: number) => (x > 0 ? `+${fmt(x)}` : x < 0 ? `−${fmt(-x)}` : '0');
const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);

/** The rows of the summary: label and value per run. */
export function summaryRows(report: SimulateReport): { label: string; values: number[] }[] {
  const runs = report.runs;
  const pools = [...new Set(runs.flatMap((r) => Object.keys(r.totals.peakNodes)))].sort();
  const agents = [...new Set(runs.flatMap((r) => Object.keys(r.totals.belowTargetMinutes)))].sort();
  const of = (f: (r: SimRun) => number) => runs.map(f);
  return [
    { label: 'node-hours', values: of((r) => r.totals.nodeHours) },
    { label: 'cost', values: of((r) => r.totals.cost) },
    { label: 'blocked instance-minutes', values: of((r) => r.totals.blockedInstanceMinutes) },
    { label: 'minutes below target (all agents)', values: of((r) => sum(r.totals.belowTargetMinutes)) },
    { label: 'scale actions', values: of((r) => r.totals.scaleActions) },
    { label: 'moves', values: of((r) => r.totals.moves) },
    { label: 'evictions', values: of((r) => r.totals.evictions) },
    ...pools.map((p) => ({ label: `peak nodes ${p}`, values: of((r) => r.totals.peakNodes[p] ?? 0) })),
    ...agents.filter((a) => runs.some((r) => (r.totals.belowTargetMinutes[a] ?? 0) > 0)).map((a) => ({ label: `minutes below target ${a}`, values: of((r) => r.totals.belowTargetMinutes[a] ?? 0) })),
  ];
}

/** A cell's text: the value, and for the head column of a comparison its change. */
export function cells(values: number[], compare: boolean): string[] {
  const out = values.map(fmt);
  if (compare && values.length === 2) out.push(signed(Math.round((values[1]! - values[0]!) * 1000) / 1000));
  return out;
}

export function renderSimulateText(report: SimulateReport): string {
  const compare = report.comparison !== undefined;
  const steps = report.runs[0]?.steps.length ?? 0;
  const head = ['', ...report.runs.map((r) => (compare ? `${r === report.runs[0] ? 'base' : 'head'} ${r.ref}` : r.ref)), ...(compare ? ['change'] : [])];
  const rows = [head, ...summaryRows(report).map((r) => [r.label, ...cells(r.values, compare)])];
  const widths = head.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [
    `Simulated ${report.from} … ${report.to}: ${steps} steps of ${report.step / 60} min, new nodes ready after ${report.nodeStartup / 60} min.`,
    '',
    ...rows.map(line),
  ];
  for (const w of report.warnings) out.push(`warning: ${w}`);
  return `${out.join('\n')}\n`;
}
