/**
 * JSON Logic evaluation with a budget. json-logic-js has none: a Policy rule nesting `some` over
 * lists of thousands, or a `reduce` that keeps growing a `merge`, runs for minutes and takes the
 * memory with it. Every evaluation here may spend at most LOGIC_LIMITS.steps operations (one per
 * rule node evaluated, plus the size of each intermediate list or string it produces, since the
 * operator above it walks that value), and no intermediate list or string may exceed
 * LOGIC_LIMITS.items elements / LOGIC_LIMITS.chars characters. A rule that goes over is refused with
 * LogicBudgetError naming where it is written (document, field) and the limit; once refused, the same
 * rule object fails at once, so a bad rule costs one budget per run, not one per node and instance.
 * Pure and deterministic (counts, never the clock).
 */
import jsonLogic from 'json-logic-js';
import { QmError } from './errors.js';

export const LOGIC_LIMITS = {
  /** Operations per evaluation; the selectors and Policy rules of the examples need well under 1,000. */
  steps: 50_000,
  /** Elements of any intermediate list (data lists included, as a `var` returns them). */
  items: 10_000,
  /** Characters of any intermediate string. */
  chars: 100_000,
} as const;

export type LogicLimit = 'steps' | 'items' | 'chars';

/** Where a rule is written, for messages: `AffinityRule 'gpu'`, `spec.nodeAffinity.required.match`, `policies/a.yaml:12:7`. */
export interface RuleSite {
  document: string;
  field: string;
  /** file:line:column, computed only when a message needs it (positions cost a second parse). */
  at?: () => string;
}

const LIMIT_TEXT: Record<LogicLimit, (n: number) => string> = {
  steps: (n) => `the budget of ${n.toLocaleString('en-US')} operations per evaluation`,
  items: (n) => `the limit of ${n.toLocaleString('en-US')} elements for a list it builds or reads`,
  chars: (n) => `the limit of ${n.toLocaleString('en-US')} characters for a string it builds or reads`,
};

export class LogicBudgetError extends QmError {
  constructor(
    readonly limit: LogicLimit,
    readonly max: number,
    readonly site: RuleSite | undefined,
  ) {
    super('invalid', LogicBudgetError.sentence(limit, max, site, true), 'simplify the rule: avoid nesting some/all/none/map/filter/reduce over long lists, and building lists or strings in reduce');
    this.name = 'LogicBudgetError';
  }
  static sentence(limit: LogicLimit, max: number, site: RuleSite | undefined, withPlace: boolean): string {
    const where = site ? `${site.document} ${site.field}${withPlace && site.at ? ` (${site.at()})` : ''}` : 'a JSON Logic rule';
    return `${where} exceeds ${LIMIT_TEXT[limit](max)}, so it is not evaluated`;
  }
  /** The sentence without file:line:column, for a diagnostic that carries the position itself. */
  get withoutPlace(): string {
    return LogicBudgetError.sentence(this.limit, this.max, this.site, false);
  }
  /** Set once validation has reported it as a diagnostic, so later evaluations of the rule do not repeat it. */
  reported = false;
}

/** Where each rule object is written; registered by validation, read when a rule goes over budget. */
const sites = new WeakMap<object, RuleSite>();
/** Rules that went over budget once: they fail at once afterwards. */
const refused = new WeakMap<object, LogicBudgetError>();

export function registerRuleSite(rule: unknown, site: RuleSite): void {
  if (rule !== null && typeof rule === 'object' && !sites.has(rule)) sites.set(rule, site);
}

const original = jsonLogic.apply.bind(jsonLogic);

interface Budget {
  left: number;
  limits: { steps: number; items: number; chars: number };
}

class OverBudget extends Error {
  constructor(
    readonly limit: LogicLimit,
    readonly max: number,
  ) {
    super(limit);
  }
}

/**
 * Evaluate `rule` on `data` within the budget. Throws LogicBudgetError when it goes over; any
 * other error of json-logic-js propagates as it is.
 */
export function evaluateLogic(rule: unknown, data: unknown, limits: Budget['limits'] = LOGIC_LIMITS): unknown {
  const key = rule !== null && typeof rule === 'object' ? rule : undefined;
  const known = key && refused.get(key);
  if (known) throw known;
  const budget: Budget = { left: limits.steps, limits };
  // json-logic-js recurses through the `jsonLogic.apply` property: swap in a counting version for
  // the length of this (synchronous) evaluation.
  const guarded = (logic: unknown, d: unknown): unknown => {
    if (--budget.left < 0) throw new OverBudget('steps', limits.steps);
    const r = original(logic as jsonLogic.RulesLogic, d);
    if (Array.isArray(r)) {
      if (r.length > limits.items) throw new OverBudget('items', limits.items);
      budget.left -= r.length;
    } else if (typeof r === 'string') {
      if (r.length > limits.chars) throw new OverBudget('chars', limits.chars);
      budget.left -= r.length >> 6;
    }
    return r;
  };
  const previous = jsonLogic.apply;
  jsonLogic.apply = guarded as typeof jsonLogic.apply;
  try {
    return guarded(rule, data);
  } catch (e) {
    if (!(e instanceof OverBudget)) throw e;
    const err = new LogicBudgetError(e.limit, e.max, key && sites.get(key));
    if (key) refused.set(key, err);
    throw err;
  } finally {
    jsonLogic.apply = previous;
  }
}
