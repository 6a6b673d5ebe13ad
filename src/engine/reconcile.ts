/** One reconcile run: under the apply lock, plan; report drift; in fix mode apply it. */
import type { Plan } from '../model/plan.js';
import { QmError } from '../model/errors.js';
import { defaultActor, runApply, takeApplyLock } from './apply.js';
import type { ApplyOutcome } from './apply.js';
import { runPlan } from './plan.js';
import type { ValidPolicy } from './plan.js';
import type { ReusablePlan } from './plan-reuse.js';
import type { PolicyCache } from './policy.js';
import type { EnginePort } from './ports.js';
import type { ObservedState } from '../model/state.js';
import { timed } from './telemetry.js';

export type ReconcileMode = 'report' | 'fix';

export interface ReconcileRun {
  plan: Plan;
  drift: string[];
  outcome?: ApplyOutcome;
  /** What the drivers reported before planning (qm serve exports it as metrics). */
  observed: ObservedState;
  /** With `reuse`: the key of the plan's inputs (runPlan's inputKey), and whether the previous plan was reused. */
  inputKey?: string | undefined;
  reused?: boolean;
}

/** Drift in words, one line per kind: instances missing, on the wrong node, undeclared, node counts off. */
export function describeDrift(plan: Plan): string[] {
  const out: string[] = [];
  const removed = new Set<string>();
  for (const a of plan.actions) {
    switch (a.type) {
      case 'place':
        // Removed just before: recreated from the agent's current template (said with the remove).
        if (!removed.has(a.instance)) out.push(`instance ${a.instance} is missing (would place on ${a.node})`);
        break;
      case 'move': out.push(`instance ${a.instance} is on ${a.fromNode} (would move to ${a.toNode}: ${a.reason})`); break;
      case 'remove':
        removed.add(a.instance);
        if (a.reason.startsWith('duplicate of')) out.push(`instance ${a.instance} on ${a.node} is a duplicate (${a.reason})`);
        else if (/template \(runtime or resources\) changed/.test(a.reason)) out.push(`instance ${a.instance} on ${a.node} runs an older template of its agent (would be recreated: ${a.reason})`);
        else out.push(`instance ${a.instance} on ${a.node} is not declared (${a.reason})`);
        break;
      case 'evict': out.push(`instance ${a.instance} on ${a.node} would be evicted (${a.reason})`); break;
      case 'scalePool': out.push(`pool ${a.pool} has ${a.from} nodes, wants ${a.to} (${a.reason})`); break;
      case 'scaleAgent': out.push(`agent ${a.agent} has ${a.from} replicas, wants ${a.to} (${a.reason})`); break;
    }
  }
  return out;
}

/**
 * `loaded`: the policy of `dir`, already loaded (else it is read under the lock, validated again
 * only when its files changed if `policyCache` is given). `reuse`: offer runPlan a plan made
 * earlier (see plan-reuse.ts); the caller decides which plan may be offered.
 */
export async function reconcileOnce(opts: { dir: string; store: EnginePort; mode: ReconcileMode; now: () => string; signal?: AbortSignal; actor?: string; loaded?: ValidPolicy | undefined; usage?: boolean; reuse?: { previous?: ReusablePlan | undefined } | undefined; policyCache?: PolicyCache | undefined }): Promise<ReconcileRun> {
  const actor = opts.actor ?? defaultActor();
  const held = await takeApplyLock(opts.store, `${actor} (reconcile)`);
  try {
    const { plan, observed, inputKey, reused } = await timed('plan', () => runPlan({ dir: opts.dir, now: opts.now(), store: opts.store, loaded: opts.loaded, usage: opts.usage, reuse: opts.reuse, policyCache: opts.policyCache }));
    const drift = describeDrift(plan);
    await opts.store.setMeta('reconcile/last', JSON.stringify({ at: opts.now(), planId: plan.planId, drift: drift.length, mode: opts.mode }));
    const reuse = opts.reuse ? { inputKey, reused: reused ?? false } : {};
    if (opts.mode === 'report' || !plan.changes) return { plan, drift, observed, ...reuse };
    const outcome = await timed('apply', () => runApply({ plan, dir: opts.dir, store: opts.store, now: opts.now, held, trusted: true, actor: `${actor} (reconcile)`, ...(opts.signal ? { signal: opts.signal } : {}) }));
    return { plan, drift, outcome, observed, ...reuse };
  } finally {
    await held.release();
  }
}

export function isTransient(e: unknown): boolean {
  return e instanceof QmError && (e.code === 'driver' || e.code === 'locked' || e.code === 'stale' || e.code === 'state');
}
