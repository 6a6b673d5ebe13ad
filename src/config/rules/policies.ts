/** Policy documents: their deny rules are evaluated on every document they apply to. */
import jsonLogic from 'json-logic-js';
import { checkJsonLogic, varPaths } from '../jsonlogic-check.js';
import { toPointer } from '../../model/diagnostic.js';
import type { Rule } from './context.js';
import { docName, entriesOf } from './context.js';
import { selectorMatches } from '../../model/selector.js';

/** The pointer of the first field a rule reads that exists in the document, else the document's name. */
function pointerFor(doc: unknown, rule: unknown): string {
  for (const p of varPaths(rule)) {
    const segs = p.split('.');
    let cur: unknown = doc;
    let ok = true;
    for (const s of segs) {
      if (cur && typeof cur === 'object' && s in (cur as object)) cur = (cur as Record<string, unknown>)[s];
      else {
        ok = false;
        break;
      }
    }
    if (ok) return toPointer(segs);
    // The field is missing: point at its nearest existing parent.
    for (let n = segs.length - 1; n > 0; n--) {
      let c: unknown = doc;
      let found = true;
      for (const s of segs.slice(0, n)) {
        if (c && typeof c === 'object' && s in (c as object)) c = (c as Record<string, unknown>)[s];
        else found = false;
      }
      if (found) return toPointer(segs.slice(0, n));
    }
  }
  return '/metadata/name';
}

export const policies: Rule = {
  name: 'policies',
  description: 'Policy deny rules are evaluated on every document they apply to and reported with their message and severity',
  check(ctx) {
    for (const pe of entriesOf(ctx, 'Policy')) {
      const { appliesTo, rules } = pe.doc.spec;
      const usable = rules.filter((r) => checkJsonLogic(r.deny).length === 0);
      if (appliesTo.selector?.match !== undefined && checkJsonLogic(appliesTo.selector.match).length) continue;
      for (const e of ctx.entries) {
        if (!appliesTo.kinds.includes(e.doc.kind)) continue;
        if (appliesTo.selector && !selectorMatches(appliesTo.selector, e.doc.metadata.labels, e.raw)) continue;
        for (const r of usable) {
          let denied: unknown;
          try {
            denied = jsonLogic.apply(r.deny as jsonLogic.RulesLogic, e.raw);
          } catch (err) {
            const idx = rules.indexOf(r);
            ctx.report(pe, `/spec/rules/${idx}/deny`, 'PolicyError', `${docName(pe.doc)} rule '${r.name}' failed on ${docName(e.doc)}: ${(err as Error).message}`, { hint: 'check the rule against the document shape' });
            continue;
          }
          if (jsonLogic.truthy(denied))
            ctx.report(e, pointerFor(e.raw, r.deny), 'PolicyViolation', `${docName(e.doc)} is denied by ${docName(pe.doc)} rule '${r.name}': ${r.message}`, { severity: r.severity ?? 'error', hint: `see ${pe.parsed.file}:${pe.doc.source.line}` });
        }
      }
    }
  },
};
