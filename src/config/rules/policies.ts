/** Policy documents: their deny rules are evaluated on every document they apply to. */
import jsonLogic from 'json-logic-js';
import { checkJsonLogic, varPaths } from '../jsonlogic-check.js';
import { evaluateLogic, LogicBudgetError } from '../../model/logic-eval.js';
import { reportBudget } from './logic.js';
import { toPointer } from '../../model/diagnostic.js';
import type { Rule } from './context.js';
import { docName, entriesOf } from './context.js';
import { selectorMatches } from '../../model/selector.js';

/**
 * The pointer of the first field a rule reads that the document has, else of the first field it reads
 * (a missing field is located at the key of its nearest existing parent), else the document's name.
 */
function pointerFor(doc: unknown, rule: unknown): string {
  const paths = varPaths(rule).map((p) => p.split('.'));
  const exists = (segs: string[]) => {
    let cur: unknown = doc;
    for (const s of segs) {
      if (cur && typeof cur === 'object' && Object.prototype.hasOwnProperty.call(cur, s)) cur = (cur as Record<string, unknown>)[s];
      else return false;
    }
    return true;
  };
  const found = paths.find(exists) ?? paths[0];
  return found ? toPointer(found) : '/metadata/name';
}

export const policies: Rule = {
  name: 'policies',
  description: 'Policy deny rules are evaluated on every document they apply to and reported with their message and severity',
  check(ctx) {
    for (const pe of entriesOf(ctx, 'Policy')) {
      const { appliesTo, rules } = pe.doc.spec;
      const usable = rules.filter((r) => checkJsonLogic(r.deny).length === 0);
      if (appliesTo.selector?.match !== undefined && checkJsonLogic(appliesTo.selector.match).length) continue;
      const overBudget = new Set<unknown>();
      for (const e of ctx.entries) {
        if (!appliesTo.kinds.includes(e.doc.kind)) continue;
        try {
          if (appliesTo.selector && !selectorMatches(appliesTo.selector, e.doc.metadata.labels, e.raw)) continue;
        } catch (err) {
          if (!(err instanceof LogicBudgetError)) throw err;
          reportBudget(ctx, pe, '/spec/appliesTo/selector/match', err);
          break;
        }
        for (const r of usable) {
          if (overBudget.has(r)) continue;
          let denied: unknown;
          try {
            denied = evaluateLogic(r.deny, e.raw);
          } catch (err) {
            const idx = rules.indexOf(r);
            if (err instanceof LogicBudgetError) {
              overBudget.add(r);
              reportBudget(ctx, pe, `/spec/rules/${idx}/deny`, err);
              continue;
            }
            ctx.report(pe, `/spec/rules/${idx}/deny`, 'PolicyError', `${docName(pe.doc)} rule '${r.name}' failed on ${docName(e.doc)}: ${(err as Error).message}`, { hint: 'check the rule against the document shape' });
            continue;
          }
          if (jsonLogic.truthy(denied))
            ctx.report(e, pointerFor(e.raw, r.deny), 'PolicyViolation', `${docName(e.doc)} is denied by ${docName(pe.doc)} rule '${r.name}': ${r.message}`, { severity: r.severity ?? 'error', hint: `change the ${e.doc.kind} so that the rule no longer denies it (the Policy is at ${pe.parsed.file}:${pe.doc.source.line})` });
        }
      }
    }
  },
};
