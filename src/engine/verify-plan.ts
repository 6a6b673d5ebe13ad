/**
 * Apply proves that a plan file's actions are the planner's: the planner is deterministic, so it is
 * run again at apply time on the plan's recorded inputs (the policy of its digest, its clock, the
 * metric history up to that clock) and the fleet as observed now, whose scoped fingerprint apply
 * has already checked. Every action of the plan must be one the re-plan makes too, with the same
 * dependencies; the first that is not is named and the plan refused. The planId alone proves
 * nothing: it is an unkeyed digest anyone can recompute after editing a plan.
 */
import type { PolicySet } from '../model/documents.js';
import { digest } from '../model/digest.js';
import { QmError } from '../model/errors.js';
import type { Plan, PlanAction } from '../model/plan.js';
import type { ObservedState } from '../model/state.js';
import { describeAction } from '../drivers/contract.js';
import { collectMetrics } from '../metrics/index.js';
import { makePlan } from '../planner/plan.js';

/**
 * Content keys of actions: the action without its id, with its dependencies as their keys (a Merkle
 * digest), so two plans whose ids are numbered differently still match action for action.
 */
function actionKeys(actions: readonly PlanAction[]): string[] {
  const byId = new Map<string, string>();
  return actions.map((a) => {
    const { id, dependsOn, ...rest } = a;
    const deps = (dependsOn ?? []).map((d) => byId.get(d) ?? `missing:${d}`).sort();
    const key = digest({ ...rest, dependsOn: deps });
    // A repeated id keeps its first key: the repeat matches nothing the planner makes.
    if (!byId.has(id)) byId.set(id, key);
    return key;
  });
}

async function replanKeys(plan: Plan, policy: PolicySet, observed: ObservedState, dir: string, commit: string | null): Promise<string[]> {
  const metrics = policy.scalingPolicies.length ? (await collectMetrics(policy, dir, plan.inputs.now, { commit })).data : {};
  const again = makePlan({ policy, observed, now: plan.inputs.now, policyDigest: plan.inputs.policyDigest, gitCommit: plan.inputs.gitCommit, source: plan.inputs.source ?? '', stateId: plan.inputs.stateId ?? null, metrics, utilization: plan.inputs.utilization, anomalies: false });
  return actionKeys(again.plan.actions);
}

/** The first action of `plan` the planner does not make from `made`, or undefined when every one is made. */
function firstUnmade(plan: Plan, made: readonly string[]): PlanAction | undefined {
  const left = new Map<string, number>();
  for (const k of made) left.set(k, (left.get(k) ?? 0) + 1);
  const seen = new Set<string>();
  const keys = actionKeys(plan.actions);
  for (const [i, a] of plan.actions.entries()) {
    const k = keys[i]!;
    const n = left.get(k) ?? 0;
    if (n === 0 || seen.has(a.id)) return a;
    seen.add(a.id);
    left.set(k, n - 1);
  }
  return undefined;
}

/**
 * Refuse a plan with an action the planner would not make from the plan's inputs and the fleet as
 * observed now. Metric files are read as the work tree has them, then (if that does not match) as
 * the plan's commit has them, the two ways `qm plan` and `qm pr plan` read them.
 */
export async function verifyPlanActions(plan: Plan, policy: PolicySet, observed: ObservedState, dir: string): Promise<void> {
  let unmade = firstUnmade(plan, await replanKeys(plan, policy, observed, dir, null));
  if (unmade && plan.inputs.gitCommit && policy.scalingPolicies.length) unmade = firstUnmade(plan, await replanKeys(plan, policy, observed, dir, plan.inputs.gitCommit));
  if (unmade) {
    throw new QmError(
      'invalid',
      `action ${unmade.id} (${describeAction(unmade)}) is not one the planner makes from this plan's inputs; the plan is refused`,
      'run qm plan again: if the fleet outside the plan or its metric history changed since, the new plan accounts for it; if nothing changed, this plan file was altered',
    );
  }
}
