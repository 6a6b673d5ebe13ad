/**
 * Label selectors (k8s.io/apimachinery/pkg/labels) and field selectors (pkg/fields) as the
 * apiserver parses them from `labelSelector=` / `fieldSelector=`; errors are the apiserver's texts.
 */
export type Labels = Record<string, string> | undefined;
export type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' }
  | { key: string; op: 'gt' | 'lt'; value: number };
export type LabelSelector = Requirement[];

export class SelectorError extends Error {}

const TOKEN = /\s*(\(|\)|,|!=|==|=|!|>|<|[^\s(),!=<>]+)/y;

function tokenize(s: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < s.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(s);
    if (!m) {
      if (s.slice(start).trim() === '') break;
      throw new SelectorError(`unable to parse requirement: found '${s.slice(start).trim()}'`);
    }
    out.push(m[1]!);
  }
  return out;
}

const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(k: string | undefined): string {
  if (k === undefined || !KEY.test(k)) throw new SelectorError(`unable to parse requirement: invalid label key "${k ?? ''}"`);
  return k;
}
function checkValue(v: string | undefined): string {
  if (v === undefined || !VALUE.test(v) || v.length > 63) throw new SelectorError(`unable to parse requirement: invalid label value: "${v ?? ''}"`);
  return v;
}

/** Parses `a=b,c!=d,e in (f,g),h notin (i),j,!k,l>3`. */
export function parseLabelSelector(s: string | null | undefined): LabelSelector {
  if (!s || s.trim() === '') return [];
  const t = tokenize(s);
  const reqs: Requirement[] = [];
  let i = 0;
  const peek = () => t[i];
  const next = () => t[i++];
  while (i < t.length) {
    let tok = next();
    if (tok === '!') {
      reqs.push({ key: checkKey(next()), op: '!exists' });
    } else {
      const key = checkKey(tok);
      const op = peek();
      if (op === undefined || op === ',') reqs.push({ key, op: 'exists' });
      else if (op === '=' || op === '==' || op === '!=') {
        next();
        let v = peek();
        if (v === undefined || v === ',') v = '';
        else next();
        reqs.push({ key, op: op === '!=' ? 'notin' : 'in', values: [checkValue(v)] });
      } else if (op === 'in' || op === 'notin') {
        next();
        if (next() !== '(') throw new SelectorError(`unable to parse requirement: found '${t[i - 1] ?? ''}', expected: '('`);
        const values: string[] = [];
        for (;;) {
          tok = next();
          if (tok === ')') break;
          if (tok === ',') continue;
          if (tok === undefined) throw new SelectorError("unable to parse requirement: found '', expected: ')'");
          values.push(checkValue(tok));
        }
        reqs.push({ key, op, values });
      } else if (op === '>' || op === '<') {
        next();
        const v = Number(next());
        if (!Number.isInteger(v)) throw new SelectorError(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
        reqs.push({ key, op: op === '>' ? 'gt' : 'lt', value: v });
      } else throw new SelectorError(`unable to parse requirement: found '${op}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    const sep = next();
    if (sep !== undefined && sep !== ',') throw new SelectorError(`unable to parse requirement: found '${sep}', expected: ','`);
  }
  return reqs;
}

export function matchesLabels(sel: LabelSelector, labels: Labels): boolean {
  for (const r of sel) {
    const v = labels?.[r.key];
    switch (r.op) {
      case 'in': if (v === undefined || !r.values.includes(v)) return false; break;
      case 'notin': if (v !== undefined && r.values.includes(v)) return false; break;
      case 'exists': if (v === undefined) return false; break;
      case '!exists': if (v !== undefined) return false; break;
      case 'gt': if (v === undefined || !(Number(v) > r.value)) return false; break;
      case 'lt': if (v === undefined || !(Number(v) < r.value)) return false; break;
    }
  }
  return true;
}

/** A metav1.LabelSelector object ({matchLabels, matchExpressions}), as PDBs and scale use it. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export function selectorFromObject(o: LabelSelectorObject | undefined): LabelSelector {
  const reqs: Requirement[] = [];
  for (const [key, v] of Object.entries(o?.matchLabels ?? {})) reqs.push({ key, op: 'in', values: [v] });
  for (const e of o?.matchExpressions ?? []) {
    if (e.operator === 'In') reqs.push({ key: e.key, op: 'in', values: e.values ?? [] });
    else if (e.operator === 'NotIn') reqs.push({ key: e.key, op: 'notin', values: e.values ?? [] });
    else if (e.operator === 'Exists') reqs.push({ key: e.key, op: 'exists' });
    else reqs.push({ key: e.key, op: '!exists' });
  }
  return reqs;
}

/** The selector as the string form of the Scale subresource's status.selector. */
export function selectorToString(o: LabelSelectorObject | undefined): string {
  const parts = Object.entries(o?.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`);
  for (const e of o?.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

export interface FieldRequirement { field: string; op: '=' | '!='; value: string }

/** Parses `spec.nodeName=n1,metadata.name!=x`; `allowed` are the fields the resource supports. */
export function parseFieldSelector(s: string | null | undefined, allowed: readonly string[]): FieldRequirement[] {
  if (!s || s.trim() === '') return [];
  return s.split(',').map((part) => {
    const m = /^\s*([^=!]+?)\s*(==|!=|=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw new SelectorError(`invalid selector: '${s}'; can't understand '${part}'`);
    const field = m[1]!;
    if (!allowed.includes(field)) throw new SelectorError(`field label not supported: ${field}`);
    return { field, op: m[2] === '!=' ? '!=' : '=', value: m[3]! };
  });
}

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

export function matchesFields(reqs: FieldRequirement[], obj: unknown): boolean {
  for (const r of reqs) {
    const raw = getPath(obj, r.field);
    // Unset fields compare as "" (an unscheduled pod matches spec.nodeName=).
    const v = raw === undefined || raw === null ? '' : String(raw);
    if ((r.op === '=') !== (v === r.value)) return false;
  }
  return true;
}
