/**
 * The sections of the pull-request comment, each a small pure function of the plan (Renovate
 * style). List sections take how many items to show, so the comment can be cut to GitHub's limit
 * between items, never inside a tag, table row or code fence.
 */
import { percentText } from './bars.js';
import {
  asForecast,
  blockedView,
  compactNumber,
  forecastTitle,
  gpuDevicesText,
  horizonText,
  orderedKeys,
  orderedResourceNames,
  quantity,
  quotaPercent,
  requestsText,
  resourceLabel,
  shortDigest,
  summaryPhrase,
} from './describe.js';
import type { PoolGroup } from './groups.js';
import { gpus, gpuSentence, gpuToShow } from './gpu.js';
import { codeSpan, escapeHtml, escapeMd, thousands } from './markdown-escape.js';
import { chartLegend, forecastChart } from './mermaid.js';
import type { BlockedInstance, Plan, PlanAction, PlanForecast, PlanWarning, PoolSummary } from './types.js';

/** The heading with the counts. */
export function titleSection(plan: Plan): string {
  if (plan.changes) return `### Quartermaster plan: ${summaryPhrase(plan.summary)}`;
  const b = plan.summary.blocked;
  return b === 0 ? '### Quartermaster plan: no changes, the fleet matches the policy' : `### Quartermaster plan: no changes; ${b} blocked`;
}

const SUMMARY_ROWS: [keyof Plan['summary'], string][] = [
  ['place', '`+` place'],
  ['move', '`~` move'],
  ['evict', '`-` evict'],
  ['remove', '`-` remove'],
  ['scalePool', '`~` scale pool'],
  ['scaleAgent', '`~` scale agent'],
  ['blocked', '`!` blocked'],
];

/** Change type → count, every type listed so the table has the same shape in every comment. */
export function summaryTable(plan: Plan): string {
  return ['| Change | Count |', '|:--|--:|', ...SUMMARY_ROWS.map(([k, label]) => `| ${label} | ${thousands(plan.summary[k])} |`)].join('\n');
}

/** One action as a table row: symbol, id, what, who, where, requests, why. */
export function actionRow(a: PlanAction): string {
  const cells = ((): string[] => {
    switch (a.type) {
      case 'scalePool': {
        const nodes = [...(a.addNodes ?? []).map((n) => `+${n}`), ...(a.removeNodes ?? []).map((n) => `−${n}`)];
        return ['`~`', a.id, `scale ${a.to >= a.from ? 'up' : 'down'} ${a.from} → ${a.to} nodes`, '', escapeMd(nodes.join(', ')), '', escapeMd(a.reason)];
      }
      case 'place': {
        const req = [requestsText(a.requests), gpuDevicesText(a.gpuDevices, a.requests.gpuMillis)].filter((x) => x !== undefined).join('; ');
        const why = a.score !== undefined ? `${a.reason} (score ${compactNumber(a.score)})` : a.reason;
        return ['`+`', a.id, 'place', `${escapeMd(a.instance)} (${escapeMd(a.agent)})`, escapeMd(a.node), escapeMd(req), escapeMd(why)];
      }
      case 'move':
        return ['`~`', a.id, 'move', `${escapeMd(a.instance)} (${escapeMd(a.agent)})`, `${escapeMd(a.fromNode)} → ${escapeMd(a.toNode)}`, '', escapeMd(a.reason)];
      case 'evict':
      case 'remove':
        return ['`-`', a.id, a.type, `${escapeMd(a.instance)} (${escapeMd(a.agent)})`, escapeMd(a.node), '', escapeMd(a.reason)];
      case 'scaleAgent':
        return ['`~`', a.id, `scale ${a.from} → ${a.to} replicas`, escapeMd(a.agent), '', '', escapeMd(a.reason)];
    }
  })();
  cells[1] = escapeMd(cells[1]!);
  return `| ${cells.join(' | ')} |`;
}

export const ACTIONS_HEADER = '| | Id | Action | Instance (agent) | Node | Requests | Reason |\n|:-:|:--|:--|:--|:--|:--|:--|';

/** Node count and each resource's utilisation before and after the plan. */
export function utilisationTable(pool: PoolSummary): string {
  const rows = [`| nodes | ${pool.nodes.current} | ${pool.nodes.planned} |`];
  const util = pool.utilizationPercent ?? {};
  for (const k of orderedResourceNames(Object.keys(util))) {
    const u = util[k]!;
    const after = u.planned > 100 ? `**${percentText(u.planned)}** overcommitted` : percentText(u.planned);
    rows.push(`| ${escapeMd(k)} | ${percentText(u.current)} | ${after} |`);
  }
  return ['| Resource | Before | After |', '|:--|--:|--:|', ...rows].join('\n');
}

/** The `<summary>` line of a pool: its name, node counts and how many actions. */
export function poolSummaryLine(g: PoolGroup): string {
  const n = g.actions.length;
  const parts = [`<b>${escapeHtml(g.name)}</b>`];
  if (g.pool) parts.push(g.pool.nodes.current === g.pool.nodes.planned ? `${g.pool.nodes.current} nodes` : `${g.pool.nodes.current} → ${g.pool.nodes.planned} nodes`);
  const gpu = g.pool && gpuToShow(g.pool);
  if (gpu && gpu.strandedMillis + gpu.fragmentedMillis > 0) parts.push(`${gpus(gpu.strandedMillis + gpu.fragmentedMillis)} GPU stranded or fragmented`);
  parts.push(n === 0 ? 'no actions' : `${thousands(n)} action${n === 1 ? '' : 's'}`);
  return `<summary>${parts.join(' · ')}</summary>`;
}

/**
 * A collapsible block per pool: utilisation, then its first `shown` actions and how many more there
 * are. `rows` may hold the action rows already rendered (the comment is fitted to size by trying several `shown`).
 */
export function poolDetails(g: PoolGroup, shown = g.actions.length, rows?: readonly string[]): string {
  const out = [`<details>${poolSummaryLine(g)}`, ''];
  if (g.pool) out.push(utilisationTable(g.pool), '');
  const gpu = g.pool && gpuToShow(g.pool);
  if (gpu) out.push(`${gpuSentence(gpu)}.`, '');
  const n = Math.min(g.actions.length, Math.max(0, shown));
  const shownRows = rows ? rows.slice(0, n) : g.actions.slice(0, n).map(actionRow);
  if (shownRows.length > 0) out.push(ACTIONS_HEADER, ...shownRows, '');
  const hidden = g.actions.length - shownRows.length;
  if (hidden > 0) out.push(`_… ${thousands(hidden)} more action${hidden === 1 ? '' : 's'} in ${escapeMd(g.name)} not shown._`, '');
  out.push('</details>');
  return out.join('\n');
}

/** One blocked instance as a list item; its reasons folded into one node summary and nested details. */
export function blockedItem(b: BlockedInstance): string {
  const v = blockedView(b);
  const who = `- **${escapeMd(b.instance)}** (agent ${escapeMd(b.agent)})`;
  const detail = (d: { code: string; message: string }) => `${codeSpan(d.code)} ${escapeMd(d.message)}`;
  if (v.headline === undefined && v.details.length === 1) return `${who}: ${detail(v.details[0]!)}`;
  const head = v.headline === undefined ? who : `${who}: ${escapeMd(v.headline)}`;
  return [head, ...v.details.map((d) => `  - ${detail(d)}`)].join('\n');
}

/** Instances that cannot be placed, and why (the first `shown`; `items` may hold them already rendered). */
export function blockedSection(blocked: readonly BlockedInstance[], shown = blocked.length, items?: readonly string[]): string {
  if (blocked.length === 0) return '';
  const n = Math.min(blocked.length, Math.max(0, shown));
  const shownItems = items ? items.slice(0, n) : blocked.slice(0, n).map(blockedItem);
  const hidden = blocked.length - shownItems.length;
  const out = [`### Blocked (${thousands(blocked.length)})`, ''];
  if (shownItems.length > 0) out.push(...shownItems);
  if (hidden > 0) out.push(...(shownItems.length > 0 ? [''] : []), `_… ${thousands(hidden)} more blocked instance${hidden === 1 ? '' : 's'} not shown._`);
  return out.join('\n');
}

/** Each quota resource: used after the plan, limit, and how full. */
export function quotasSection(plan: Plan): string {
  const quotas = plan.quotas ?? [];
  if (quotas.length === 0) return '';
  const rows: string[] = [];
  for (const q of quotas) {
    for (const k of orderedKeys([...Object.keys(q.limits), ...Object.keys(q.used)])) {
      const pct = quotaPercent(q.used[k], q.limits[k]);
      const use = pct === undefined ? 'no limit' : pct > 100 ? `**${percentText(pct)}** exceeded` : percentText(pct);
      const limit = q.limits[k] === undefined ? '—' : quantity(k, q.limits[k]!);
      rows.push(`| ${escapeMd(q.name)} | ${escapeMd(resourceLabel(k))} | ${quantity(k, q.used[k] ?? 0)} | ${limit} | ${use} |`);
    }
  }
  return ['### Quotas', '', '| Quota | Resource | Used after the plan | Limit | Use |', '|:--|:--|--:|--:|--:|', ...rows].join('\n');
}

/** Things the reviewer should know (the first `shown`). */
export function warningsSection(warnings: readonly PlanWarning[], shown = warnings.length): string {
  if (warnings.length === 0) return '';
  const items = warnings.slice(0, Math.max(0, shown)).map((w) => `- ${codeSpan(w.code)} ${escapeMd(w.message)}`);
  const hidden = warnings.length - items.length;
  if (hidden > 0) items.push(`- _… ${thousands(hidden)} more warning${hidden === 1 ? '' : 's'} not shown._`);
  return [`### Warnings (${thousands(warnings.length)})`, '', ...items].join('\n');
}

/** One forecast: what, which model, how far, and the chart with its legend. */
export function forecastBlock(f: PlanForecast): string {
  const facts = [typeof f.model === 'string' ? `model ${codeSpan(f.model)}` : undefined, horizonText(f.horizon) !== undefined ? `horizon ${escapeMd(horizonText(f.horizon)!)}` : undefined];
  const head = `**${escapeMd(forecastTitle(f))}**${facts.some((x) => x) ? `: ${facts.filter((x) => x !== undefined).join(', ')}` : ''}`;
  const chart = forecastChart(f);
  return chart === undefined ? `${head} (no points)` : [head, '', chart, '', chartLegend(f)].join('\n');
}

/** Every forecast of the plan, each with its chart. */
export function forecastsSection(plan: Plan): string {
  const fs = (plan.forecasts ?? []).map(asForecast);
  return fs.length === 0 ? '' : ['### Forecasts', '', fs.map(forecastBlock).join('\n\n')].join('\n');
}

/** Where the plan comes from: short plan id, policy digest, Git commit, state fingerprint. */
export function footerSection(plan: Plan): string {
  const i = plan.inputs;
  const commit = i.gitCommit == null ? 'no commit' : /^[0-9a-f]{7,40}$/.test(i.gitCommit) ? `commit ${i.gitCommit}` : `commit ${codeSpan(i.gitCommit)}`;
  const parts = [
    `plan ${codeSpan(shortDigest(plan.planId))}`,
    `format ${escapeMd(plan.formatVersion)}`,
    `policy ${codeSpan(i.policyDigest)}`,
    commit,
    `state ${codeSpan(i.stateFingerprint)}`,
    `at ${escapeMd(i.now)}`,
  ];
  return `---\n\n<sub>${parts.join(' · ')}</sub>`;
}
