/**
 * JSON Schema validation of documents against schemas/<kind>.schema.json, with ajv's errors turned
 * into diagnostics that quote the field and say how to fix it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { createRequire } from 'node:module';
import type { Kind } from '../model/documents.js';
import type { DiagnosticCode } from '../model/diagnostic.js';
import { didYouMean, fromPointer } from '../model/diagnostic.js';
import { parseDuration } from '../model/quantity.js';

const requireCjs = createRequire(import.meta.url);

/** The folder holding the schemas, beside src/ and dist/. */
export const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');

export const SCHEMA_FILES: Record<Kind, string> = {
  Pool: 'pool.schema.json',
  Agent: 'agent.schema.json',
  Quota: 'quota.schema.json',
  AffinityRule: 'affinity-rule.schema.json',
  ScalingPolicy: 'scaling-policy.schema.json',
  SchedulingProfile: 'scheduling-profile.schema.json',
  Policy: 'policy.schema.json',
  MetricSource: 'metric-source.schema.json',
  Driver: 'driver.schema.json',
};

export interface SchemaProblem {
  code: DiagnosticCode;
  /** Pointer to the offending value (or to the unknown key). */
  pointer: string;
  /** Point at the key rather than the value. */
  atKey: boolean;
  message: string;
  hint?: string;
}

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();
let precompiled: Record<string, ValidateFunction> | undefined;

/** The export name scripts/build-validators.mjs gives a schema file: scaling-policy.schema.json → scalingPolicy. */
const exportName = (file: string) => file.replace(/\.schema\.json$/, '').replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/**
 * Load the validators precompiled at build time (dist/generated/validators.js), which saves ~200 ms of
 * schema compilation per run. Without them (tests on src/), schemas are compiled on first use.
 */
export async function prepareValidators(): Promise<void> {
  if (precompiled) return;
  try {
    const url = new URL('../generated/validators.js', import.meta.url).href;
    precompiled = (await import(url)) as Record<string, ValidateFunction>;
  } catch {
    precompiled = {};
  }
}

function instance(): Ajv2020 {
  if (ajv) return ajv;
  // Loaded only when the precompiled validators are missing (tests on src/): saves ~35 ms of start-up.
  const { Ajv2020: AjvClass } = requireCjs('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 };
  const fm = requireCjs('ajv-formats') as { default?: (a: Ajv2020) => void } & ((a: Ajv2020) => void);
  const addFormats = fm.default ?? fm;
  ajv = new AjvClass({ strict: true, allErrors: true, allowUnionTypes: true, verbose: true, useDefaults: true });
  addFormats(ajv);
  for (const f of readdirSync(SCHEMA_DIR).sort()) {
    if (!f.endsWith('.schema.json')) continue;
    ajv.addSchema(JSON.parse(readFileSync(path.join(SCHEMA_DIR, f), 'utf8')) as object);
  }
  return ajv;
}

/** The compiled validator of a schema file (kinds, snapshot.schema.json, plan.schema.json, …). */
export function validatorFor(file: string): ValidateFunction {
  let v = compiled.get(file) ?? precompiled?.[exportName(file)];
  if (!v) {
    const a = instance();
    v = a.getSchema(`https://quartermaster.dev/schemas/${file}`);
    if (!v) throw new Error(`schema ${file} is not in ${SCHEMA_DIR}`);
    compiled.set(file, v);
  }
  return v;
}

/** Human path of a pointer: /spec/placement/pools/0 → spec.placement.pools[0]. */
export function fieldPath(pointer: string): string {
  let out = '';
  for (const seg of fromPointer(pointer)) {
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || '(document)';
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  return `${typeof v} ${String(v)}`;
}

function expected(t: string | string[]): string {
  const names: Record<string, string> = { object: 'a map', array: 'a list', string: 'a string', integer: 'a whole number', number: 'a number', boolean: 'true or false', null: 'null' };
  const list = (Array.isArray(t) ? t : [t]).map((x) => names[x] ?? x);
  return list.length === 1 ? list[0]! : list.slice(0, -1).join(', ') + ' or ' + list[list.length - 1];
}

/** How to write a value of the expected type, when the mistake is a common one. */
function typeHint(want: string | string[], data: unknown): string | undefined {
  const types = Array.isArray(want) ? want : [want];
  if (types.includes('string') && (typeof data === 'number' || typeof data === 'boolean' || data === null)) return `quote it: "${String(data)}"`;
  if (types.includes('integer') && typeof data === 'number') return `write a whole number such as ${Math.round(data)}`;
  if ((types.includes('integer') || types.includes('number')) && typeof data === 'string') return /^-?\d+(\.\d+)?$/.test(data.trim()) ? `remove the quotes: ${data.trim()}` : 'write a number without quotes, e.g. 3';
  if (types.includes('array') && !Array.isArray(data)) return 'write a list: [a, b], or one "- item" per line';
  if (types.includes('object') && (typeof data !== 'object' || data === null || Array.isArray(data))) return 'write a map: key: value pairs indented below the key, or {key: value}';
  if (Array.isArray(data) && !types.includes('array')) return 'write a single value, not a list';
  if (types.includes('boolean')) return 'write true or false (without quotes)';
  return undefined;
}

/** The nearest DNS-1123 label to a name someone wrote, for hints: My_Agent → my-agent. */
function dnsLabel(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
}

function mapError(e: ErrorObject): SchemaProblem | undefined {
  const at = e.instancePath;
  const field = fieldPath(at);
  const parentSchema = e.parentSchema as { properties?: Record<string, unknown>; patternProperties?: unknown } | undefined;
  switch (e.keyword) {
    case 'additionalProperties': {
      const prop = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys(parentSchema?.properties ?? {});
      const guess = didYouMean(prop, known);
      const where = at ? `${field}` : 'the document';
      const p: SchemaProblem = { code: 'UnknownField', pointer: `${at}/${prop.replace(/~/g, '~0').replace(/\//g, '~1')}`, atKey: true, message: `unknown field '${prop}' in ${where}` };
      const extended = parentSchema?.patternProperties !== undefined && 'cpu' in (parentSchema?.properties ?? {});
      if (guess) p.hint = `did you mean '${guess}'?`;
      else if (extended) p.hint = `use ${known.join(', ')}, or an extended resource with a domain prefix such as example.com/${prop.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'fpga'}`;
      else if (known.length) p.hint = `known fields: ${known.join(', ')}`;
      return p;
    }
    case 'required': {
      const prop = (e.params as { missingProperty: string }).missingProperty;
      return { code: 'MissingField', pointer: at, atKey: true, message: `${at ? field : 'the document'} is missing the required field '${prop}'`, hint: `add '${prop}:'` };
    }
    case 'type': {
      const want = (e.params as { type: string | string[] }).type;
      if (/\$defs\/duration\/type$/.test(e.schemaPath)) {
        // A duration written as a bare number (`for: 10`): say which units to add rather than "must be a string".
        const d = parseDuration(e.data, field);
        if (!d.ok) return { code: 'InvalidQuantity', pointer: at, atKey: false, message: d.message, ...(d.hint !== undefined ? { hint: d.hint } : {}) };
      }
      const p: SchemaProblem = { code: 'InvalidType', pointer: at, atKey: false, message: `${field} must be ${expected(want)}, not ${typeName(e.data)}` };
      const hint = typeHint(want, e.data);
      if (hint) p.hint = hint;
      return p;
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const guess = typeof e.data === 'string' ? didYouMean(e.data, allowed) : undefined;
      return { code: 'InvalidValue', pointer: at, atKey: false, message: `${field} is ${typeName(e.data)}, which is not one of ${allowed.join(', ')}`, hint: guess ? `did you mean '${guess}'?` : `use one of ${allowed.join(', ')}` };
    }
    case 'const':
      return { code: 'InvalidValue', pointer: at, atKey: false, message: `${field} must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}` };
    case 'pattern': {
      const isName = /(^|\/)(name|metadata\/name)$/.test(at) || /dependsOn|pools\/\d+$/.test(at);
      if (isName) {
        const fixed = typeof e.data === 'string' ? dnsLabel(e.data) : '';
        const rule = 'lower-case letters, digits and dashes, starting and ending with a letter or digit, at most 63 characters';
        return { code: 'InvalidName', pointer: at, atKey: false, message: `${field} ${JSON.stringify(e.data)} is not a DNS-1123 label (${rule})`, hint: fixed && fixed !== e.data ? `write '${fixed}'` : `use ${rule}` };
      }
      return { code: 'InvalidValue', pointer: at, atKey: false, message: `${field} ${typeName(e.data)} does not match the pattern ${(e.params as { pattern: string }).pattern}` };
    }
    case 'maxLength':
    case 'minLength': {
      const limit = (e.params as { limit: number }).limit;
      const code: DiagnosticCode = /name$/.test(at) ? 'InvalidName' : 'InvalidValue';
      const len = typeof e.data === 'string' ? [...e.data].length : 0;
      if (e.keyword === 'minLength' && len === 0) return { code, pointer: at, atKey: false, message: `${field} is empty`, hint: code === 'InvalidName' ? 'write a name: lower-case letters, digits and dashes, e.g. my-agent' : 'write a value, or remove the field' };
      return { code, pointer: at, atKey: false, message: `${field} is ${len} characters long, ${e.keyword === 'maxLength' ? 'more' : 'fewer'} than the ${limit} allowed`, hint: e.keyword === 'maxLength' ? `shorten it to at most ${limit} characters` : `make it at least ${limit} characters long` };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const { comparison, limit } = e.params as { comparison: string; limit: number };
      const ps = e.parentSchema as { minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number } | undefined;
      const lo = ps?.minimum !== undefined ? `from ${ps.minimum}` : ps?.exclusiveMinimum !== undefined ? `above ${ps.exclusiveMinimum}` : undefined;
      const hi = ps?.maximum !== undefined ? `to ${ps.maximum}` : ps?.exclusiveMaximum !== undefined ? `below ${ps.exclusiveMaximum}` : undefined;
      const range = lo && hi ? `${lo} ${hi}` : lo ? (ps?.minimum !== undefined ? `of at least ${ps.minimum}` : lo) : hi ? (ps?.maximum !== undefined ? `of at most ${ps.maximum}` : hi) : `${comparison} ${limit}`;
      return { code: 'InvalidValue', pointer: at, atKey: false, message: `${field} is ${typeName(e.data)} but must be ${comparison} ${limit}`, hint: `use a value ${range}` };
    }
    case 'minItems':
    case 'maxItems': {
      const limit = (e.params as { limit: number }).limit;
      return { code: 'InvalidValue', pointer: at, atKey: false, message: `${field} must have ${e.keyword === 'minItems' ? 'at least' : 'at most'} ${limit} item${limit === 1 ? '' : 's'}`, hint: e.keyword === 'minItems' ? `add ${limit === 1 ? 'an item' : 'items'}, or remove the field if it is optional` : `remove items to keep at most ${limit}` };
    }
    case 'minProperties':
    case 'maxProperties': {
      const limit = (e.params as { limit: number }).limit;
      return { code: 'InvalidValue', pointer: at, atKey: true, message: `${field} must have ${e.keyword === 'minProperties' ? 'at least' : 'at most'} ${limit} field${limit === 1 ? '' : 's'}` };
    }
    case 'uniqueItems':
      return { code: 'InvalidValue', pointer: at, atKey: false, message: `${field} lists the same item twice` };
    case 'propertyNames':
      return undefined; // reported through the nested pattern error
    case 'format':
      return { code: 'InvalidValue', pointer: at, atKey: false, message: `${field} ${typeName(e.data)} is not a valid ${(e.params as { format: string }).format}` };
    case 'if':
    case 'anyOf':
    case 'oneOf':
      return undefined; // the branch errors say more
    default:
      return { code: 'InvalidValue', pointer: at, atKey: false, message: `${field} ${e.message ?? 'is invalid'}` };
  }
}

/** Validate (and fill defaults into) one document value; returns the problems, most specific first. */
export function validateAgainstSchema(kind: Kind, value: unknown): SchemaProblem[] {
  const v = validatorFor(SCHEMA_FILES[kind]);
  if (v(value)) return [];
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const e of v.errors ?? []) {
    const p = mapError(e);
    if (!p) continue;
    const key = `${p.code}\0${p.pointer}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(p);
  }
  // A wrong type already says all there is to say about the value underneath it.
  const typed = problems.filter((p) => p.code === 'InvalidType').map((p) => p.pointer);
  return problems.filter((p) => p.code === 'InvalidType' || !typed.some((t) => p.pointer.startsWith(t + '/') || (p.pointer === t && p.code !== 'MissingField')));
}

/** Validate any value against a named schema file; used for snapshots and plans. */
export function validateValue(file: string, value: unknown): SchemaProblem[] {
  const v = validatorFor(file);
  if (v(value)) return [];
  return (v.errors ?? []).map(mapError).filter((p): p is SchemaProblem => p !== undefined);
}
