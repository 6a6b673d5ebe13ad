/**
 * The plan's anomalies (metrics outside their forecast's interval for several samples in a row)
 * for the terminal and the pull-request comment. Short on purpose: what, which way, since when,
 * and how far out; the plan JSON has every sample.
 */
import type { Palette } from '../color.js';
import { compactNumber } from './describe.js';
import { codeSpan, escapeMd, thousands } from './markdown-escape.js';
import type { Plan, PlanAnomaly } from './types.js';

const isAnomaly = (a: unknown): a is PlanAnomaly => typeof a === 'object' && a !== null && typeof (a as PlanAnomaly).metric === 'string' && typeof (a as PlanAnomaly).at === 'string';

/** The plan's anomalies a renderer can show (entries of an unknown shape are skipped). */
export function anomaliesOf(plan: Plan): PlanAnomaly[] {
  return (plan.anomalies ?? []).filter(isAnomaly);
}

const pct = (level: number) => `${compactNumber(level * 100)}%`;
const signed = (v: number) => `${v > 0 ? '+' : v < 0 ? '−' : ''}${compactNumber(Math.abs(v))}`;

/** "9.6 half-widths out, +58.7%": the distance from the forecast. */
export function distanceText(a: PlanAnomaly): string {
  const hw = Math.abs(a.deviation);
  const parts = [`${compactNumber(hw)} half-width${hw === 1 ? '' : 's'} from the forecast`];
  if (typeof a.deviationPercent === 'number') parts.push(`${signed(a.deviationPercent)}%`);
  return parts.join(', ');
}

function targetText(a: PlanAnomaly): string {
  return `ScalingPolicy ${a.policy}${a.target ? ` (${a.target.kind} ${a.target.name})` : ''}`;
}

/** Two lines per anomaly, after the forecasts. */
export function anomaliesTextSection(plan: Plan, c: Palette, clean: (s: string) => string): string[] {
  const list = anomaliesOf(plan);
  if (list.length === 0) return [];
  const out = [c.yellow(`${list.length} anomal${list.length === 1 ? 'y' : 'ies'}, metrics outside their forecast's interval for several samples in a row:`)];
  for (const a of list) {
    out.push(`  ${c.yellow('!')} ${c.bold(clean(a.metric))}, ${clean(targetText(a))}: ${a.samples} samples ${a.direction} the ${pct(a.level)} interval since ${clean(a.from)}`);
    out.push(`        ${c.dim(`at ${clean(a.at)} ${compactNumber(a.observed)}, forecast ${compactNumber(a.expected)} (${compactNumber(a.lower)} to ${compactNumber(a.upper)}) by ${clean(a.model)}: ${distanceText(a)}`)}`);
  }
  return out;
}

/** A table of the anomalies (the first `shown`), for the comment. */
export function anomaliesMarkdownSection(plan: Plan, shown?: number): string {
  const list = anomaliesOf(plan);
  if (list.length === 0) return '';
  const n = Math.max(0, shown ?? list.length);
  const rows = list.slice(0, n).map((a) => {
    const arrow = a.direction === 'above' ? '▲ above' : '▼ below';
    return `| ${codeSpan(a.metric)} | ${escapeMd(targetText(a))} | ${arrow} | ${escapeMd(a.from)} | ${a.samples} | ${compactNumber(a.observed)} | ${compactNumber(a.expected)} (${compactNumber(a.lower)} to ${compactNumber(a.upper)}, ${pct(a.level)}) | ${escapeMd(distanceText(a))} |`;
  });
  const hidden = list.length - rows.length;
  const more = hidden > 0 ? [``, `_… ${thousands(hidden)} more anomal${hidden === 1 ? 'y' : 'ies'} not shown._`] : [];
  return [
    `### Anomalies (${thousands(list.length)})`,
    '',
    "Metrics outside their forecast's prediction interval for several samples in a row. They do not change the plan; a policy's `spec.anomalies` tunes the check.",
    '',
    '| Metric | Policy | Side | Since | Samples | Latest | Forecast (interval) | Out by |',
    '|:--|:--|:--|:--|--:|--:|--:|:--|',
    ...rows,
    ...more,
  ].join('\n');
}
