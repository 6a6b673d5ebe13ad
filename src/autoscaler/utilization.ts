/**
 * Pool utilisation recommender (Cluster Autoscaler / Karpenter): scale up by the nodes that
 * pending instances need (simulated by the planner on new nodes of the pool's shape), or by the
 * target utilisation ratio; scale down by the nodes that are under the threshold, unneeded long
 * enough, and whose instances fit elsewhere. Pure over the facts the planner gathered.
 */
import type { ScalingPolicySpec } from '../model/documents.js';
import { countText, deltaText } from './metric.js';
import { duration, fmt, fmtWhere } from './series.js';
import type { PoolFacts, Recommendation } from './types.js';
import { NODE_PROVISION_SECONDS } from './types.js';

/** The utilisation recommendation for a pool: always present when there are facts (nodes with work can only go if it fits elsewhere). */
export function utilizationRecommendation(spec: ScalingPolicySpec, f: PoolFacts): Recommendation {
  const current = f.current;
  const ups: Recommendation[] = [];
  if (f.pending && f.pending.nodes > 0) {
    const n = f.pending.placeable;
    const names = f.pending.instances.slice(0, 3).join(', ') + (f.pending.instances.length > 3 ? `, … (${f.pending.instances.length})` : '');
    const to = current + f.pending.nodes;
    ups.push({ source: 'utilisation', replicas: to, text: `${n} pending instance${n === 1 ? '' : 's'} (${names}) fit on ${f.pending.nodes} new node${f.pending.nodes === 1 ? '' : 's'} of the pool's shape → ${countText(to, 'node')} ${deltaText(current, to)}` });
  }
  const target = spec.targetUtilizationPercent;
  // Utilisation is measured over the ready nodes; nodes still coming up count as capacity (as
  // Cluster Autoscaler counts upcoming nodes), nodes not ready for longer do not (they are replaced).
  const ready = Math.min(f.ready ?? current, current);
  const upcoming = Math.min(f.upcoming ?? current - ready, current - ready);
  if (target !== undefined && f.utilization && ready > 0) {
    const ratio = f.utilization.percent / target;
    const desired = Math.ceil(ready * ratio - 1e-9);
    const to = current + Math.max(0, desired - ready - upcoming);
    if (ratio > 1 + spec.tolerancePercent / 100 && to > current) {
      const shown = fmtWhere(f.utilization.percent, (r) => Math.ceil((ready * r) / target - 1e-9) === desired);
      const broken = current - ready - upcoming;
      const of = ready < current ? ` on ${ready} ready node${ready === 1 ? '' : 's'} of ${current}` : '';
      const lost = broken > 0 ? ` (${broken} not ready for over ${duration(NODE_PROVISION_SECONDS)} count${broken === 1 ? 's' : ''} for nothing)` : '';
      ups.push({ source: 'utilisation', replicas: to, text: `utilisation ${f.utilization.resource} ${shown} % > target ${fmt(target)} %${of}${lost} → ${countText(to, 'node')} ${deltaText(current, to)}` });
    }
  }
  if (ups.length) return ups.reduce((a, b) => (b.replicas > a.replicas ? b : a));
  if (f.removable && f.removable.length) {
    const to = current - f.removable.length;
    const what = f.removable.map((r) => `${r.node} (${fmt(r.utilizationPercent)} %, ${r.instances} instance${r.instances === 1 ? '' : 's'}, unneeded ${Number.isFinite(r.unneededFor) ? duration(r.unneededFor) : 'since before any recorded change'})`).join(', ');
    return { source: 'utilisation', replicas: to, text: `${what} under ${fmt(spec.scaleDownUtilizationPercent)} % utilisation for at least ${duration(spec.scaleDownUnneededTime)}, ${f.removable.length === 1 ? 'its instances fit' : 'their instances fit'} on the other nodes → ${countText(to, 'node')} ${deltaText(current, to)}` };
  }
  const u = f.utilization ? `utilisation ${f.utilization.resource} ${fmt(f.utilization.percent)} %${target !== undefined ? ` (target ${fmt(target)} %)` : ''}` : 'no utilisation';
  return { source: 'utilisation', replicas: current, text: `${u}, no node can go${f.kept?.length ? ` (${f.kept.join('; ')})` : ''} → keep ${countText(current, 'node')}` };
}
