/**
 * Quantities and durations (SPEC §1): parse what people write in YAML into canonical integers,
 * or say exactly how to fix it.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string; hint?: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (message: string, hint?: string): Parsed<never> =>
  hint === undefined ? { ok: false, message } : { ok: false, message, hint };

/** The canonical key for each well-known resource; any other key is an extended resource. */
export const CANONICAL_KEYS = {
  cpu: 'cpuMillis',
  memory: 'memoryBytes',
  storage: 'storageBytes',
  network: 'networkMbps',
  gpu: 'gpuMillis',
} as const;

/** Names of extended resources: a DNS subdomain prefix, `/`, and a name (`example.com/fpga`), as in the schemas. */
export const EXTENDED_RESOURCE_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export type WellKnownResource = keyof typeof CANONICAL_KEYS;
export type CanonicalKey = (typeof CANONICAL_KEYS)[WellKnownResource];

/** Resources in canonical units: cpuMillis, memoryBytes, storageBytes, networkMbps, gpuMillis, extended keys. */
export type ResourceList = Record<string, number>;

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const NUMBER_RE = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const QUANTITY_RE = /^([+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/;

function show(raw: unknown): string {
  return typeof raw === 'string' ? `'${raw}'` : JSON.stringify(raw) ?? String(raw);
}

function describeType(raw: unknown): string {
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return 'a list';
  return typeof raw === 'object' ? 'a map' : `a ${typeof raw}`;
}

/** Suggest the nearest valid spelling of a byte quantity like "4GB" or "4gi". */
function byteHint(num: string, suffix: string): string {
  const s = suffix.replace(/b$/i, '');
  const up = s.length > 0 ? s[0]!.toUpperCase() : '';
  if (up && 'KMGTPE'.includes(up)) {
    const dec = up === 'K' ? 'k' : up;
    return `write ${num}${up}i or ${num}${dec}`;
  }
  return `write a number of bytes or use a suffix Ki, Mi, Gi, Ti (binary) or k, M, G, T (decimal), e.g. ${num}Gi`;
}

/** Bytes for memory and storage: "512Mi", "4Gi", "500M", "2G", plain bytes. */
export function parseBytes(raw: unknown, field = 'memory'): Parsed<number> {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || raw < 0) return fail(`${field} ${show(raw)} must be a non-negative number of bytes`, 'write a size such as 512Mi or 4Gi');
    return Number.isInteger(raw) ? ok(raw) : fail(`${field} ${show(raw)} is not a whole number of bytes`, `write ${Math.ceil(raw)} or use a suffix such as Mi or Gi`);
  }
  if (typeof raw !== 'string') return fail(`${field} must be a quantity such as "4Gi", not ${describeType(raw)}`, 'write 4Gi, 512Mi or a number of bytes');
  const trimmed = raw.trim();
  const m = QUANTITY_RE.exec(trimmed);
  if (!m || trimmed !== raw) {
    const loose = /^\s*([+]?\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(raw);
    if (loose) return fail(`${field} ${show(raw)} is not a quantity`, byteHint(loose[1]!, loose[2]!));
    return fail(`${field} ${show(raw)} is not a quantity`, 'write a number of bytes or a number with a suffix, e.g. 512Mi, 4Gi, 500M');
  }
  const [, num, suffix] = m as unknown as [string, string, string];
  const n = Number(num);
  let mult: number;
  if (suffix === '') mult = 1;
  else if (suffix in BINARY) mult = BINARY[suffix]!;
  else if (suffix in DECIMAL) mult = DECIMAL[suffix]!;
  else if (suffix === 'm') return fail(`${field} ${show(raw)} is in millibytes`, `did you mean ${num}Mi or ${num}M?`);
  else return fail(`${field} ${show(raw)} is not a quantity`, byteHint(num, suffix));
  const bytes = n * mult;
  if (!Number.isSafeInteger(Math.round(bytes))) return fail(`${field} ${show(raw)} is too large`, 'the largest supported value is 8Pi');
  if (Math.abs(bytes - Math.round(bytes)) > 1e-6) return fail(`${field} ${show(raw)} is not a whole number of bytes`, `write ${Math.ceil(bytes)}`);
  return ok(Math.round(bytes));
}

/** CPU in millicores: 2, 0.5, "500m", "2". */
export function parseCpu(raw: unknown, field = 'cpu'): Parsed<number> {
  let millis: number;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || raw < 0) return fail(`${field} ${show(raw)} must be a non-negative number of cores`, 'write cores (2, 0.5) or millicores ("500m")');
    millis = raw * 1000;
  } else if (typeof raw === 'string') {
    const t = raw.trim();
    if (t !== raw) return fail(`${field} ${show(raw)} is not a quantity`, `remove the spaces: write ${t}`);
    if (/^\d+m$/.test(t)) millis = Number(t.slice(0, -1));
    else if (NUMBER_RE.test(t)) millis = Number(t) * 1000;
    else if (/^\d+(\.\d+)?\s*(cores?|cpus?|vcpus?)$/i.test(t)) return fail(`${field} ${show(raw)} is not a quantity`, `write ${t.replace(/[^\d.]/g, '')} (cores) or ${Number(t.replace(/[^\d.]/g, '')) * 1000}m`);
    else return fail(`${field} ${show(raw)} is not a quantity`, 'write cores (2, 0.5) or millicores ("500m")');
  } else {
    return fail(`${field} must be a number of cores or millicores, not ${describeType(raw)}`, 'write 2, 0.5 or "500m"');
  }
  if (Math.abs(millis - Math.round(millis)) > 1e-9) return fail(`${field} ${show(raw)} is finer than one millicore`, `write ${Math.ceil(millis)}m`);
  return ok(Math.round(millis));
}

/** Network bandwidth in Mbps: "100Mbps", "10Gbps", a number = Mbps. */
export function parseNetwork(raw: unknown, field = 'network'): Parsed<number> {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || raw < 0 || !Number.isInteger(raw)) return fail(`${field} ${show(raw)} must be a whole number of Mbps`, 'write e.g. 100 or "10Gbps"');
    return ok(raw);
  }
  if (typeof raw !== 'string') return fail(`${field} must be a bandwidth such as "10Gbps", not ${describeType(raw)}`, 'write "100Mbps", "10Gbps" or a number of Mbps');
  const m = /^(\d+(?:\.\d+)?)(Kbps|Mbps|Gbps|Tbps)$/.exec(raw);
  if (!m) {
    const loose = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z/]*)\s*$/.exec(raw);
    if (loose) {
      const unit = loose[2]!.toLowerCase();
      const prefix = unit[0]?.toUpperCase();
      if (prefix && 'KMGT'.includes(prefix) && /^[kmgt](b|bps|bit\/s|bits)?$/.test(unit))
        return fail(`${field} ${show(raw)} is not a bandwidth`, `write ${loose[1]}${prefix}bps`);
      if (/^[kmgt]?b\/?s$|^[kmgt]bytes?$|^[kmgt]b$/i.test(loose[2]!) && /B/.test(loose[2]!))
        return fail(`${field} ${show(raw)} is in bytes per second`, `bandwidth is in bits: write ${Number(loose[1]) * 8}${(loose[2]![0] ?? 'M').toUpperCase()}bps`);
    }
    return fail(`${field} ${show(raw)} is not a bandwidth`, 'write "100Mbps", "10Gbps" or a number of Mbps');
  }
  const mult = { Kbps: 1e-3, Mbps: 1, Gbps: 1e3, Tbps: 1e6 }[m[2] as 'Kbps'];
  const mbps = Number(m[1]) * mult;
  if (Math.abs(mbps - Math.round(mbps)) > 1e-9) return fail(`${field} ${show(raw)} is not a whole number of Mbps`, `write ${Math.ceil(mbps)}Mbps`);
  return ok(Math.round(mbps));
}

/** GPUs in millis (1000 = one device): whole devices 1, 2, … or a share of ONE device 0.25, 0.5, "500m". */
export function parseGpu(raw: unknown, field = 'gpu'): Parsed<number> {
  let millis: number;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw) || raw < 0) return fail(`${field} ${show(raw)} must be a non-negative number of devices`, 'write whole devices (1, 2) or a share of one device (0.25, 0.5)');
    millis = raw * 1000;
  } else if (typeof raw === 'string' && /^\d+m$/.test(raw)) {
    millis = Number(raw.slice(0, -1));
  } else if (typeof raw === 'string' && NUMBER_RE.test(raw)) {
    millis = Number(raw) * 1000;
  } else {
    return fail(`${field} ${show(raw)} is not a GPU count`, 'write whole devices (1, 2) or a share of one device (0.25, 0.5)');
  }
  if (Math.abs(millis - Math.round(millis)) > 1e-9)
    return fail(`${field} ${show(raw)} is finer than 1/1000 of a device`, Math.round(millis) === 0 ? 'the smallest share is 0.001 of a device ("1m"); request at least that' : `write ${Math.round(millis) / 1000}`);
  millis = Math.round(millis);
  if (millis > 1000 && millis % 1000 !== 0)
    return fail(`${field} ${show(raw)} is a share above one device`, `a share must fit inside one device: request ${Math.floor(millis / 1000)} or ${Math.ceil(millis / 1000)} whole devices, or a share below 1`);
  return ok(millis);
}

/** Extended resources and counts: non-negative integers. */
export function parseCount(raw: unknown, field: string): Parsed<number> {
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) return ok(raw);
  if (typeof raw === 'string' && /^\d+$/.test(raw)) return ok(Number(raw));
  return fail(`${field} ${show(raw)} must be a non-negative whole number`, typeof raw === 'number' ? `write ${Math.max(0, Math.ceil(raw))}` : 'write a whole number such as 1 or 2');
}

/** Parse one resource value by its YAML key into [canonicalKey, value]; `field` names it in messages (default: the key). */
export function parseResource(key: string, raw: unknown, field = key): Parsed<[string, number]> {
  const wrap = (p: Parsed<number>, canonical: string): Parsed<[string, number]> => (p.ok ? ok([canonical, p.value]) : p);
  switch (key) {
    case 'cpu': return wrap(parseCpu(raw, field), 'cpuMillis');
    case 'memory': return wrap(parseBytes(raw, field), 'memoryBytes');
    case 'storage': return wrap(parseBytes(raw, field), 'storageBytes');
    case 'network': return wrap(parseNetwork(raw, field), 'networkMbps');
    case 'gpu': return wrap(parseGpu(raw, field), 'gpuMillis');
    default: return wrap(parseCount(raw, field), key);
  }
}

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Durations: "30s", "5m", "1h", "7d", "1h30m" → seconds. */
export function parseDuration(raw: unknown, field = 'duration'): Parsed<number> {
  if (typeof raw === 'number') return fail(`${field} ${show(raw)} has no unit`, `write "${raw}s", "${raw}m" or "${raw}h"`);
  if (typeof raw !== 'string') return fail(`${field} must be a duration such as "5m", not ${describeType(raw)}`, 'write "30s", "5m", "1h" or "7d"');
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(raw)) {
    const loose = /^\s*(\d+)\s*(sec|secs|second|seconds|min|mins|minute|minutes|hr|hrs|hour|hours|day|days|week|weeks)\s*$/i.exec(raw);
    if (loose) return fail(`${field} ${show(raw)} is not a duration`, `write "${loose[1]}${loose[2]![0]!.toLowerCase() === 'w' ? 'w' : loose[2]!.toLowerCase().startsWith('mi') ? 'm' : loose[2]![0]!.toLowerCase()}"`);
    if (/^\s*\d+\s*$/.test(raw)) return fail(`${field} ${show(raw)} has no unit`, `write "${raw.trim()}s" or "${raw.trim()}m"`);
    return fail(`${field} ${show(raw)} is not a duration`, 'write "30s", "5m", "1h", "7d" or a combination such as "1h30m"');
  }
  let total = 0;
  for (const m of raw.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return ok(Math.round(total * 1000) / 1000);
}

/** Format canonical resources back into human units for messages. */
export function formatResource(key: string, value: number): string {
  switch (key) {
    case 'cpuMillis': return value % 1000 === 0 ? `${value / 1000} cpu` : `${value}m cpu`;
    case 'memoryBytes':
    case 'storageBytes': return `${formatBytes(value)} ${key === 'memoryBytes' ? 'memory' : 'storage'}`;
    case 'networkMbps': return value >= 1000 && value % 1000 === 0 ? `${value / 1000}Gbps network` : `${value}Mbps network`;
    case 'gpuMillis': return value % 1000 === 0 ? `${value / 1000} gpu` : `${value / 1000} gpu`;
    default: return `${value} ${key}`;
  }
}

/** Bytes in the largest binary unit that keeps them readable. */
export function formatBytes(bytes: number): string {
  for (const [suffix, mult] of [['Ei', 2 ** 60], ['Pi', 2 ** 50], ['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes >= mult) {
      const v = bytes / mult;
      return `${Number.isInteger(v) ? v : v.toFixed(1)}${suffix}`;
    }
  }
  return `${bytes}`;
}

const HUMAN_NAMES = new Map<string, string>(Object.entries(CANONICAL_KEYS).map(([k, v]) => [v, k]));

/** The human name of a canonical key: cpuMillis → cpu. */
export function resourceName(canonical: string): string {
  return HUMAN_NAMES.get(canonical) ?? canonical;
}
