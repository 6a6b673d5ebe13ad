/** Cross-field rules the schema leaves to code. */
import type { Rule } from './context.js';
import { docName, entriesOf } from './context.js';
import { selectorMatches } from '../../model/selector.js';
import { LogicBudgetError } from '../../model/logic-eval.js';
import { reportBudget } from './logic.js';
import { checkJsonLogic } from '../jsonlogic-check.js';
import { pointerSegment } from '../../model/diagnostic.js';

const ENV_REF = /\$\{([^}]*)\}/g;

const SERIES = ['cpu', 'memory', 'gpu'];

/** Metrics read from a `utilization` MetricSource: in spec.metrics of an Agent target, naming a resource in `series`. */
function checkUtilizationRefs(ctx: Parameters<Rule['check']>[0], e: ReturnType<typeof entriesOf<'ScalingPolicy'>>[number], real: ReadonlySet<string>): void {
  const s = e.doc.spec;
  const name = docName(e.doc);
  s.metrics.forEach((m, i) => {
    if (!real.has(m.metric.source)) return;
    const at = `/spec/metrics/${i}/metric`;
    if (s.target.kind !== 'Agent')
      ctx.report(e, `${at}/source`, 'InvalidTarget', `${name}: MetricSource ${m.metric.source} measures the real use of an Agent's instances, and this policy targets Pool '${s.target.name}'`, { hint: 'target an Agent, or use targetUtilizationPercent (requests over capacity) for a Pool' });
    if (m.metric.query !== undefined) ctx.report(e, `${at}/query`, 'InvalidValue', `${name}: spec.metrics[${i}] reads the utilization MetricSource ${m.metric.source}, which takes a series (cpu, memory or gpu), not a query`, { hint: 'write metric: {source: ' + m.metric.source + ', series: cpu}', atKey: true });
    else if (!SERIES.includes(m.metric.series ?? ''))
      ctx.report(e, m.metric.series === undefined ? at : `${at}/series`, m.metric.series === undefined ? 'MissingField' : 'InvalidValue', `${name}: spec.metrics[${i}] reads the utilization MetricSource ${m.metric.source}${m.metric.series === undefined ? ' without a series' : `, whose series is a resource, not '${m.metric.series}'`}`, { hint: 'write series: cpu, memory or gpu (targetPerReplica is then the target use in percent of requests)' });
  });
  s.triggers.forEach((t, i) => {
    if (real.has(t.metric.source)) ctx.report(e, `/spec/triggers/${i}/metric/source`, 'InvalidValue', `${name}: spec.triggers[${i}] reads the utilization MetricSource ${t.metric.source}, which has no history to trigger on`, { hint: 'use it in spec.metrics with targetPerReplica (percent of requests)' });
  });
  if (s.predictive && real.has(s.predictive.metric.source))
    ctx.report(e, '/spec/predictive/metric/source', 'InvalidValue', `${name}: spec.predictive reads the utilization MetricSource ${s.predictive.metric.source}, which has no history to forecast`, { hint: 'forecast a Prometheus or file metric; use the utilization source in spec.metrics' });
}

export const crossField: Rule = {
  name: 'cross-field',
  description: 'MetricSource has exactly one backend; utilization sources are read by Agent metrics with a resource series; Pool-only fields are not set on Agent targets; tolerations and env references are well formed; AffinityRules select something',
  check(ctx) {
    for (const e of entriesOf(ctx, 'MetricSource')) {
      const s = e.doc.spec;
      const backends = (['prometheus', 'file', 'utilization'] as const).filter((k) => s[k] !== undefined);
      if (backends.length === 0) ctx.report(e, '/spec', 'MissingField', `${docName(e.doc)}: spec has no backend; it needs spec.prometheus, spec.file or spec.utilization`, { hint: 'add spec.prometheus {url}, spec.file {path} or spec.utilization {}', atKey: true });
      if (backends.length > 1) ctx.report(e, `/spec/${backends[1]!}`, 'InvalidValue', `${docName(e.doc)}: spec sets both ${backends[0]!} and ${backends[1]!}, and a MetricSource reads from one backend`, { hint: 'keep one backend, and declare a second MetricSource for the other', atKey: true });
      if (s.prometheus && !/^https?:\/\/[^\s/]+/.test(s.prometheus.url) && !/^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/.test(s.prometheus.url))
        ctx.report(e, '/spec/prometheus/url', 'InvalidValue', `${docName(e.doc)}: spec.prometheus.url '${s.prometheus.url}' is not an http(s) URL`, { hint: /^[\w.-]+(:\d+)?(\/|$)/.test(s.prometheus.url) ? `add the scheme: http://${s.prometheus.url}` : 'write e.g. http://127.0.0.1:9090' });
    }
    const real = new Set(entriesOf(ctx, 'MetricSource').filter((m) => m.doc.spec.utilization !== undefined).map((m) => m.doc.metadata.name));
    for (const e of entriesOf(ctx, 'ScalingPolicy')) {
      if (real.size) checkUtilizationRefs(ctx, e, real);
      if (e.doc.spec.target.kind === 'Agent' && e.doc.spec.targetUtilizationPercent !== undefined)
        ctx.report(e, '/spec/targetUtilizationPercent', 'InvalidTarget', `${docName(e.doc)}: targetUtilizationPercent applies to Pool targets only, and this policy targets Agent '${e.doc.spec.target.name}'`, { hint: 'use metrics with targetPerReplica to scale an agent', atKey: true });
      if (e.doc.spec.target.kind !== 'Agent') continue;
      // The normalised spec always carries defaults; only fields written in the document count.
      const raw = (e.raw as { spec?: Record<string, unknown> } | undefined)?.spec ?? {};
      for (const field of ['scaleDownUtilizationPercent', 'scaleDownUnneededTime'])
        if (raw[field] !== undefined)
          ctx.report(e, `/spec/${field}`, 'InvalidTarget', `${docName(e.doc)}: ${field} decides which nodes a Pool may lose, and this policy targets Agent '${e.doc.spec.target.name}'`, { hint: 'remove it, or target a Pool', atKey: true, severity: 'warning' });
    }
    for (const e of entriesOf(ctx, 'Agent')) {
      (e.doc.spec.placement.tolerations ?? []).forEach((t, i) => {
        if (t.operator === 'Exists' && t.value !== undefined)
          ctx.report(e, `/spec/placement/tolerations/${i}/value`, 'InvalidSelector', `${docName(e.doc)}: spec.placement.tolerations[${i}] has operator Exists, which matches any value, and also sets a value`, { hint: 'remove value, or use operator Equal', atKey: true });
        if ((t.operator ?? 'Equal') === 'Equal' && !t.key)
          ctx.report(e, `/spec/placement/tolerations/${i}`, 'InvalidSelector', `${docName(e.doc)}: spec.placement.tolerations[${i}] has operator Equal but no key`, { hint: 'add key, or use operator Exists to tolerate every taint', atKey: true });
      });
      for (const [k, v] of Object.entries(e.doc.spec.runtime.env ?? {})) {
        for (const m of String(v).matchAll(ENV_REF)) {
          if (!/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(m[1]!))
            ctx.report(e, `/spec/runtime/env/${pointerSegment(k)}`, 'InvalidValue', `${docName(e.doc)}: spec.runtime.env.${k} contains '${m[0]}', which is not an environment reference`, { hint: /^[A-Za-z_][A-Za-z0-9_]*$/.test(m[1]!) ? `write \${env:${m[1]}}` : 'write ${env:NAME} with a variable name', severity: 'warning' });
        }
      }
    }
    const agents = entriesOf(ctx, 'Agent');
    for (const e of entriesOf(ctx, 'AffinityRule')) {
      // A rule the json-logic check refuses (unknown operators, `log`, `method`) is reported there and never evaluated.
      if (e.doc.spec.appliesTo.match !== undefined && checkJsonLogic(e.doc.spec.appliesTo.match).length) continue;
      let hit: boolean;
      try {
        hit = agents.some((a) => selectorMatches(e.doc.spec.appliesTo, a.doc.metadata.labels, { name: a.doc.metadata.name, agent: a.doc.metadata.name, type: a.doc.spec.type, owner: a.doc.spec.owner, class: a.doc.spec.class, priority: a.doc.spec.priority, labels: a.doc.metadata.labels }));
      } catch (err) {
        if (!(err instanceof LogicBudgetError)) throw err;
        reportBudget(ctx, e, '/spec/appliesTo/match', err);
        continue;
      }
      if (!hit && agents.length) ctx.report(e, '/spec/appliesTo', 'SelectsNothing', `${docName(e.doc)}: spec.appliesTo selects no agent, so the rule has no effect`, { severity: 'warning', hint: 'check appliesTo against the agents\' labels' });
    }
  },
};
