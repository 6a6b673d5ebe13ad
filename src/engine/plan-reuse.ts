/**
 * When a reconcile run may reuse the previous plan instead of planning again (`qm serve`, issue
 * #15). Planning is a pure function of the policy files, the Git commit, the observed fleet, the
 * metric history and the clock; the metric history and the clock only matter through
 * ScalingPolicies (schedules, forecasts, stabilization windows, cooldowns), and the `optimal`
 * algorithm stops on a wall-clock time budget. Without those, the same key means the same plan
 * (except its `createdAt`), so planning again cannot change what the run reports or applies.
 */
import { createHash } from 'node:crypto';
import type { PolicySet } from '../model/documents.js';
import type { Plan } from '../model/plan.js';
import type { ObservedInstance, ObservedState } from '../model/state.js';
import { unmeasured } from '../model/usage.js';

/** A plan made earlier, and the key of its inputs (planInputKey). */
export interface ReusablePlan {
  key: string;
  plan: Plan;
}

/** Why plans of this policy depend on more than its files and the observed fleet, or undefined when they do not. */
export function reuseBlocker(policy: PolicySet): string | undefined {
  if (policy.scalingPolicies.length > 0) return 'ScalingPolicies depend on the clock and on metric history';
  if (policy.profile.spec.algorithm === 'optimal') return 'the optimal algorithm stops on a wall-clock time budget';
  return undefined;
}

/**
 * A digest of everything a plan is made from besides the clock: the policy digest, the Git commit,
 * the drivers, the state store and the observation, warnings included. Measured use on instances
 * (`usage`, recorded by qm serve for the `utilization` metric source) is left out: it changes every
 * minute and the planner reads it only through metric sources, which only ScalingPolicies use
 * (test/engine/plan-reuse.test.ts fails if planning starts reading it directly).
 */
export function planInputKey(inputs: { policyDigest: string; gitCommit: string | null; source: string; stateId: string | null; observed: ObservedState; warnings: readonly { code: string; message: string }[] }): string {
  const h = createHash('sha256');
  // Plain JSON, not canonical: a driver lists fields in a fixed order, and a different order only costs a re-plan.
  h.update(JSON.stringify([inputs.policyDigest, inputs.gitCommit, inputs.source, inputs.stateId, inputs.warnings]));
  // One JSON text per node and instance, separated as in an array: a frozen one (the sim driver's
  // cluster, kept by the engine between runs) is serialised once per process, not once per run.
  for (const list of [inputs.observed.nodes, inputs.observed.instances.map((i) => (i.usage === undefined ? i : (unmeasured(i) ?? withoutUsage(i))))] as const) {
    h.update('[');
    for (let k = 0; k < list.length; k++) h.update(k === 0 ? jsonOf(list[k]!) : `,${jsonOf(list[k]!)}`);
    h.update(']');
  }
  h.update(JSON.stringify(inputs.observed.scalingHistory));
  return `sha256:${h.digest('hex')}`;
}

const frozenJson = new WeakMap<object, string>();

/** JSON.stringify, remembered for frozen objects (they cannot change). */
function jsonOf(o: object): string {
  if (!Object.isFrozen(o)) return JSON.stringify(o);
  let text = frozenJson.get(o);
  if (text === undefined) frozenJson.set(o, (text = JSON.stringify(o)));
  return text;
}

function withoutUsage(i: ObservedInstance): Omit<ObservedInstance, 'usage'> {
  const { usage: _usage, ...rest } = i;
  return rest;
}
