/** The decision log's entries: what the scheduler decided for an instance, and what the plan does to it. */
import type { Plan, PlanAction } from '../model/plan.js';
import type { Decision } from '../scheduler/index.js';

/** What a plan's action does to one instance. */
export interface DecisionAction {
  id: string;
  type: 'place' | 'move' | 'evict' | 'remove';
  /** Where it ends up (place, move) or where it leaves (evict, remove). */
  node: string;
  /** For a move: where it was. */
  fromNode?: string;
  reason: string;
}

/**
 * One instance's entry in the decision log: the scheduler's decision, and the plan's action for the
 * instance when it has one (entries recorded by an older qm have none). A removed instance has no
 * scheduler decision: its outcome is 'removed'.
 */
export interface RecordedDecision extends Omit<Decision, 'outcome'> {
  outcome: Decision['outcome'] | 'removed';
  action?: DecisionAction;
}

/** The entries to record for a plan: every fresh decision, and every instance the plan acts on. */
export function decisionRecords(plan: Pick<Plan, 'actions'>, decisions: readonly Decision[]): RecordedDecision[] {
  const acted = new Map<string, { agent: string; action: DecisionAction }>();
  // In apply order, so the last action on an instance is where the plan leaves it.
  for (const a of plan.actions) {
    const action = actionFor(a);
    if (action) acted.set(action.instance, { agent: action.agent, action: action.action });
  }
  const out: RecordedDecision[] = [];
  const seen = new Set<string>();
  for (const d of decisions) {
    const act = acted.get(d.instance);
    // A 'kept' instance the plan does not touch was decided by an earlier plan: that decision stays the one to show.
    if (d.outcome === 'kept' && !act) continue;
    out.push({ ...d, ...(act ? { action: act.action, ...(act.action.type === 'move' || act.action.type === 'place' ? { node: act.action.node } : {}) } : {}) });
    seen.add(d.instance);
  }
  for (const [instance, { agent, action }] of acted) {
    if (seen.has(instance)) continue;
    out.push({ instance, agent, outcome: action.type === 'remove' || action.type === 'evict' ? 'removed' : 'placed', node: action.node, action });
  }
  return out;
}

function actionFor(a: PlanAction): { instance: string; agent: string; action: DecisionAction } | undefined {
  switch (a.type) {
    case 'place': return { instance: a.instance, agent: a.agent, action: { id: a.id, type: 'place', node: a.node, reason: a.reason } };
    case 'move': return { instance: a.instance, agent: a.agent, action: { id: a.id, type: 'move', node: a.toNode, fromNode: a.fromNode, reason: a.reason } };
    case 'evict':
    case 'remove': return { instance: a.instance, agent: a.agent, action: { id: a.id, type: a.type, node: a.node, reason: a.reason } };
    default: return undefined;
  }
}
