/**
 * schedule(): the pipeline once, and on small problems best-fit-decreasing with a few other
 * decreasing orders, keeping the best outcome. Pure and deterministic.
 */
import { BFD_ORDER_VARIANTS } from './algorithms/best-fit-decreasing.js';
import { scheduleOnce } from './scheduler.js';
import type { ScheduleInput, ScheduleResult } from './types.js';

/** Up to this many pending instances, best-fit-decreasing also tries other decreasing orders. */
export const MULTI_ORDER_LIMIT = 300;

/** Places every desired instance of the policy on the observed nodes. */
export function schedule(input: ScheduleInput): ScheduleResult {
  const base = scheduleOnce(input);
  const pending = base.placements.length + base.blocked.length;
  if (base.algorithm !== 'best-fit-decreasing' || pending === 0 || pending > MULTI_ORDER_LIMIT) return base;
  // Small problems: keep the order that places the most, disrupts the least, then uses the fewest nodes.
  let best = base;
  let bestKey = outcomeKey(base, input);
  for (const variant of BFD_ORDER_VARIANTS) {
    const r = scheduleOnce(input, variant);
    const k = outcomeKey(r, input);
    if (lexLess(k, bestKey)) {
      best = r;
      bestKey = k;
    }
  }
  return best;
}

/** [blocked, evictions, moves, nodes in use] of a result: smaller is better, in that order. */
function outcomeKey(r: ScheduleResult, input: ScheduleInput): number[] {
  const gone = new Set([...r.evictions.map((e) => e.instance), ...r.removals.map((x) => x.instance), ...r.moves.map((m) => m.instance), ...r.placements.map((p) => p.instance)]);
  const used = new Set<string>();
  for (const i of input.instances) if (!gone.has(i.name)) used.add(i.node);
  for (const p of r.placements) used.add(p.node);
  for (const m of r.moves) used.add(m.toNode);
  return [r.blocked.length, r.evictions.length, r.moves.length, used.size];
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}
