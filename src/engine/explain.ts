/**
 * `qm explain` as a function: where an instance runs now (observed through the drivers), which
 * applied plan put it there and why (the decision log, checked against the audit trail), and what a
 * later plan that was never applied would do with it.
 */
import { QmError } from '../model/errors.js';
import type { RecordedDecision } from './decisions.js';
import { InvalidPolicyError, loadValidPolicy } from './plan.js';
import { driversFor, observeFleet } from './observe.js';
import type { AppliedPlanInfo, EnginePort } from './ports.js';

/** Where the instance is now: on a node, not running, or unknown (the policy is invalid, a driver is down). */
export type CurrentLocation = { state: 'running'; node: string; agent: string } | { state: 'absent' } | { state: 'unknown'; why: string };

/** A decision from the log, with whether (and when) its plan was applied to this instance. */
export interface ExplainedDecision {
  planId: string;
  recordedAt: string;
  decision: RecordedDecision;
  /** When the plan's action for this instance succeeded (or, with no action, when the plan was applied). */
  appliedAt?: string;
  /** Not applied although an apply of the plan ran: what became of the action ('failed', 'skipped', 'cancelled'). */
  attempt?: string;
}

export interface Explanation {
  instance: string;
  agent: string | undefined;
  current: CurrentLocation;
  /** The newest applied decision: what put the instance where it is (or took it away). */
  applied?: ExplainedDecision;
  /** The newest decision after it whose plan was not applied (or not yet), and which would change something. */
  pending?: ExplainedDecision;
}

/** Pure: combine the log (newest first), the audit trail and the observed location. */
export function explainFrom(instance: string, history: readonly { planId: string; recordedAt: string; decision: RecordedDecision }[], audit: ReadonlyMap<string, AppliedPlanInfo>, current: CurrentLocation): Explanation {
  const resolved: ExplainedDecision[] = history.map((h) => {
    const a = audit.get(h.planId);
    const act = h.decision.action;
    const result = a && act ? (a.results.find((r) => r.id === act.id)?.status ?? 'not run') : a?.status;
    const done = a !== undefined && (act ? result === 'ok' : a.status !== 'failed');
    return { ...h, ...(done ? { appliedAt: a.appliedAt } : a !== undefined && result !== undefined ? { attempt: result } : {}) };
  });
  const appliedIndex = resolved.findIndex((r) => r.appliedAt !== undefined);
  const applied = appliedIndex >= 0 ? resolved[appliedIndex] : undefined;
  const newer = appliedIndex >= 0 ? resolved.slice(0, appliedIndex) : resolved;
  const pending = newer.find((r) => wouldChange(r.decision, current));
  const agent = current.state === 'running' ? current.agent : (applied ?? pending ?? resolved[0])?.decision.agent;
  return { instance, agent, current, ...(applied ? { applied } : {}), ...(pending ? { pending } : {}) };
}

/** Whether an unapplied decision would change where the instance is (a plan overtaken by events would not). */
function wouldChange(d: RecordedDecision, current: CurrentLocation): boolean {
  if (current.state === 'unknown') return true;
  const running = current.state === 'running';
  if (d.action) {
    if (d.action.type === 'evict' || d.action.type === 'remove') return running && current.node === d.action.node;
    if (d.action.type === 'place') return !running;
    return running ? current.node === d.action.fromNode : false;
  }
  return d.outcome === 'blocked' && !running;
}

export interface ExplainOptions {
  dir: string;
  store: EnginePort;
  instance: string;
  now: string;
}

/** Explain an instance; undefined when nothing is known about it (no decision, not running). */
export async function explainInstance(opts: ExplainOptions): Promise<Explanation | undefined> {
  const current = await locate(opts);
  const history = await opts.store.decisionHistory(opts.instance);
  if (history.length === 0 && current.state !== 'running') return undefined;
  const audit = new Map<string, AppliedPlanInfo>();
  for (const planId of new Set(history.map((h) => h.planId))) {
    const a = await opts.store.appliedPlan(planId);
    if (a) audit.set(planId, a);
  }
  return explainFrom(opts.instance, history.map((h) => ({ ...h, decision: h.decision as RecordedDecision })), audit, current);
}

/** Observe the fleet through the pools' drivers and find the instance; any failure makes it unknown, with the reason. */
async function locate(opts: ExplainOptions): Promise<CurrentLocation> {
  try {
    const { policy } = await loadValidPolicy(opts.dir);
    const drivers = driversFor(policy, opts.store, opts.dir);
    try {
      const observed = await observeFleet(policy, drivers, opts.now);
      const i = observed.instances.find((x) => x.name === opts.instance);
      return i ? { state: 'running', node: i.node, agent: i.agent } : { state: 'absent' };
    } finally {
      await drivers.close();
    }
  } catch (e) {
    if (e instanceof InvalidPolicyError) return { state: 'unknown', why: `the policy in ${opts.dir} has errors (qm validate shows them)` };
    if (e instanceof QmError) return { state: 'unknown', why: e.message };
    throw e;
  }
}
