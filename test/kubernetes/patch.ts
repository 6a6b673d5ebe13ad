/**
 * PATCH bodies: JSON Patch (RFC 6902), JSON Merge Patch (RFC 7386) and strategic merge patch for
 * the lists Kubernetes merges by key (containers by name, conditions by type, …). Strategic merge
 * here knows the merge keys below and the `$patch: delete|replace` directives; other lists are
 * replaced, as merge patch does.
 */
import { badRequest, unsupportedMediaType } from './status.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
] as const;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** Field name → merge key of its list elements (patchMergeKey in the Kubernetes types). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name', initContainers: 'name', ephemeralContainers: 'name', env: 'name', volumes: 'name',
  volumeMounts: 'mountPath', volumeDevices: 'devicePath', ports: 'containerPort', conditions: 'type',
  ownerReferences: 'uid', imagePullSecrets: 'name', hostAliases: 'ip', topologySpreadConstraints: 'topologyKey',
  addresses: 'type', resourceClaims: 'name', containerStatuses: 'name', initContainerStatuses: 'name',
};
/** Lists of scalars merged as sets. */
const MERGE_SETS = new Set(['finalizers']);

export function applyPatch(target: unknown, contentType: string | undefined, body: unknown): unknown {
  const type = (contentType ?? '').split(';')[0]!.trim();
  if (type === 'application/json-patch+json') return jsonPatch(target, body);
  if (type === 'application/merge-patch+json') return mergePatch(clone(target) as Json, body as Json);
  if (type === 'application/strategic-merge-patch+json') return strategicMerge(clone(target) as Json, body as Json, '');
  throw unsupportedMediaType([...PATCH_TYPES, 'application/apply-patch+yaml']);
}

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

function strategicMerge(target: Json, patch: Json, field: string): Json {
  if (Array.isArray(patch)) return mergeList(Array.isArray(target) ? target : [], patch, field);
  if (!isObj(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return clone(rest);
  }
  if (patch.$patch === 'delete') return null;
  const out: Obj = isObj(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/')) continue;
    if (v === null) delete out[k];
    else out[k] = strategicMerge(out[k] ?? null, v, k);
  }
  for (const [k, v] of Object.entries(patch)) {
    const m = /^\$deleteFromPrimitiveList\/(.+)$/.exec(k);
    if (m && Array.isArray(out[m[1]!]) && Array.isArray(v)) out[m[1]!] = (out[m[1]!] as Json[]).filter((x) => !v.includes(x));
  }
  return out;
}

function mergeList(target: Json[], patch: Json[], field: string): Json {
  const key = MERGE_KEYS[field];
  if (MERGE_SETS.has(field)) return [...target, ...patch.filter((x) => !target.includes(x))];
  if (!key) return clone(patch.filter((x) => !(isObj(x) && x.$patch)));
  const out = [...target];
  for (const item of patch) {
    if (!isObj(item)) continue;
    const i = out.findIndex((t) => isObj(t) && t[key] === item[key]);
    if (item.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = strategicMerge(out[i]!, item, '');
    else out.push(strategicMerge({}, item, ''));
  }
  return out;
}

/** RFC 6902; a failed `test` or a missing path answers 422-free 400s like the apiserver's json-patch errors. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = clone(target) as Json;
  for (const op of ops as Obj[]) {
    const path = String(op.path ?? '');
    switch (op.op) {
      case 'add': doc = put(doc, path, clone(op.value ?? null), 'add'); break;
      case 'replace': doc = put(doc, path, clone(op.value ?? null), 'replace'); break;
      case 'remove': doc = remove(doc, path); break;
      case 'test':
        if (JSON.stringify(get(doc, path)) !== JSON.stringify(op.value)) throw badRequest(`the server rejected our request due to an error in our request`);
        break;
      case 'copy': doc = put(doc, path, clone(get(doc, String(op.from)) ?? null), 'add'); break;
      case 'move': {
        const v = get(doc, String(op.from));
        doc = put(remove(doc, String(op.from)), path, v ?? null, 'add');
        break;
      }
      default: throw badRequest(`Unexpected kind: ${String(op.op)}`);
    }
  }
  return doc;
}

const unescape = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');
const parts = (path: string) => (path === '' ? [] : path.split('/').slice(1).map(unescape));

function get(doc: Json, path: string): Json | undefined {
  let cur: Json | undefined = doc;
  for (const p of parts(path)) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isObj(cur)) cur = cur[p];
    else return undefined;
  }
  return cur;
}

function parentOf(doc: Json, path: string): { parent: Json; last: string } {
  const ps = parts(path);
  const last = ps.pop();
  if (last === undefined) throw badRequest('jsonpatch: the root cannot be a target here');
  const parent = get(doc, ps.map((p) => `/${p.replace(/~/g, '~0').replace(/\//g, '~1')}`).join(''));
  if (parent === undefined || parent === null || typeof parent !== 'object') throw badRequest(`jsonpatch add operation does not apply: doc is missing path: "${path}": missing value`);
  return { parent, last };
}

function put(doc: Json, path: string, value: Json, mode: 'add' | 'replace'): Json {
  if (path === '') return value;
  const { parent, last } = parentOf(doc, path);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length) throw badRequest(`jsonpatch ${mode} operation does not apply: doc is missing path: "${path}"`);
    if (mode === 'add') parent.splice(i, 0, value);
    else parent[i] = value;
  } else {
    const o = parent as Obj;
    if (mode === 'replace' && !(last in o)) throw badRequest(`jsonpatch replace operation does not apply: doc is missing key: ${path}: missing value`);
    o[last] = value;
  }
  return doc;
}

function remove(doc: Json, path: string): Json {
  const { parent, last } = parentOf(doc, path);
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!(i >= 0 && i < parent.length)) throw badRequest(`jsonpatch remove operation does not apply: doc is missing path: "${path}"`);
    parent.splice(i, 1);
  } else {
    const o = parent as Obj;
    if (!(last in o)) throw badRequest(`jsonpatch remove operation does not apply: doc is missing path: "${path}": missing value`);
    delete o[last];
  }
  return doc;
}
