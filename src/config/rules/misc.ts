/** Cross-field rules the schema leaves to code. */
import type { Rule } from './context.js';
import { docName, entriesOf } from './context.js';
import { selectorMatches } from '../../model/selector.js';

const ENV_REF = /\$\{([^}]*)\}/g;

export const crossField: Rule = {
  name: 'cross-field',
  description: 'MetricSource has exactly one backend; Pool-only fields are not set on Agent targets; tolerations and env references are well formed; AffinityRules select something',
  check(ctx) {
    for (const e of entriesOf(ctx, 'MetricSource')) {
      const s = e.doc.spec;
      if (!s.prometheus && !s.file) ctx.report(e, '/spec', 'MissingField', `${docName(e.doc)} has no backend`, { hint: 'add spec.prometheus {url} or spec.file {path}', atKey: true });
      if (s.prometheus && s.file) ctx.report(e, '/spec/file', 'InvalidValue', `${docName(e.doc)} sets both prometheus and file`, { hint: 'keep one backend per MetricSource', atKey: true });
      if (s.prometheus && !/^https?:\/\/[^\s/]+/.test(s.prometheus.url) && !/^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/.test(s.prometheus.url))
        ctx.report(e, '/spec/prometheus/url', 'InvalidValue', `${docName(e.doc)}: '${s.prometheus.url}' is not an http(s) URL`, { hint: 'write e.g. http://127.0.0.1:9090' });
    }
    for (const e of entriesOf(ctx, 'ScalingPolicy')) {
      if (e.doc.spec.target.kind === 'Agent' && e.doc.spec.targetUtilizationPercent !== undefined)
        ctx.report(e, '/spec/targetUtilizationPercent', 'InvalidTarget', `${docName(e.doc)}: targetUtilizationPercent applies to Pool targets only, and this policy targets Agent '${e.doc.spec.target.name}'`, { hint: 'use metrics with targetPerReplica to scale an agent', atKey: true });
    }
    for (const e of entriesOf(ctx, 'Agent')) {
      (e.doc.spec.placement.tolerations ?? []).forEach((t, i) => {
        if (t.operator === 'Exists' && t.value !== undefined)
          ctx.report(e, `/spec/placement/tolerations/${i}/value`, 'InvalidSelector', `${docName(e.doc)}: a toleration with operator Exists must not set a value`, { hint: 'remove value, or use operator Equal', atKey: true });
        if ((t.operator ?? 'Equal') === 'Equal' && !t.key)
          ctx.report(e, `/spec/placement/tolerations/${i}`, 'InvalidSelector', `${docName(e.doc)}: a toleration with operator Equal needs a key`, { hint: 'add key, or use operator Exists to tolerate every taint', atKey: true });
      });
      for (const [k, v] of Object.entries(e.doc.spec.runtime.env ?? {})) {
        for (const m of String(v).matchAll(ENV_REF)) {
          if (!/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(m[1]!))
            ctx.report(e, `/spec/runtime/env/${k}`, 'InvalidValue', `${docName(e.doc)}: '${m[0]}' in env ${k} is not an environment reference`, { hint: 'write ${env:NAME} with a variable name', severity: 'warning' });
        }
      }
    }
    const agents = entriesOf(ctx, 'Agent');
    for (const e of entriesOf(ctx, 'AffinityRule')) {
      const hit = agents.some((a) => selectorMatches(e.doc.spec.appliesTo, a.doc.metadata.labels, { name: a.doc.metadata.name, agent: a.doc.metadata.name, type: a.doc.spec.type, owner: a.doc.spec.owner, class: a.doc.spec.class, priority: a.doc.spec.priority, labels: a.doc.metadata.labels }));
      if (!hit && agents.length) ctx.report(e, '/spec/appliesTo', 'SelectsNothing', `${docName(e.doc)} applies to no agent`, { severity: 'warning', hint: 'check appliesTo against the agents\' labels', atKey: true });
    }
  },
};
