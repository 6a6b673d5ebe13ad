/** Selectors (SPEC §1): matchLabels AND a JSON Logic rule over a view. Pure. */
import jsonLogic from 'json-logic-js';
import type { Selector } from './documents.js';
import { evaluateLogic, LogicBudgetError } from './logic-eval.js';

/** True when every matchLabels pair equals the label and the rule (if any) is truthy on the view; a rule over budget throws LogicBudgetError. */
export function selectorMatches(selector: Selector, labels: Record<string, string>, view: unknown): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  if (selector.match === undefined) return true;
  try {
    return jsonLogic.truthy(evaluateLogic(selector.match, view));
  } catch (e) {
    if (e instanceof LogicBudgetError) throw e;
    return false;
  }
}
