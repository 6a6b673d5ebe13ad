/**
 * Reading a plan file: version check with Terraform semantics (an unknown major is refused, a newer
 * minor is read, ignoring the fields it adds), schema check, and the consistency a hand edit breaks.
 */
import { fieldPath, validateValue } from '../../config/schema.js';
import { QmError } from '../../model/errors.js';
import type { ActionType, Plan } from './types.js';
import { ACTION_KEYS, ACTION_TYPES, OPTIONAL_ACTION_KEYS, SUPPORTED_MAJOR } from './types.js';

/** One thing wrong with a plan value: where (JSON pointer), what, and how to fix it. */
export interface PlanProblem {
  pointer: string;
  message: string;
  hint?: string;
  /** The plan's format version is one this qm cannot read at all. */
  version?: true;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isActionType = (t: unknown): t is ActionType => typeof t === 'string' && (ACTION_TYPES as readonly string[]).includes(t);

const REMAKE = 'make the plan again with this qm (qm plan --out FILE)';

/** The version problem of a plan, if any: a missing or malformed formatVersion, or a major other than 1. */
function versionProblem(plan: Json): PlanProblem | undefined {
  const v = plan.formatVersion;
  if (v === undefined) return { pointer: '/formatVersion', message: 'the plan has no formatVersion, so it is not a Quartermaster plan', hint: REMAKE, version: true };
  const m = typeof v === 'string' ? /^(\d+)\.(\d+)$/.exec(v) : null;
  if (!m) return { pointer: '/formatVersion', message: `formatVersion ${JSON.stringify(v)} is not "<major>.<minor>" such as "1.0"`, hint: REMAKE, version: true };
  const major = Number(m[1]);
  if (major > SUPPORTED_MAJOR) return { pointer: '/formatVersion', message: `plan format ${String(v)} is newer than this qm understands (${SUPPORTED_MAJOR}.x)`, hint: `upgrade qm, or ${REMAKE}`, version: true };
  if (major < SUPPORTED_MAJOR) return { pointer: '/formatVersion', message: `plan format ${String(v)} is older than this qm understands (${SUPPORTED_MAJOR}.x)`, hint: REMAKE, version: true };
  return undefined;
}

/** Action types and required fields, checked here so that the schema's oneOf does not report every branch. */
function actionProblems(plan: Json): PlanProblem[] {
  const actions = plan.actions;
  if (!Array.isArray(actions)) return [];
  const problems: PlanProblem[] = [];
  actions.forEach((a: unknown, i) => {
    const at = `/actions/${i}`;
    if (!isObject(a)) {
      problems.push({ pointer: at, message: `${fieldPath(at)} must be a map with a type, not ${Array.isArray(a) ? 'a list' : JSON.stringify(a)}` });
      return;
    }
    if (!isActionType(a.type)) {
      problems.push({
        pointer: `${at}/type`,
        message: `${fieldPath(at)}.type is ${JSON.stringify(a.type)}, which is not one of ${ACTION_TYPES.join(', ')}`,
        hint: `a newer qm may know it: upgrade qm, or ${REMAKE}`,
      });
      return;
    }
    const optional = OPTIONAL_ACTION_KEYS[a.type] ?? [];
    for (const key of ACTION_KEYS[a.type]) {
      if (!(key in a) && !optional.includes(key)) problems.push({ pointer: at, message: `${fieldPath(at)} (${a.type}) is missing the required field '${key}'`, hint: REMAKE });
    }
  });
  return problems;
}

/** The schema's problems, without the noise of the action branches that do not apply. */
function schemaProblems(plan: Json): PlanProblem[] {
  const actions = Array.isArray(plan.actions) ? (plan.actions as unknown[]) : [];
  const out: PlanProblem[] = [];
  const seen = new Set<string>();
  for (const p of validateValue('plan.schema.json', plan)) {
    const m = /^\/actions\/(\d+)(?:\/([^/]+))?/.exec(p.pointer);
    if (m) {
      const a = actions[Number(m[1])];
      // Type and required fields are reported by actionProblems; keep only errors of the branch of its type.
      if (!isObject(a) || !isActionType(a.type) || m[2] === undefined || m[2] === 'type') continue;
      if (!(ACTION_KEYS[a.type] as readonly string[]).includes(m[2])) continue;
    }
    const key = `${p.pointer}\0${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p.hint === undefined ? { pointer: p.pointer, message: p.message } : { pointer: p.pointer, message: p.message, hint: p.hint });
  }
  return out;
}

/** What a hand edit breaks: the summary disagrees with the actions, ids repeat. */
function consistencyProblems(plan: Plan): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const counts: Record<string, number> = {};
  for (const a of plan.actions) counts[a.type] = (counts[a.type] ?? 0) + 1;
  for (const t of ACTION_TYPES) {
    const n = counts[t] ?? 0;
    if (plan.summary[t] !== n) problems.push({ pointer: `/summary/${t}`, message: `summary.${t} is ${plan.summary[t]} but the plan has ${n} ${t} action${n === 1 ? '' : 's'}`, hint: REMAKE });
  }
  if (plan.summary.blocked !== plan.blocked.length)
    problems.push({ pointer: '/summary/blocked', message: `summary.blocked is ${plan.summary.blocked} but the plan lists ${plan.blocked.length} blocked instance${plan.blocked.length === 1 ? '' : 's'}`, hint: REMAKE });
  if (plan.changes !== plan.actions.length > 0)
    problems.push({ pointer: '/changes', message: `changes is ${plan.changes} but the plan has ${plan.actions.length} action${plan.actions.length === 1 ? '' : 's'}`, hint: REMAKE });
  const ids = new Map<string, number>();
  plan.actions.forEach((a, i) => {
    const first = ids.get(a.id);
    if (first !== undefined) problems.push({ pointer: `/actions/${i}/id`, message: `actions[${i}].id '${a.id}' repeats the id of actions[${first}]`, hint: REMAKE });
    else ids.set(a.id, i);
  });
  return problems;
}

/** Every problem of a plan value, as values (empty when it is a plan this qm can read). */
export function checkPlan(json: unknown): PlanProblem[] {
  if (!isObject(json)) return [{ pointer: '', message: `a plan must be a JSON object, not ${Array.isArray(json) ? 'a list' : JSON.stringify(json) ?? String(json)}`, hint: REMAKE, version: true }];
  const version = versionProblem(json);
  if (version) return [version];
  const structural = [...actionProblems(json), ...schemaProblems(json)];
  if (structural.length > 0) return structural;
  return consistencyProblems(json as unknown as Plan);
}

/**
 * Check a parsed plan file and return it typed; throws QmError('invalid') naming the first problem.
 * `source` (a file name) prefixes the message.
 */
export function readPlan(json: unknown, source?: string): Plan {
  const problems = checkPlan(json);
  if (problems.length === 0) return json as Plan;
  const first = problems[0]!;
  const where = source === undefined ? '' : `${source}: `;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length === 2 ? '' : 's'})` : '';
  const message = first.version ? `${where}${first.message}` : `${where}not a valid plan: ${first.message}${more}`;
  throw new QmError('invalid', message, first.hint);
}
