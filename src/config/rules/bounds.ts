/** Lower bounds below upper bounds; static pools within their size bounds. */
import type { Rule } from './context.js';
import { docName, entriesOf } from './context.js';

export const bounds: Rule = {
  name: 'bounds',
  description: 'min ≤ initial ≤ max for pools, min ≤ max for scaling policies and their schedules, static node counts within size bounds',
  check(ctx) {
    for (const e of entriesOf(ctx, 'Pool')) {
      const raw = (e.raw as { spec?: { size?: Record<string, unknown> } }).spec?.size ?? {};
      const { min, max, initial } = e.doc.spec.size;
      const n = e.doc.spec.nodes;
      if (min > max) ctx.report(e, '/spec/size/min', 'MinGreaterThanMax', `${docName(e.doc)}: spec.size.min ${min} is above spec.size.max ${max}`, { hint: `lower min or raise max to at least ${min}` });
      else if (raw.initial !== undefined && (initial < min || initial > max))
        ctx.report(e, '/spec/size/initial', 'MinGreaterThanMax', `${docName(e.doc)}: spec.size.initial ${initial} is outside the size bounds [${min}, ${max}]`, { hint: `set initial between ${min} and ${max}` });
      if (n && (raw.min !== undefined || raw.max !== undefined) && (n.length < min || n.length > max))
        ctx.report(e, '/spec/nodes', 'StaticNodesOutOfBounds', `${docName(e.doc)}: spec.nodes lists ${n.length} static node${n.length === 1 ? '' : 's'}, outside the size bounds [${min}, ${max}] of spec.size`, { hint: 'a static pool does not scale: drop size, or make it match the nodes listed', atKey: true });
      if (n) {
        const zones = new Set(e.doc.spec.zones);
        const explicitZones = (e.raw as { spec?: { zones?: unknown } }).spec?.zones !== undefined;
        n.forEach((node, i) => {
          if (explicitZones && node.zone !== undefined && !zones.has(node.zone))
            ctx.report(e, `/spec/nodes/${i}/zone`, 'InvalidValue', `${docName(e.doc)}: spec.nodes[${i}].zone '${node.zone}' of node '${node.name}' is not in spec.zones (${[...zones].join(', ')})`, { severity: 'warning', hint: `add '${node.zone}' to spec.zones, or correct the node's zone` });
        });
      }
    }
    const pools = new Map(entriesOf(ctx, 'Pool').map((e) => [e.doc.metadata.name, e.doc]));
    for (const e of entriesOf(ctx, 'ScalingPolicy')) {
      const s = e.doc.spec;
      if (s.min > s.max) ctx.report(e, '/spec/min', 'MinGreaterThanMax', `${docName(e.doc)}: spec.min ${s.min} is above spec.max ${s.max}`, { hint: `lower min or raise max to at least ${s.min}` });
      s.schedules.forEach((w, i) => {
        if (w.min !== undefined && w.max !== undefined && w.min > w.max)
          ctx.report(e, `/spec/schedules/${i}/min`, 'MinGreaterThanMax', `${docName(e.doc)}: spec.schedules[${i}].min ${w.min} is above the schedule's own max ${w.max}`, { hint: 'lower min or raise max' });
        else if (w.min !== undefined && w.min > s.max)
          ctx.report(e, `/spec/schedules/${i}/min`, 'MinGreaterThanMax', `${docName(e.doc)}: spec.schedules[${i}].min ${w.min} is above the policy's spec.max ${s.max}, so it will be clamped to ${s.max}`, { severity: 'warning', hint: `raise spec.max to ${w.min} or lower the schedule's min` });
      });
      if (s.target.kind === 'Pool') {
        const pool = pools.get(s.target.name);
        if (pool?.spec.nodes) ctx.report(e, '/spec/target/name', 'InvalidTarget', `${docName(e.doc)} scales Pool '${pool.metadata.name}', which is a static pool and cannot change its node count`, { hint: 'remove the policy or turn the pool into a scaled one (drop spec.nodes)' });
        else if (pool && (s.max > pool.spec.size.max || s.min < pool.spec.size.min))
          ctx.report(e, s.max > pool.spec.size.max ? '/spec/max' : '/spec/min', 'MinGreaterThanMax', `${docName(e.doc)} bounds [${s.min}, ${s.max}] reach outside Pool '${pool.metadata.name}' size bounds [${pool.spec.size.min}, ${pool.spec.size.max}]; the pool's bounds win`, { severity: 'warning', hint: 'keep the policy bounds inside the pool size bounds' });
      }
    }
  },
};
