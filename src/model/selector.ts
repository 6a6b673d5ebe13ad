/** Selectors (SPEC §1): matchLabels AND a JSON Logic rule over a view. Pure. */
import jsonLogic from 'json-logic-js';
import type { Selector } from './documents.js';

/** True when every matchLabels pair equals the label and the rule (if any) is truthy on the view. */
export function selectorMatches(selector: Selector, labels: Record<string, string>, view: unknown): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  if (selector.match === undefined) return true;
  try {
    return jsonLogic.truthy(jsonLogic.apply(selector.match as jsonLogic.RulesLogic, view as object));
  } catch {
    return false;
  }
}
