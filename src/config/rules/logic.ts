/** JSON Logic in selectors and Policy rules uses known operators with the right arguments, within the evaluation budget. */
import type { Selector } from '../../model/documents.js';
import { fromPointer } from '../../model/diagnostic.js';
import { evaluateLogic, LogicBudgetError, registerRuleSite } from '../../model/logic-eval.js';
import { checkJsonLogic } from '../jsonlogic-check.js';
import type { Rule, RuleContext } from './context.js';
import { docName } from './context.js';
import type { DocumentEntry } from '../validate.js';

/** Every selector of a document, with its pointer. */
export function selectorsOf(e: DocumentEntry): { pointer: string; selector: Selector }[] {
  const out: { pointer: string; selector: Selector }[] = [];
  const rules = (base: string, r: Record<string, unknown> | undefined) => {
    if (!r) return;
    const na = r.nodeAffinity as { required?: Selector; preferred?: { selector: Selector }[] } | undefined;
    if (na?.required) out.push({ pointer: `${base}/nodeAffinity/required`, selector: na.required });
    na?.preferred?.forEach((p, i) => out.push({ pointer: `${base}/nodeAffinity/preferred/${i}/selector`, selector: p.selector }));
    for (const f of ['agentAffinity', 'agentAntiAffinity', 'topologySpread'] as const)
      (r[f] as { selector?: Selector }[] | undefined)?.forEach((t, i) => t.selector && out.push({ pointer: `${base}/${f}/${i}/selector`, selector: t.selector }));
  };
  const d = e.doc;
  if (d.kind === 'Agent') rules('/spec/placement', d.spec.placement as Record<string, unknown>);
  if (d.kind === 'AffinityRule') {
    out.push({ pointer: '/spec/appliesTo', selector: d.spec.appliesTo });
    rules('/spec', d.spec as unknown as Record<string, unknown>);
  }
  if (d.kind === 'Policy' && d.spec.appliesTo.selector) out.push({ pointer: '/spec/appliesTo/selector', selector: d.spec.appliesTo.selector });
  return out;
}

/** `/spec/rules/0/deny` → `spec.rules[0].deny`, the way messages name a field. */
export function fieldName(pointer: string): string {
  return fromPointer(pointer).map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** Report a rule that went over the evaluation budget, once (later evaluations throw the same error). */
export function reportBudget(ctx: RuleContext, e: DocumentEntry, pointer: string, err: LogicBudgetError): void {
  if (err.reported) return;
  err.reported = true;
  ctx.report(e, pointer, 'JsonLogicBudget', err.site ? err.withoutPlace : `${docName(e.doc)}: ${err.withoutPlace}`, { hint: err.hint });
}

function report(ctx: RuleContext, e: DocumentEntry, base: string, rule: unknown): void {
  const problems = checkJsonLogic(rule);
  for (const p of problems) ctx.report(e, base + p.pointer, 'InvalidJsonLogic', `${docName(e.doc)}: ${p.message}`, { hint: p.hint, atKey: p.atKey });
  if (problems.length) return;
  // Where the rule is written, for a budget error at plan time; located only if one happens.
  registerRuleSite(rule, { document: docName(e.doc), field: fieldName(base), at: () => { const p = e.parsed.locate(base); return `${e.parsed.file}:${p.line}:${p.column}`; } });
  // One evaluation on an empty view finds the rules that are too expensive as written (long
  // lists in the rule itself); data-dependent cost is bounded when the rule meets real data.
  try {
    evaluateLogic(rule, {});
  } catch (err) {
    if (err instanceof LogicBudgetError) reportBudget(ctx, e, base, err);
    // Any other failure on an empty view (say, `in` on a missing list) says nothing about real data.
  }
}

export const jsonLogic: Rule = {
  name: 'json-logic',
  description: 'JSON Logic rules in selectors (match) and Policy deny rules use known operators with well-formed arguments',
  check(ctx) {
    for (const e of ctx.entries) {
      for (const { pointer, selector } of selectorsOf(e)) if (selector.match !== undefined) report(ctx, e, `${pointer}/match`, selector.match);
      if (e.doc.kind === 'Policy') e.doc.spec.rules.forEach((r, i) => report(ctx, e, `/spec/rules/${i}/deny`, r.deny));
    }
  },
};
