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
      if (prev) ctx.report(e, '/spec/target', 'InvalidTarget', `${docName(e.doc)}: ${s.target.kind} '${s.target.name}' is already scaled by ${docName(prev.doc)} (${prev.parsed.file}:${prev.doc.source.line})`, { hint: 'merge the two policies into one' });
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
      const e = byName.get(name)!;
      e.doc.spec.dependsOn.forEach((dep, i) => {
        if (!byName.has(dep)) return;
        if (state.get(dep) === 'visiting') {
          const cycle = [...stack.slice(stack.indexOf(dep)), dep];
          const key = [...cycle.slice(0, -1)].sort().join(',');
          if (reported.has(key)) return;
          reported.add(key);
          ctx.report(e, `/spec/dependsOn/${i}`, 'DependencyCycle', `dependsOn forms a cycle: ${cycle.join(' → ')}`, { hint: `remove one of these dependencies; agents in a cycle can never be placed` });
        } else if (!state.has(dep)) visit(dep);
      });
      stack.pop();
      state.set(name, 'done');
    };
    for (const name of [...byName.keys()].sort()) if (!state.has(name)) visit(name);
  },
};
