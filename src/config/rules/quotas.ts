/** Quota cohorts are consistent (Kueue semantics). */
import { formatResource, resourceName } from '../../model/quantity.js';
import { pointerSegment } from '../../model/diagnostic.js';
import type { Rule } from './context.js';
import { docName, entriesOf } from './context.js';

export const quotaCohorts: Rule = {
  name: 'quota-cohorts',
  description: 'borrowing and lending limits and reclaimWithinCohort need a cohort, name limited resources, and lend no more than the quota has; a cohort has more than one member',
  check(ctx) {
    const quotas = entriesOf(ctx, 'Quota');
    const members = new Map<string, typeof quotas>();
    for (const e of quotas) {
      const s = e.doc.spec;
      for (const field of ['borrowingLimit', 'lendingLimit'] as const) {
        const lim = s[field];
        if (!lim || e.partial) continue;
        if (s.cohort === undefined) {
          ctx.report(e, `/spec/${field}`, 'InconsistentCohort', `${docName(e.doc)}: spec.${field} is set, but the quota belongs to no cohort to ${field === 'borrowingLimit' ? 'borrow from' : 'lend to'}`, { hint: 'add spec.cohort, or remove ' + field, atKey: true });
          continue;
        }
        for (const [k, v] of Object.entries(lim)) {
          const own = s.limits[k];
          const at = `/spec/${field}/${pointerSegment(resourceName(k))}`;
          if (own === undefined) ctx.report(e, at, 'InconsistentCohort', `${docName(e.doc)}: spec.${field} names ${resourceName(k)}, which spec.limits does not limit`, { hint: `add ${resourceName(k)} to spec.limits or remove it from ${field}`, atKey: true });
          else if (field === 'lendingLimit' && v > own) ctx.report(e, at, 'InconsistentCohort', `${docName(e.doc)}: spec.lendingLimit lends ${formatResource(k, v)}, more than its own limit of ${formatResource(k, own)}`, { hint: `lower lendingLimit.${resourceName(k)} to at most the limit` });
        }
      }
      if (s.cohort === undefined && s.reclaimWithinCohort !== undefined && s.reclaimWithinCohort !== 'Never' && !e.partial)
        ctx.report(e, '/spec/reclaimWithinCohort', 'InconsistentCohort', `${docName(e.doc)}: spec.reclaimWithinCohort is ${s.reclaimWithinCohort}, but the quota belongs to no cohort that could borrow from it`, { hint: 'add spec.cohort, or remove reclaimWithinCohort', atKey: true });
      if (s.cohort !== undefined) members.set(s.cohort, [...(members.get(s.cohort) ?? []), e]);
    }
    const owners = new Map<string, (typeof quotas)[number]>();
    for (const e of quotas) {
      const prev = owners.get(e.doc.spec.owner);
      if (prev && JSON.stringify(prev.doc.spec.scope ?? {}) === JSON.stringify(e.doc.spec.scope ?? {}))
        ctx.report(e, '/spec/owner', 'InconsistentCohort', `${docName(e.doc)} and ${docName(prev.doc)} both limit owner '${e.doc.spec.owner}' over the same scope`, { hint: 'merge them, or give each a different scope' });
      else if (!prev) owners.set(e.doc.spec.owner, e);
    }
    for (const [cohort, list] of [...members].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (list.length === 1) {
        const e = list[0]!;
        ctx.report(e, '/spec/cohort', 'InconsistentCohort', `${docName(e.doc)}: spec.cohort '${cohort}' has no other member, so there is nobody to borrow from or lend to`, { severity: 'warning', hint: 'add another quota to the cohort or remove spec.cohort' });
      }
    }
  },
};
