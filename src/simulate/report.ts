/** The report of a simulation (SPEC §9): runs in order (base first), and head − base when comparing. Pure. */
import type { SimComparison, SimRun, SimulateReport } from './types.js';
import { SIMULATE_FORMAT_VERSION } from './types.js';

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);

/** head − base for every total that is one number (negative: head needs less). */
export function compareRuns(base: SimRun, head: SimRun): SimComparison {
  const b = base.totals;
  const h = head.totals;
  return {
    base: base.ref,
    head: head.ref,
    delta: {
      nodeHours: r3(h.nodeHours - b.nodeHours),
      cost: Math.round((h.cost - b.cost) * 100) / 100,
      blockedInstanceMinutes: r3(h.blockedInstanceMinutes - b.blockedInstanceMinutes),
      scaleActions: h.scaleActions - b.scaleActions,
      moves: h.moves - b.moves,
      evictions: h.evictions - b.evictions,
      belowTargetMinutes: r3(sum(h.belowTargetMinutes) - sum(b.belowTargetMinutes)),
    },
  };
}

export function buildReport(input: { from: string; to: string; step: number; nodeStartup: number; runs: SimRun[]; compare: boolean; warnings: string[] }): SimulateReport {
  const report: SimulateReport = { formatVersion: SIMULATE_FORMAT_VERSION, from: input.from, to: input.to, step: input.step, nodeStartup: input.nodeStartup, runs: input.runs, warnings: input.warnings };
  if (input.compare && input.runs.length === 2) report.comparison = compareRuns(input.runs[0]!, input.runs[1]!);
  return report;
}

/** The report as JSON text: stable key order (as built), one step a line (a week is 2,016 of them), one trailing newline. */
export function renderSimulateJson(report: SimulateReport): string {
  const lines = new Map<string, string>();
  const shell = { ...report, runs: report.runs.map((r, i) => ({ ...r, steps: r.steps.map((s, j) => { const mark = `\u0000step:${i}:${j}`; lines.set(mark, JSON.stringify(s)); return mark; }) })) };
  const text = JSON.stringify(shell, null, 2).replace(/"\\u0000step:(\d+):(\d+)"/g, (_m, i: string, j: string) => lines.get(`\u0000step:${i}:${j}`)!);
  return `${text}\n`;
}
