/**
 * Static checks of JSON Logic rules (json-logic-js semantics): unknown operators and arity.
 * Pure; used by the semantic rules on selectors and Policy documents.
 */
import { didYouMean, pointerSegment } from '../model/diagnostic.js';

/**
 * Operators json-logic-js provides, with [min, max] argument counts. Left out on purpose: `method`
 * (it calls arbitrary methods) and `log` (it writes to the console, corrupting JSON output).
 */
export const JSON_LOGIC_OPERATORS: Record<string, [number, number]> = {
  var: [0, 2], missing: [0, Infinity], missing_some: [2, 2],
  if: [1, Infinity], '?:': [3, 3],
  '==': [2, 2], '===': [2, 2], '!=': [2, 2], '!==': [2, 2],
  '!': [1, 1], '!!': [1, 1], or: [1, Infinity], and: [1, Infinity],
  '>': [2, 2], '>=': [2, 2], '<': [2, 3], '<=': [2, 3],
  max: [1, Infinity], min: [1, Infinity],
  '+': [1, Infinity], '*': [1, Infinity], '-': [1, 2], '/': [2, 2], '%': [2, 2],
  in: [2, 2], cat: [0, Infinity], substr: [2, 3], merge: [0, Infinity],
  map: [2, 2], filter: [2, 2], reduce: [2, 3], all: [2, 2], none: [2, 2], some: [2, 2],
};

/** Operators json-logic-js has that rules may not use: why, and what to do instead. */
const REFUSED_OPERATORS: Record<string, [string, string]> = {
  method: ['it calls arbitrary JavaScript methods', 'compare fields with ==, in, <, … instead'],
  log: ['it writes to the console and would corrupt machine-readable output', 'remove the log operator and keep its argument'],
};

export interface LogicProblem {
  /** Pointer suffix relative to the rule. */
  pointer: string;
  /** The problem is the key at `pointer` (an operator name), not its value. */
  atKey: boolean;
  message: string;
  hint?: string;
}

/** Check a rule; returns every problem found, with pointers relative to the rule's position. */
export function checkJsonLogic(rule: unknown, at = ''): LogicProblem[] {
  const out: LogicProblem[] = [];
  walk(rule, at, out);
  return out;
}

function walk(node: unknown, at: string, out: LogicProblem[]): void {
  if (Array.isArray(node)) {
    node.forEach((x, i) => walk(x, `${at}/${i}`, out));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const keys = Object.keys(node);
  if (keys.length !== 1) {
    out.push({ pointer: at, atKey: false, message: `a JSON Logic rule must be a map with exactly one operator, and this one has ${keys.length === 0 ? 'none' : `${keys.length} (${keys.join(', ')})`}`, hint: keys.length > 1 ? `combine them with {"and": [{${JSON.stringify(keys[0])}: …}, {${JSON.stringify(keys[1])}: …}]}` : 'write e.g. {"==": [{"var": "zone"}, "eu-1a"]}' });
    return;
  }
  const op = keys[0]!;
  const argsRaw = (node as Record<string, unknown>)[op];
  const opAt = `${at}/${pointerSegment(op)}`;
  // Own properties only: `constructor` or `toString` are not operators.
  const arity = Object.hasOwn(JSON_LOGIC_OPERATORS, op) ? JSON_LOGIC_OPERATORS[op] : undefined;
  if (!arity) {
    const refused = Object.hasOwn(REFUSED_OPERATORS, op) ? REFUSED_OPERATORS[op] : undefined;
    const guess = refused ? undefined : didYouMean(op, Object.keys(JSON_LOGIC_OPERATORS));
    out.push({
      pointer: opAt,
      atKey: true,
      message: refused ? `the JSON Logic operator '${op}' is not allowed: ${refused[0]}` : `'${op}' is not a JSON Logic operator`,
      hint: refused ? refused[1] : guess ? `did you mean '${guess}'?` : 'operators: ' + Object.keys(JSON_LOGIC_OPERATORS).join(' '),
    });
    return;
  }
  const args = Array.isArray(argsRaw) ? argsRaw : [argsRaw];
  const [min, max] = arity;
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    out.push({ pointer: opAt, atKey: true, message: `'${op}' takes ${want} argument${min === 1 && max === 1 ? '' : 's'}, not ${args.length}`, hint: `write {"${op}": [${Array.from({ length: Math.max(min, 1) }, (_, i) => `arg${i + 1}`).join(', ')}]}` });
  }
  if (op === 'var') {
    const p = args[0];
    if (p !== undefined && typeof p !== 'string' && typeof p !== 'number' && !(p && typeof p === 'object'))
      out.push({ pointer: opAt, atKey: true, message: `'var' takes a path string such as "labels.app", not ${JSON.stringify(p)}` });
  }
  if (op === 'missing_some' && args.length === 2 && (typeof args[0] !== 'number' || !Array.isArray(args[1])))
    out.push({ pointer: opAt, atKey: true, message: `'missing_some' takes [count, ["field", …]]` });
  if (Array.isArray(argsRaw)) argsRaw.forEach((x, i) => walk(x, `${opAt}/${i}`, out));
  else walk(argsRaw, opAt, out);
}

/** The `var` paths a rule reads, in order, for pointing at the field a Policy rule is about. */
export function varPaths(rule: unknown): string[] {
  const out: string[] = [];
  const visit = (n: unknown) => {
    if (Array.isArray(n)) n.forEach(visit);
    else if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) {
        if (k === 'var') {
          const p = Array.isArray(v) ? v[0] : v;
          if (typeof p === 'string' && p) out.push(p);
        } else visit(v);
      }
    }
  };
  visit(rule);
  return out;
}
