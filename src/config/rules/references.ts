/** Every reference resolves; dependsOn has no cycles. */
import type { Kind } from '../../model/documents.js';
import { BUILTIN_DRIVER_TYPES } from '../../model/documents.js';
import { didYouMean } from '../../model/diagnostic.js';
import type { Rule, RuleContext } from './context.js';
import { docName, entriesOf } from './context.js';
import type { DocumentEntry } from '../validate.js';

function resolve(ctx: RuleContext, e: DocumentEntry, pointer: string, kind: Kind, name: string, what: string, extra: readonly string[] = []): void {
  if (ctx.names[kind].has(name) || extra.includes(name)) return;
  const candidates = [...ctx.names[kind], ...extra];
  const guess = didYouMean(name, candidates);
  const hint = guess ? `did you mean '${guess}'?` : candidates.length ? `known: ${[...candidates].sort().join(', ')}` : `add a ${kind} document named '${name}'`;
  ctx.report(e, pointer, 'UnknownReference', `${docName(e.doc)}: ${what} '${name}' does not exist`, { hint });
}

export const references: Rule = {
  name: 'references',
  description: 'placement.pools, dependsOn, ScalingPolicy.target, metric sources, drivers, provisioners and quota scopes name existing documents',
  check(ctx) {
    for (const e of entriesOf(ctx, 'Agent')) {
      (e.doc.spec.placement.pools ?? []).forEach((p, i) => resolve(ctx, e, `/spec/placement/pools/${i}`, 'Pool', p, 'pool'));
      e.doc.spec.dependsOn.forEach((d, i) => resolve(ctx, e, `/spec/dependsOn/${i}`, 'Agent', d, 'dependency agent'));
    }
    for (const e of entriesOf(ctx, 'Pool')) {
      resolve(ctx, e, '/spec/driver', 'Driver', e.doc.spec.driver, 'driver', BUILTIN_DRIVER_TYPES);
      if (e.doc.spec.provisioner !== undefined) resolve(ctx, e, '/spec/provisioner', 'Driver', e.doc.spec.provisioner, 'provisioner driver', BUILTIN_DRIVER_TYPES);
    }
    for (const e of entriesOf(ctx, 'Quota')) (e.doc.spec.scope?.pools ?? []).forEach((p, i) => resolve(ctx, e, `/spec/scope/pools/${i}`, 'Pool', p, 'pool'));
    const targeted = new Map<string, DocumentEntry>();
    for (const e of entriesOf(ctx, 'ScalingPolicy')) {
      const s = e.doc.spec;
      resolve(ctx, e, '/spec/target/name', s.target.kind, s.target.name, `target ${s.target.kind.toLowerCase()}`);
      const key = `${s.target.kind}/${s.target.name}`;
      const prev = targeted.get(key);
      if (prev) ctx.report(e, '/spec/target/name', 'InvalidTarget', `${docName(e.doc)}: ${s.target.kind} '${s.target.name}' is already scaled by ${docName(prev.doc)} (${prev.parsed.file}:${prev.doc.source.line})`, { hint: 'merge the two policies into one' });
      else targeted.set(key, e);
      s.metrics.forEach((m, i) => resolve(ctx, e, `/spec/metrics/${i}/metric/source`, 'MetricSource', m.metric.source, 'metric source'));
      s.triggers.forEach((t, i) => resolve(ctx, e, `/spec/triggers/${i}/metric/source`, 'MetricSource', t.metric.source, 'metric source'));
      if (s.predictive) resolve(ctx, e, '/spec/predictive/metric/source', 'MetricSource', s.predictive.metric.source, 'metric source');
    }
  },
};

export const dependencyCycles: Rule = {
  name: 'dependency-cycles',
  description: 'dependsOn between agents forms no cycle; each cycle is reported once with all its members',
  check(ctx) {
    const agents = entriesOf(ctx, 'Agent');
    const byName = new Map(agents.map((e) => [e.doc.metadata.name, e]));
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const reported = new Set<string>();
    const visit = (name: string): void => {
      state.set(name, 'visiting');
      stack.push(name);
      for (const dep of byName.get(name)!.doc.spec.dependsOn) {
        if (!byName.has(dep)) continue;
        if (state.get(dep) === 'visiting') {
          const members = stack.slice(stack.indexOf(dep));
          const key = [...members].sort().join(',');
          if (reported.has(key)) continue;
          reported.add(key);
          // Report once, on the alphabetically first member, at its dependsOn entry that starts the cycle.
          const first = [...members].sort()[0]!;
          const at = members.indexOf(first);
          const cycle = [...members.slice(at), ...members.slice(0, at), first];
          const e = byName.get(first)!;
          const i = e.doc.spec.dependsOn.indexOf(cycle[1]!);
          const msg = members.length === 1 ? `${docName(e.doc)}: spec.dependsOn lists the agent itself, so it can never be placed` : `${docName(e.doc)}: spec.dependsOn forms a cycle ${cycle.join(' → ')}, so none of these ${members.length} agents can ever be placed`;
          ctx.report(e, `/spec/dependsOn/${i}`, 'DependencyCycle', msg, { hint: members.length === 1 ? `remove '${first}' from its own dependsOn` : 'remove one of these dependencies to break the cycle' });
        } else if (!state.has(dep)) visit(dep);
      }
      stack.pop();
      state.set(name, 'done');
    };
    for (const name of [...byName.keys()].sort()) if (!state.has(name)) visit(name);
  },
};
