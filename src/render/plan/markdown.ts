/**
 * The plan as a GitHub pull-request comment: title, summary table, warnings, anomalies, blocked instances,
 * collapsible details per pool, quotas, forecasts, footer. A plan too large for one comment keeps
 * the summary and shows as many details as fit, cut between whole items, with a pointer to the full plan.
 */
import { anomaliesMarkdownSection, anomaliesOf } from './anomalies.js';
import { groupByPool } from './groups.js';
import { linkOrCode, thousands } from './markdown-escape.js';
import {
  actionRow,
  blockedItem,
  blockedSection,
  footerSection,
  forecastsSection,
  poolDetails,
  quotasSection,
  summaryTable,
  titleSection,
  warningsSection,
} from './markdown-sections.js';
import type { Plan } from './types.js';

export * from './markdown-sections.js';

/** GitHub's limit on the body of an issue or pull-request comment. */
export const GITHUB_COMMENT_LIMIT = 65536;

export interface MarkdownOptions {
  /** Longest comment to produce (default GitHub's 65,536 characters; at least 1,024). */
  maxLength?: number;
  /** Where the full plan can be read when the comment is cut; else "the plan artifact". */
  fullPlanUrl?: string;
}

const SEP = '\n\n';
const POOLS_HEADING = '### Changes by pool';

/** The largest n in [0, total] whose rendering fits the budget, by bisection (renderings grow with n). */
function fit(render: (n: number) => string, total: number, budget: number): { text: string; shown: number } | undefined {
  if (render(0).length > budget) return undefined;
  let lo = 0;
  let hi = total;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (render(mid).length <= budget) lo = mid;
    else hi = mid - 1;
  }
  return { text: render(lo), shown: lo };
}

/** What the comment leaves out, and where to read it all. */
export function truncationNote(parts: string[], maxLength: number, fullPlanUrl: string | undefined): string {
  const where = fullPlanUrl === undefined ? 'the plan artifact' : linkOrCode('the full plan', fullPlanUrl);
  const left = parts.length > 0 ? `: ${parts.join(', ')}` : '';
  return `> [!NOTE]\n> This plan is too large for one comment (at most ${thousands(maxLength)} characters), so its details are cut${left}. Everything is in ${where}.`;
}

/** The whole comment, cut to `maxLength` when needed. */
export function renderMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const maxLength = options.maxLength ?? GITHUB_COMMENT_LIMIT;
  if (!(maxLength >= 1024)) throw new RangeError(`maxLength ${maxLength} is too small for a plan comment: allow at least 1024 characters`);
  const warnings = plan.warnings ?? [];
  const groups = groupByPool(plan);
  const title = titleSection(plan);
  const summary = summaryTable(plan);
  const quotas = quotasSection(plan);
  const forecasts = forecastsSection(plan);
  const anomalies = anomaliesOf(plan);
  const footer = footerSection(plan);
  // Rows and items are rendered once: fitting the comment to size tries several counts of them.
  const rows = groups.map((g) => g.actions.map(actionRow));
  const items = plan.blocked.map(blockedItem);
  const pools = groups.length > 0 ? [POOLS_HEADING, ...groups.map((g, i) => poolDetails(g, g.actions.length, rows[i]))] : [];
  const assemble = (xs: string[]) => xs.filter((x) => x !== '').join(SEP) + '\n';
  const full = assemble([title, summary, warningsSection(warnings), anomaliesMarkdownSection(plan), blockedSection(plan.blocked, plan.blocked.length, items), ...pools, quotas, forecasts, footer]);
  if (full.length <= maxLength) return full;

  // Too long: the title, summary table, footer and note always stay; the rest is filled in by priority.
  const actionsTotal = groups.reduce((s, g) => s + g.actions.length, 0);
  const worstNote = truncationNote(
    [
      `${thousands(actionsTotal)} of ${thousands(actionsTotal)} actions shown`,
      `${thousands(plan.blocked.length)} of ${thousands(plan.blocked.length)} blocked instances shown`,
      `${thousands(warnings.length)} of ${thousands(warnings.length)} warnings shown`,
      `${thousands(anomalies.length)} of ${thousands(anomalies.length)} anomalies shown`,
      'quotas left out',
      'forecasts left out',
    ],
    maxLength,
    options.fullPlanUrl,
  );
  let budget = maxLength - assemble([title, summary, footer, worstNote]).length;
  const take = (text: string) => {
    if (text === '' || text.length + SEP.length > budget) return '';
    budget -= text.length + SEP.length;
    return text;
  };
  const fitList = (render: (n: number) => string, total: number, share: number) => {
    const r = fit(render, total, Math.floor(Math.max(0, budget - SEP.length) * share));
    return r ? { text: take(r.text), shown: r.shown } : { text: '', shown: 0 };
  };

  const quotasText = take(quotas);
  const w = fitList((n) => warningsSection(warnings, n), warnings.length, 0.25);
  const an = fitList((n) => anomaliesMarkdownSection(plan, n), anomalies.length, 0.25);
  const b = fitList((n) => blockedSection(plan.blocked, n, items), plan.blocked.length, 0.5);
  const forecastsText = take(forecasts);
  const poolTexts: string[] = [];
  let actionsShown = 0;
  if (groups.length > 0 && take(POOLS_HEADING) !== '') {
    poolTexts.push(POOLS_HEADING);
    // Room for every pool's summary and utilisation is set aside first, so a pool cut short does not hide the pools after it.
    const skeletons = groups.map((g) => poolDetails(g, 0, []).length + SEP.length);
    let reserve = skeletons.reduce((s, n) => s + n, 0);
    if (reserve > budget) reserve = 0;
    groups.forEach((g, i) => {
      if (reserve > 0) reserve -= skeletons[i]!;
      const r = fit((n) => poolDetails(g, n, rows[i]), g.actions.length, budget - reserve - SEP.length);
      if (!r) return;
      poolTexts.push(take(r.text));
      actionsShown += r.shown;
    });
  }

  const left: string[] = [];
  if (actionsShown < actionsTotal) left.push(`${thousands(actionsShown)} of ${thousands(actionsTotal)} actions shown`);
  if (b.shown < plan.blocked.length) left.push(`${thousands(b.shown)} of ${thousands(plan.blocked.length)} blocked instances shown`);
  if (w.shown < warnings.length) left.push(`${thousands(w.shown)} of ${thousands(warnings.length)} warnings shown`);
  if (an.shown < anomalies.length) left.push(`${thousands(an.shown)} of ${thousands(anomalies.length)} anomalies shown`);
  if (quotas !== '' && quotasText === '') left.push('quotas left out');
  if (forecasts !== '' && forecastsText === '') left.push('forecasts left out');
  const note = truncationNote(left, maxLength, options.fullPlanUrl);
  return assemble([title, summary, w.text, an.text, b.text, ...poolTexts, quotasText, forecastsText, footer, note]);
}
