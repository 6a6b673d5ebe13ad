/** Names unique per kind; at most one SchedulingProfile, named default. */
import type { Rule } from './context.js';
import { docName, entriesOf } from './context.js';
import type { DocumentEntry } from '../validate.js';

export const uniqueNames: Rule = {
  name: 'unique-names',
  description: 'names are unique per kind; static node names are unique across pools',
  check(ctx) {
    const first = new Map<string, DocumentEntry>();
    for (const e of ctx.entries) {
      const key = `${e.doc.kind}/${e.doc.metadata.name}`;
      const prev = first.get(key);
      if (!prev) {
        first.set(key, e);
        continue;
      }
      ctx.report(e, '/metadata/name', 'DuplicateName', `${docName(e.doc)} is defined twice; the first is at ${prev.parsed.file}:${prev.doc.source.line}`, { hint: 'rename one of them or delete the copy' });
    }
    const nodeOwner = new Map<string, string>();
    for (const e of entriesOf(ctx, 'Pool')) {
      (e.doc.spec.nodes ?? []).forEach((n, i) => {
        const owner = nodeOwner.get(n.name);
        if (owner !== undefined) ctx.report(e, `/spec/nodes/${i}/name`, 'DuplicateName', `node '${n.name}' is declared twice (also in pool '${owner}')`, { hint: 'node names are unique across the fleet' });
        else nodeOwner.set(n.name, e.doc.metadata.name);
      });
    }
  },
};

export const singleProfile: Rule = {
  name: 'single-profile',
  description: 'at most one SchedulingProfile, and it is named default',
  check(ctx) {
    const profiles = entriesOf(ctx, 'SchedulingProfile');
    profiles.forEach((e, i) => {
      if (e.doc.metadata.name !== 'default')
        ctx.report(e, '/metadata/name', 'MultipleSchedulingProfiles', `SchedulingProfile '${e.doc.metadata.name}' must be named 'default'`, { hint: 'there is one profile per repository: name it default' });
      else if (i > 0 && profiles.slice(0, i).some((p) => p.doc.metadata.name === 'default')) return; // reported as DuplicateName
      if (i > 0)
        ctx.report(e, '/metadata/name', 'MultipleSchedulingProfiles', `a second SchedulingProfile '${e.doc.metadata.name}' is declared; the first is at ${profiles[0]!.parsed.file}:${profiles[0]!.doc.source.line}`, { hint: 'keep one SchedulingProfile, named default' });
    });
  },
};
