/** Words shared by the text and markdown renderers: counts, requests in human units, blocked reasons. */
import { formatBytes, resourceName } from '../../model/quantity.js';
import type { BlockedInstance, ForecastPoint, PlanForecast, PlanSummary, Resources } from './types.js';

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Terraform's summary phrase: "3 to place, 1 to move, 1 to evict, 0 to remove, 1 pool to scale, 0 agents to scale; 2 blocked". */
export function summaryPhrase(s: PlanSummary): string {
  return (
    `${s.place} to place, ${s.move} to move, ${s.evict} to evict, ${s.remove} to remove, ` +
    `${plural(s.scalePool, 'pool', 'pools')} to scale, ${plural(s.scaleAgent, 'agent', 'agents')} to scale; ${s.blocked} blocked`
  );
}

const CANONICAL_ORDER = ['cpuMillis', 'memoryBytes', 'storageBytes', 'networkMbps', 'gpuMillis', 'agents'];
const NAME_ORDER = ['cpu', 'memory', 'storage', 'network', 'gpu'];

/** Keys in a stable, reader-friendly order: the well-known ones first (cpu, memory, …), then the others by name. */
export function orderedKeys(keys: Iterable<string>, order: readonly string[] = CANONICAL_ORDER): string[] {
  const all = new Set(keys);
  const known = order.filter((k) => all.has(k));
  if (known.length === all.size) return known;
  return [...known, ...[...all].filter((k) => !order.includes(k)).sort()];
}

/** Utilisation keys (`cpu`, `memory`, …, extended) in display order. */
export const orderedResourceNames = (keys: Iterable<string>) => orderedKeys(keys, NAME_ORDER);

/** One canonical value without its resource name: cpuMillis 96000 → "96", 6500 → "6.5", 500 → "500m"; memoryBytes → "8Gi"; agents 5 → "5". */
export function quantity(key: string, value: number): string {
  switch (key) {
    case 'cpuMillis': return value > 0 && value < 1000 ? `${value}m` : String(Math.round(value) / 1000);
    case 'memoryBytes':
    case 'storageBytes': return formatBytes(value);
    case 'networkMbps': return value >= 1000 && value % 1000 === 0 ? `${value / 1000}Gbps` : `${value}Mbps`;
    case 'gpuMillis': return String(value / 1000);
    default: return String(value);
  }
}

const LABELS: Record<string, string> = { cpuMillis: 'cpu', memoryBytes: 'memory', storageBytes: 'storage', networkMbps: 'network', gpuMillis: 'gpu', agents: 'agents' };

/** The human name of a canonical key: cpuMillis → cpu, example.com/fpga stays. */
export const resourceLabel = (key: string) => LABELS[key] ?? resourceName(key);

/** Requests in human units, zero values left out: "2 cpu, 8Gi memory, 0.25 gpu". */
export function requestsText(requests: Resources): string {
  const parts = orderedKeys(Object.keys(requests))
    .filter((k) => requests[k] !== 0)
    .map((k) => `${quantity(k, requests[k]!)} ${resourceLabel(k)}`);
  return parts.length > 0 ? parts.join(', ') : 'no requests';
}

/** The GPU devices of a placement: "device 3", "devices 0, 1", with "shared" for a share of one device. */
export function gpuDevicesText(devices: readonly number[] | undefined, gpuMillis: number | undefined): string | undefined {
  if (!devices || devices.length === 0) return undefined;
  const list = `${devices.length === 1 ? 'device' : 'devices'} ${devices.join(', ')}`;
  return gpuMillis !== undefined && gpuMillis > 0 && gpuMillis < 1000 ? `GPU ${list}, shared` : `GPU ${list}`;
}

/** "used/limit (pct%)" for one quota resource; a missing limit reads "no limit". */
export function quotaCell(key: string, used: number | undefined, limit: number | undefined): string {
  const u = quantity(key, used ?? 0);
  if (limit === undefined) return `${u} (no limit)`;
  const pct = limit > 0 ? Math.round(((used ?? 0) / limit) * 100) : (used ?? 0) > 0 ? Infinity : 0;
  return `${u}/${quantity(key, limit)} (${Number.isFinite(pct) ? `${pct}%` : 'over'})`;
}

/** How full a quota resource is after the plan, in percent (Infinity for usage against a zero limit). */
export function quotaPercent(used: number | undefined, limit: number | undefined): number | undefined {
  if (limit === undefined) return undefined;
  if (limit === 0) return (used ?? 0) > 0 ? Infinity : 0;
  return ((used ?? 0) / limit) * 100;
}

/** A blocked instance's reasons folded kube-scheduler style: one shared "0/12 nodes fit: …" headline, then what each code adds. */
export interface BlockedView {
  headline: string | undefined;
  details: { code: string; message: string }[];
}

const NODES_FIT = /^\d+\/\d+ nodes fit: /;

/**
 * The node summary once, then each reason's own sentence. Plans with a `summary` (1.x) carry it
 * apart from the reasons; older ones repeat it at the head of every reason, where it is folded.
 */
export function blockedView(b: BlockedInstance): BlockedView {
  if (b.summary !== undefined && b.summary !== '') {
    const head = b.summary;
    const rest = (m: string) => (m === head ? '' : m.startsWith(`${head}; `) ? m.slice(head.length + 2) : m);
    return { headline: head, details: b.reasons.map((r) => ({ code: r.code, message: rest(r.message) })).filter((d) => d.message !== '') };
  }
  const split = b.reasons.map((r) => {
    const i = r.message.indexOf('; ');
    return i < 0 ? { head: r.message, rest: '' } : { head: r.message.slice(0, i), rest: r.message.slice(i + 2) };
  });
  const head = split[0]?.head;
  const shared = head !== undefined && NODES_FIT.test(head) && split.every((s) => s.head === head);
  if (!shared) return { headline: undefined, details: b.reasons.map((r) => ({ code: r.code, message: r.message })) };
  const details = b.reasons.map((r, i) => ({ code: r.code, message: split[i]!.rest })).filter((d) => d.message !== '');
  return { headline: head, details };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Points with a timestamp (ISO string or unix seconds) and a finite value; the rest are skipped. */
function timed(v: unknown): ForecastPoint[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: ForecastPoint[] = [];
  for (const p of v) {
    if (!isObject(p)) continue;
    const value = num(p.value);
    const ts = typeof p.timestamp === 'number' ? String(p.timestamp) : str(p.timestamp);
    if (value === undefined || ts === undefined) continue;
    const point: ForecastPoint = { timestamp: ts, value };
    const lower = num(p.lower);
    const upper = num(p.upper);
    if (lower !== undefined) point.lower = lower;
    if (upper !== undefined) point.upper = upper;
    out.push(point);
  }
  return out;
}

/** The fields renderers use from one loose forecast object, each only when it has the expected type. */
export function asForecast(x: unknown): PlanForecast {
  if (!isObject(x)) return {};
  const f: PlanForecast = {};
  if (typeof x.target === 'string') f.target = x.target;
  else if (isObject(x.target)) {
    const kind = str(x.target.kind);
    const name = str(x.target.name);
    f.target = { ...(kind !== undefined ? { kind } : {}), ...(name !== undefined ? { name } : {}) };
  }
  const series = str(x.series);
  const model = str(x.model);
  if (series !== undefined) f.series = series;
  if (model !== undefined) f.model = model;
  if (num(x.horizon) !== undefined || typeof x.horizon === 'string') f.horizon = x.horizon as number | string;
  const points = timed(x.points);
  const history = timed(x.history);
  if (points) f.points = points;
  if (history) f.history = history;
  if (num(x.capacity) !== undefined) f.capacity = x.capacity as number;
  else {
    const capacity = timed(x.capacity);
    if (capacity) f.capacity = capacity;
  }
  if (Array.isArray(x.notes)) f.notes = x.notes.filter((n): n is string => typeof n === 'string');
  return f;
}

/** What a forecast is about: "Pool gpu-east · requests". */
export function forecastTitle(f: PlanForecast): string {
  const t = f.target;
  const target = typeof t === 'string' ? t : t && typeof t === 'object' ? [t.kind, t.name].filter((x) => typeof x === 'string' && x !== '').join(' ') : '';
  return [target || 'forecast', typeof f.series === 'string' ? f.series : ''].filter((x) => x !== '').join(' · ');
}

/** A forecast horizon in words: 3600 → "1h", "90m" stays. */
export function horizonText(h: number | string | undefined): string | undefined {
  if (typeof h === 'string') return h;
  if (typeof h !== 'number' || !Number.isFinite(h)) return undefined;
  for (const [unit, s] of [['d', 86400], ['h', 3600], ['m', 60]] as const) if (h >= s && h % s === 0) return `${h / s}${unit}`;
  return `${h}s`;
}

/** A short digest for display: "sha256:1a2b3c4d5e6f". */
export function shortDigest(d: string, hex = 12): string {
  const m = /^([a-z0-9]+):([0-9a-f]+)$/i.exec(d);
  return m && m[2]!.length > hex ? `${m[1]}:${m[2]!.slice(0, hex)}` : d;
}

/** Numbers in a stable, compact form: at most two decimals, no trailing zeros. */
export function compactNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return String(Math.round(v * 100) / 100);
}
