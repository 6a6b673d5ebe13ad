/**
 * The plan for terminals, Terraform style: `+` place, `~` move or scale, `-` evict or remove, in
 * apply order; blocked instances; utilisation bars per pool; quotas; a summary line. Pure and
 * deterministic: (plan, palette, options) → string.
 */
import type { Palette } from '../color.js';
import { bar, levelColour } from './bars.js';
import {
  asForecast,
  blockedView,
  compactNumber,
  forecastTitle,
  gpuDevicesText,
  horizonText,
  orderedKeys,
  orderedResourceNames,
  quotaCell,
  quotaPercent,
  requestsText,
  resourceLabel,
  shortDigest,
  summaryPhrase,
} from './describe.js';
import { anomaliesTextSection } from './anomalies.js';
import { phases } from './groups.js';
import { gpuSentence, gpuToShow } from './gpu.js';
import type { Plan, PlanAction, PlanForecast } from './types.js';

export interface TextOptions {
  /** Terminal width for wrapping reasons (default 80, at least 40). */
  width?: number;
}

/** User-provided text with terminal control characters made visible, so a name cannot drive the terminal. */
export function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => (ch === '\n' || ch === '\t' ? ' ' : '�'));
}

/** Words wrapped to `width`, every line starting with `indent`; a word longer than a line stays whole. */
export function wrap(text: string, width: number, indent: string): string[] {
  const room = Math.max(10, width - indent.length);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(indent + line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(indent + line);
  return lines;
}

const REASON_INDENT = '        ';

/** The header: plan id, format, time, and the inputs that make it stale. */
export function headerLines(plan: Plan, c: Palette): string[] {
  const i = plan.inputs;
  const commit = i.gitCommit ? clean(i.gitCommit).slice(0, 12) : 'none';
  return [
    `${c.bold('Quartermaster plan')} ${clean(shortDigest(plan.planId))} ${c.dim(`(format ${clean(plan.formatVersion)}, made ${clean(plan.createdAt)})`)}`,
    c.dim(`  policy ${clean(shortDigest(i.policyDigest))} · commit ${commit} · state ${clean(shortDigest(i.stateFingerprint))} · now ${clean(i.now)}`),
  ];
}

/** One action as a line with its symbol, then its reason, dim and wrapped. */
export function actionLines(a: PlanAction, c: Palette, width: number): string[] {
  const id = c.dim(clean(a.id));
  let head: string;
  let detail: string | undefined;
  switch (a.type) {
    case 'scalePool': {
      const up = a.to >= a.from;
      const nodes = [...(a.addNodes ?? []).map((n) => `+${clean(n)}`), ...(a.removeNodes ?? []).map((n) => `-${clean(n)}`)];
      head = `${c.yellow('~')} ${id} ${c.yellow(up ? 'scale up' : 'scale down')} pool ${c.bold(clean(a.pool))} ${a.from} → ${a.to} nodes${nodes.length ? `: ${nodes.join(', ')}` : ''}`;
      break;
    }
    case 'place': {
      const gpu = gpuDevicesText(a.gpuDevices, a.requests.gpuMillis);
      const extra = [requestsText(a.requests), gpu, a.score !== undefined ? `score ${compactNumber(a.score)}` : undefined].filter((x) => x !== undefined);
      head = `${c.green('+')} ${id} ${c.green('place')} ${c.bold(clean(a.instance))} (${clean(a.agent)}) on ${clean(a.node)} in pool ${clean(a.pool)}`;
      detail = extra.join('; ');
      break;
    }
    case 'move':
      head = `${c.yellow('~')} ${id} ${c.yellow('move')} ${c.bold(clean(a.instance))} (${clean(a.agent)}) ${clean(a.fromNode)} → ${clean(a.toNode)}`;
      break;
    case 'evict':
      head = `${c.red('-')} ${id} ${c.red('evict')} ${c.bold(clean(a.instance))} (${clean(a.agent)}) from ${clean(a.node)}`;
      break;
    case 'remove':
      head = `${c.red('-')} ${id} ${c.red('remove')} ${c.bold(clean(a.instance))} (${clean(a.agent)}) from ${clean(a.node)}`;
      break;
    case 'scaleAgent':
      head = `${c.yellow('~')} ${id} ${c.yellow('scale')} agent ${c.bold(clean(a.agent))} ${a.from} → ${a.to} replicas`;
      break;
  }
  const details = detail === undefined ? [] : wrap(clean(detail), width, REASON_INDENT);
  return [`  ${head}`, ...details, ...wrap(clean(a.reason), width, REASON_INDENT).map((l) => c.dim(l))];
}

/** Every action in apply order, under a heading per phase. */
export function actionsSection(plan: Plan, c: Palette, width: number): string[] {
  if (plan.actions.length === 0) return [];
  const out = [
    'Quartermaster will perform the following actions, in this order:',
    c.dim(`  ${c.green('+')} place   ${c.yellow('~')} move or scale   ${c.red('-')} evict or remove`),
  ];
  for (const p of phases(plan.actions)) {
    out.push('', `  ${c.bold(p.label)}`);
    for (const a of p.actions) out.push(...actionLines(a, c, width));
  }
  return out;
}

/** Blocked instances with their reasons folded: one node summary, then what each code adds. */
export function blockedSection(plan: Plan, c: Palette, width: number): string[] {
  if (plan.blocked.length === 0) return [];
  const n = plan.blocked.length;
  const out = [c.red(`${n} instance${n === 1 ? '' : 's'} cannot be placed:`)];
  for (const b of plan.blocked) {
    const v = blockedView(b);
    const who = `  ${c.red('!')} ${c.bold(clean(b.instance))} (${clean(b.agent)})`;
    if (v.headline !== undefined) out.push(`${who}: ${clean(v.headline)}`);
    else out.push(who);
    for (const d of v.details) out.push(...wrap(`${clean(d.code)}: ${clean(d.message)}`, width, REASON_INDENT).map((l) => c.dim(l)));
  }
  return out;
}

/** Node counts and a before/after bar per resource, per pool. */
export function poolsSection(plan: Plan, c: Palette): string[] {
  const pools = plan.pools ?? [];
  if (pools.length === 0) return [];
  const out = ['Pools, before → after:'];
  // One column for resource names across pools, so the bars line up.
  const pad = Math.max(0, ...pools.flatMap((p) => Object.keys(p.utilizationPercent ?? {}).map((k) => clean(k).length)));
  for (const p of pools) {
    const changed = p.nodes.current !== p.nodes.planned;
    const nodes = `${p.nodes.current} → ${p.nodes.planned} node${p.nodes.planned === 1 ? '' : 's'}`;
    out.push(`  ${c.bold(clean(p.name))}  ${changed ? c.yellow(nodes) : nodes}`);
    const util = p.utilizationPercent ?? {};
    for (const k of orderedResourceNames(Object.keys(util))) {
      const u = util[k]!;
      const over = u.planned > 100 ? c.red(' overcommitted') : '';
      out.push(`    ${clean(k).padEnd(pad)}  ${bar(u.current, c)} → ${bar(u.planned, c)}${over}`);
    }
    const g = gpuToShow(p);
    if (g) out.push(`    ${c.yellow(gpuSentence(g))}`);
  }
  return out;
}

/** Each quota's use after the plan against its limits. */
export function quotasSection(plan: Plan, c: Palette, width: number): string[] {
  const quotas = plan.quotas ?? [];
  if (quotas.length === 0) return [];
  const out = ['Quotas, used after the plan / limit:'];
  for (const q of quotas) {
    const cells = orderedKeys([...Object.keys(q.limits), ...Object.keys(q.used)]).map((k) => {
      const pct = quotaPercent(q.used[k], q.limits[k]);
      const text = `${clean(resourceLabel(k))} ${clean(quotaCell(k, q.used[k], q.limits[k]))}`;
      return { text, paint: pct === undefined || pct < 90 ? (s: string) => s : levelColour(pct, c) };
    });
    // Wrap on the plain text, then paint, so colour never changes where lines break.
    const lines: string[] = [];
    let line = '';
    let painted = '';
    cells.forEach((cell, i) => {
      const t = i < cells.length - 1 ? `${cell.text},` : cell.text;
      const p = i < cells.length - 1 ? `${cell.paint(cell.text)},` : cell.paint(cell.text);
      if (line !== '' && 6 + line.length + 1 + t.length > width) {
        lines.push(`      ${painted}`);
        line = '';
        painted = '';
      }
      line = line === '' ? t : `${line} ${t}`;
      painted = painted === '' ? p : `${painted} ${p}`;
    });
    if (line !== '') lines.push(`      ${painted}`);
    out.push(`  ${c.bold(clean(q.name))}`, ...lines);
  }
  return out;
}

/** One line per forecast: model, horizon, expected and upper values, capacity. */
export function forecastLine(f: PlanForecast, c: Palette): string {
  const points = (f.points ?? []).filter((p) => Number.isFinite(p.value));
  const parts = [typeof f.model === 'string' ? clean(f.model) : undefined, horizonText(f.horizon) !== undefined ? `horizon ${clean(horizonText(f.horizon)!)}` : undefined];
  if (points.length > 0) {
    const last = points[points.length - 1]!;
    const uppers = points.map((p) => p.upper).filter((u): u is number => typeof u === 'number' && Number.isFinite(u));
    parts.push(`expected ${compactNumber(points[0]!.value)} → ${compactNumber(last.value)}${uppers.length ? ` (upper ${compactNumber(Math.max(...uppers))})` : ''}`);
    const cap = typeof f.capacity === 'number' ? f.capacity : Array.isArray(f.capacity) ? f.capacity[f.capacity.length - 1]?.value : undefined;
    if (cap !== undefined && Number.isFinite(cap)) {
      const peak = Math.max(...points.map((p) => p.value), ...uppers);
      parts.push(peak > cap ? c.yellow(`capacity ${compactNumber(cap)}, exceeded`) : `capacity ${compactNumber(cap)}`);
    }
  }
  const notes = (f.notes ?? []).map((n) => `\n    ${c.dim(clean(n))}`).join('');
  return `  ${c.bold(clean(forecastTitle(f)))}: ${parts.filter((p) => p !== undefined).join(', ')}${notes}`;
}

/** One line per forecast the plan carries. */
export function forecastsSection(plan: Plan, c: Palette): string[] {
  const fs = (plan.forecasts ?? []).map(asForecast);
  return fs.length === 0 ? [] : ['Forecasts:', ...fs.map((f) => forecastLine(f, c))];
}

/** Warnings, Terraform style: a `!` and the code, then the message. */
export function warningsSection(plan: Plan, c: Palette, width: number): string[] {
  const ws = plan.warnings ?? [];
  if (ws.length === 0) return [];
  const out = [c.yellow(`${ws.length} warning${ws.length === 1 ? '' : 's'}:`)];
  for (const w of ws) {
    const [first, ...rest] = wrap(`${clean(w.code)}: ${clean(w.message)}`, width, '    ');
    out.push(`  ${c.yellow('!')} ${(first ?? '').trimStart()}`, ...rest);
  }
  return out;
}

/** Terraform's last line: the counts, or that nothing will change. */
export function summaryLine(plan: Plan, c: Palette): string {
  if (!plan.changes) {
    const b = plan.summary.blocked;
    if (b === 0) return `${c.green(c.bold('No changes.'))} The fleet matches the policy.`;
    return `${c.bold('No changes,')} but ${b} instance${b === 1 ? ' is' : 's are'} blocked: the fleet cannot fully match the policy.`;
  }
  return `${c.bold('Plan:')} ${summaryPhrase(plan.summary)}.`;
}

/** The whole plan for a terminal. */
export function renderText(plan: Plan, c: Palette, options: TextOptions = {}): string {
  const width = Math.max(40, Math.floor(options.width ?? 80));
  const sections = [
    headerLines(plan, c),
    actionsSection(plan, c, width),
    blockedSection(plan, c, width),
    poolsSection(plan, c),
    quotasSection(plan, c, width),
    forecastsSection(plan, c),
    anomaliesTextSection(plan, c, clean),
    warningsSection(plan, c, width),
    [summaryLine(plan, c)],
  ].filter((s) => s.length > 0);
  return sections.map((s) => s.join('\n')).join('\n\n') + '\n';
}
