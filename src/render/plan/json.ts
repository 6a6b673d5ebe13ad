/**
 * Canonical plan JSON: keys in SPEC §4 order (fields a newer minor adds follow, by name), 2-space
 * indent, trailing newline. The same plan always gives the same bytes.
 */
import { orderedKeys } from './describe.js';
import { ACTION_KEYS } from './types.js';
import type { Plan } from './types.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const PLAN_KEYS = ['formatVersion', 'planId', 'createdAt', 'inputs', 'changes', 'summary', 'actions', 'blocked', 'pools', 'quotas', 'forecasts', 'warnings', 'anomalies'];
const INPUT_KEYS = ['policyDigest', 'gitCommit', 'stateFingerprint', 'now'];
const SUMMARY_KEYS = ['place', 'move', 'evict', 'remove', 'scalePool', 'scaleAgent', 'blocked'];
const BLOCKED_KEYS = ['instance', 'agent', 'reasons'];
const CODE_MESSAGE = ['code', 'message'];
const POOL_KEYS = ['name', 'nodes', 'utilizationPercent'];
const CURRENT_PLANNED = ['current', 'planned'];
const QUOTA_KEYS = ['name', 'used', 'limits'];
const FORECAST_KEYS = ['target', 'series', 'model', 'horizon', 'step', 'origin', 'points', 'history', 'capacity'];
const POINT_KEYS = ['timestamp', 'value', 'lower', 'upper'];
const TARGET_KEYS = ['kind', 'name'];
const ANOMALY_KEYS = ['policy', 'target', 'source', 'series', 'metric', 'direction', 'from', 'at', 'samples', 'level', 'model', 'observed', 'expected', 'lower', 'upper', 'deviation', 'deviationPercent', 'points'];
const ANOMALY_POINT_KEYS = ['timestamp', 'value', 'expected', 'lower', 'upper'];

/** Fields this qm does not know (added by a newer minor): every object's keys by name, all the way down. */
function sortedDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedDeep);
  if (!isObject(v)) return v;
  const out: Json = {};
  for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = sortedDeep(v[k]);
  return out;
}

/** Known keys first in the given order, shaped by `child`; then any others by name. */
function ordered(v: unknown, keys: readonly string[], child: (key: string, value: unknown) => unknown = (_, x) => x): unknown {
  if (!isObject(v)) return v;
  const out: Json = {};
  for (const k of keys) if (k in v && v[k] !== undefined) out[k] = child(k, v[k]);
  for (const k of Object.keys(v).filter((x) => !keys.includes(x)).sort()) if (v[k] !== undefined) out[k] = sortedDeep(v[k]);
  return out;
}

const list = (v: unknown, item: (x: unknown) => unknown) => (Array.isArray(v) ? v.map(item) : v);
/** Resource key orders by key set: a plan repeats a handful of them over thousands of actions. */
const resourceOrders = new Map<string, string[]>();
function resourceOrder(keys: string[]): string[] {
  const id = keys.join('\u0000');
  let order = resourceOrders.get(id);
  if (!order) resourceOrders.set(id, (order = orderedKeys(keys)));
  return order;
}
/** Resources in canonical order: cpuMillis, memoryBytes, storageBytes, networkMbps, gpuMillis, agents, extended by name. */
const resources = (v: unknown) => (isObject(v) ? ordered(v, resourceOrder(Object.keys(v))) : v);
/** Utilisation per resource: cpu, memory, storage, network, gpu, extended by name. */
const utilisation = (v: unknown) => (isObject(v) ? ordered(v, ['cpu', 'memory', 'storage', 'network', 'gpu'], (_, x) => ordered(x, CURRENT_PLANNED)) : v);

function action(a: unknown): unknown {
  if (!isObject(a)) return a;
  const keys = typeof a.type === 'string' && a.type in ACTION_KEYS ? ACTION_KEYS[a.type as keyof typeof ACTION_KEYS] : ['id', 'type'];
  return ordered(a, keys, (k, x) => (k === 'requests' ? resources(x) : x));
}

function forecast(f: unknown): unknown {
  const point = (p: unknown) => ordered(p, POINT_KEYS);
  return ordered(f, FORECAST_KEYS, (k, x) => {
    if (k === 'target') return ordered(x, TARGET_KEYS);
    if (k === 'points' || k === 'history' || k === 'capacity') return list(x, point);
    return x;
  });
}

function anomaly(a: unknown): unknown {
  return ordered(a, ANOMALY_KEYS, (k, x) => (k === 'target' ? ordered(x, TARGET_KEYS) : k === 'points' ? list(x, (p) => ordered(p, ANOMALY_POINT_KEYS)) : x));
}

/** The plan as a value with canonical key order. */
export function canonicalPlan(plan: Plan): unknown {
  return ordered(plan, PLAN_KEYS, (k, x) => {
    switch (k) {
      case 'inputs': return ordered(x, INPUT_KEYS);
      case 'summary': return ordered(x, SUMMARY_KEYS);
      case 'actions': return list(x, action);
      case 'blocked': return list(x, (b) => ordered(b, BLOCKED_KEYS, (bk, bx) => (bk === 'reasons' ? list(bx, (r) => ordered(r, CODE_MESSAGE)) : bx)));
      case 'pools': return list(x, (p) => ordered(p, POOL_KEYS, (pk, px) => (pk === 'nodes' ? ordered(px, CURRENT_PLANNED) : pk === 'utilizationPercent' ? utilisation(px) : px)));
      case 'quotas': return list(x, (q) => ordered(q, QUOTA_KEYS, (qk, qx) => (qk === 'used' || qk === 'limits' ? resources(qx) : qx)));
      case 'forecasts': return list(x, forecast);
      case 'warnings': return list(x, (w) => ordered(w, CODE_MESSAGE));
      case 'anomalies': return list(x, anomaly);
      default: return x;
    }
  });
}

/** Canonical JSON text of a plan: SPEC §4 key order, 2-space indent, trailing newline. */
export function renderPlanJson(plan: Plan): string {
  return JSON.stringify(canonicalPlan(plan), null, 2) + '\n';
}
