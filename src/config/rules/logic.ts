/** JSON Logic in selectors and Policy rules uses known operators with the right arguments. */
import type { Selector } from '../../model/documents.js';
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

function report(ctx: RuleContext, e: DocumentEntry, base: string, rule: unknown): void {
  for (const p of checkJsonLogic(rule)) ctx.report(e, base + p.pointer, 'InvalidJsonLogic', `${docName(e.doc)}: ${p.message}`, { hint: p.hint, atKey: p.atKey });
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
