/**
 * Behaviour rules (Kubernetes HPA `behavior`): cooldown since the last scaling of the target,
 * maxStep and maxPercent per direction. Stabilization and windows are applied in decide.ts. Pure.
 */
import type { ScalingBehaviorRule } from '../model/documents.js';
import type { ScalingEvent } from '../model/state.js';
import { duration, unix } from './series.js';

/** The latest scaling event of the target at or before t. */
export function lastScaling(history: readonly ScalingEvent[], target: { kind: string; name: string }, t: number): ScalingEvent | undefined {
  let last: ScalingEvent | undefined;
  for (const e of history) {
    if (e.target.kind !== target.kind || e.target.name !== target.name) continue;
    const at = unix(e.at);
    if (!Number.isFinite(at) || at > t) continue;
    if (!last || at >= unix(last.at)) last = e;
  }
  return last;
}

/** Why the cooldown holds the count, or undefined when it has passed. */
export function cooldownHold(history: readonly ScalingEvent[], target: { kind: string; name: string }, t: number, rule: ScalingBehaviorRule, dir: 'up' | 'down'): string | undefined {
  if (rule.cooldown <= 0) return undefined;
  const e = lastScaling(history, target, t);
  if (!e) return undefined;
  const ago = t - unix(e.at);
  if (ago >= rule.cooldown) return undefined;
  return `scale${dir === 'up' ? 'Up' : 'Down'}.cooldown ${duration(rule.cooldown)}: last scaled ${e.from} → ${e.to} at ${e.at}, ${duration(ago)} ago`;
}

/** The count after maxStep and maxPercent in the direction of the change, and the limit that applied. */
export function stepLimit(current: number, desired: number, rule: ScalingBehaviorRule, dir: 'up' | 'down'): { to: number; limit?: string } {
  const change = Math.abs(desired - current);
  let allowed = Infinity;
  let limit: string | undefined;
  if (rule.maxStep !== undefined && rule.maxStep < allowed) [allowed, limit] = [rule.maxStep, `maxStep ${rule.maxStep}`];
  if (rule.maxPercent !== undefined) {
    // Up: ceil, so a pool of 1 can grow; down: floor, but at least one so a shrink can progress.
    const byPct = dir === 'up' ? Math.ceil((current * rule.maxPercent) / 100 - 1e-9) : Math.max(1, Math.floor((current * rule.maxPercent) / 100 + 1e-9));
    const pctAllowed = Math.max(1, byPct);
    if (pctAllowed < allowed) [allowed, limit] = [pctAllowed, `maxPercent ${rule.maxPercent} % of ${current} = ${pctAllowed}`];
  }
  if (change <= allowed) return { to: desired };
  const to = dir === 'up' ? current + allowed : current - allowed;
  return { to, limit: `limited by scale${dir === 'up' ? 'Up' : 'Down'}.${limit} → ${to}` };
}
