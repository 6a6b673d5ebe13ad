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
      if (e.doc.kind === 'SchedulingProfile') continue; // at most one may exist at all: see singleProfile
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
        if (owner !== undefined) ctx.report(e, `/spec/nodes/${i}/name`, 'DuplicateName', `${docName(e.doc)}: spec.nodes[${i}].name '${n.name}' is also the name of a node of Pool '${owner}'`, { hint: 'node names are unique across the fleet: rename one of the two nodes' });
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
    const first = profiles[0];
    profiles.forEach((e, i) => {
      if (i > 0)
        ctx.report(e, '/metadata/name', 'MultipleSchedulingProfiles', `SchedulingProfile '${e.doc.metadata.name}' is a second SchedulingProfile; the first is at ${first!.parsed.file}:${first!.doc.source.line}`, { hint: 'keep one SchedulingProfile, named default: merge the settings into it' });
      else if (e.doc.metadata.name !== 'default')
        ctx.report(e, '/metadata/name', 'MultipleSchedulingProfiles', `SchedulingProfile '${e.doc.metadata.name}' must be named 'default'`, { hint: 'there is one profile per repository: rename it to default' });
    });
  },
};
