/** `qm simulate --format markdown`: the summary table and Mermaid `xychart-beta` charts, for pull-request comments. Pure. */
import { mermaidText, timeLabel } from '../render/plan/mermaid.js';
import { compactNumber } from '../render/plan/describe.js';
import { simulationCharts } from './charts.js';
import type { Chart } from './charts.js';
import { cells, summaryRows } from './render-text.js';
import type { SimulateReport } from './types.js';

function mermaid(c: Chart): string {
  const days = new Set(c.at.map((t) => t.slice(0, 10)));
  const labels = c.at.map((t) => `"${timeLabel(t, days.size > 1)}"`);
  return [
    '```mermaid',
    `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "${c.lines.map((l) => l.hex).join(', ')}"}}}}%%`,
    'xychart-beta',
    `    title "${mermaidText(c.title)}"`,
    `    x-axis [${labels.join(', ')}]`,
    `    y-axis "${mermaidText(c.yTitle)}"`,
    ...c.lines.map((l) => `    line [${l.values.map(compactNumber).join(', ')}]`),
    '```',
  ].join('\n');
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** The table and charts; `heading` is the level of the section's own heading. */
export function renderSimulateMarkdown(report: SimulateReport, opts: { heading?: number } = {}): string {
  const h = '#'.repeat(opts.heading ?? 2);
  const compare = report.comparison !== undefined;
  const steps = report.runs[0]?.steps.length ?? 0;
  const cols = [...report.runs.map((r, i) => (compare ? `${i === 0 ? 'base' : 'head'} \`${cell(r.ref)}\`` : `\`${cell(r.ref)}\``)), ...(compare ? ['change'] : [])];
  const out = [
    `${h} Simulation ${report.from} … ${report.to}`,
    '',
    `${steps} steps of ${report.step / 60} min; new nodes ready ${report.nodeStartup / 60} min after they are asked for.`,
    '',
    `| | ${cols.join(' | ')} |`,
    `|---|${cols.map(() => '---:').join('|')}|`,
    ...summaryRows(report).map((r) => `| ${r.label} | ${cells(r.values, compare).join(' | ')} |`),
  ];
  for (const c of simulationCharts(report)) {
    out.push('', `**${c.title}** — lines: ${c.lines.map((l) => `${l.name} (${l.colour})`).join(', ')}.`, '', mermaid(c));
  }
  for (const w of report.warnings) out.push('', `> warning: ${w}`);
  return `${out.join('\n')}\n`;
}
