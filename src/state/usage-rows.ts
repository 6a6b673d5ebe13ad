/**
 * Usage samples ↔ rows, shared by both backends (table qm_usage, since schema 3; keyed (minute,
 * instance) since schema 4). The three resources recommendations read are columns (cpu_millis,
 * memory_bytes, gpu_millis: NULL means "not measured", never 0) so percentiles need no JSON
 * parsing; any other key (storage, network, extended resources) goes in `extra`, a JSON object
 * with sorted keys, NULL when empty.
 */
import { QmError } from '../model/errors.js';
import type { ResourceList } from '../model/quantity.js';
import type { UsageQuery, UsageSample } from '../model/usage.js';
import { corruptRow } from './failure.js';
import { normalizeTime } from './records.js';

const MINUTE = 60_000;

/** A sample checked and split into columns; `at` is epoch milliseconds truncated to the minute. */
export interface UsageColumns {
  instance: string;
  at: number;
  agent: string;
  pool: string;
  node: string;
  cpu: number | null;
  memory: number | null;
  gpu: number | null;
  extra: string | null;
}

/** The columns as a backend reads them back (`at` as ms, ISO text or a Date; `extra` as text or parsed JSON). */
export interface UsageRow {
  instance: string;
  at: number | string | Date;
  agent: string;
  pool: string;
  node: string;
  cpu_millis: number | null;
  memory_bytes: number | null;
  gpu_millis: number | null;
  extra: unknown;
}

/** A time as a minute of the usage table: samples are per minute, so 09:00:41 and 09:00:00 are one key. */
export function usageMinute(value: string, what: string): number {
  const ms = Date.parse(normalizeTime(value, what));
  return ms - (((ms % MINUTE) + MINUTE) % MINUTE);
}

function name(value: unknown, field: string, i: number): string {
  if (typeof value !== 'string' || value === '') throw new QmError('invalid', `usage sample ${i}: ${field} must be a non-empty string, not ${JSON.stringify(value)}`);
  return value;
}

/**
 * Check and split samples; a key (instance, minute) given twice keeps the last one, as recording
 * it again would. Use values are finite numbers ≥ 0 in canonical units.
 */
export function usageColumns(samples: readonly UsageSample[]): UsageColumns[] {
  const byKey = new Map<string, UsageColumns>();
  // A batch is usually one minute for thousands of instances: convert each distinct time once.
  let lastText: unknown;
  let lastMinute = 0;
  samples.forEach((s, i) => {
    const instance = name(s.instance, 'instance', i);
    const at = s.at === lastText ? lastMinute : usageMinute(s.at, `usage sample ${i} (${instance}): at`);
    lastText = s.at;
    lastMinute = at;
    const use = s.use as ResourceList | undefined;
    if (typeof use !== 'object' || use === null || Array.isArray(use)) throw new QmError('invalid', `usage sample ${i} (${instance}): use must be a map of resources`);
    let extra: ResourceList | undefined;
    for (const key of Object.keys(use).sort()) {
      const v = use[key];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new QmError('invalid', `usage sample ${i} (${instance}): use.${key} must be a finite number ≥ 0, not ${JSON.stringify(v)}`, 'report use in canonical units (cpuMillis, memoryBytes, gpuMillis)');
      }
      if (key !== 'cpuMillis' && key !== 'memoryBytes' && key !== 'gpuMillis') (extra ??= {})[key] = v;
    }
    const row: UsageColumns = {
      instance,
      at,
      agent: name(s.agent, 'agent', i),
      pool: name(s.pool, 'pool', i),
      node: name(s.node, 'node', i),
      cpu: use.cpuMillis ?? null,
      memory: use.memoryBytes ?? null,
      gpu: use.gpuMillis ?? null,
      extra: extra ? JSON.stringify(extra) : null,
    };
    const key = `${instance}\0${at}`;
    byKey.delete(key);
    byKey.set(key, row);
  });
  return [...byKey.values()];
}

/** A query's bounds as epoch milliseconds (since inclusive, until exclusive), filters kept. */
export function usageBounds(q: UsageQuery): { agent?: string; pool?: string; since?: number; until?: number } {
  return {
    ...(q.agent !== undefined ? { agent: q.agent } : {}),
    ...(q.pool !== undefined ? { pool: q.pool } : {}),
    ...(q.since !== undefined ? { since: Date.parse(normalizeTime(q.since, 'since')) } : {}),
    ...(q.until !== undefined ? { until: Date.parse(normalizeTime(q.until, 'until')) } : {}),
  };
}

// Rows come ordered by time, many to a minute: convert each minute once.
let lastAt: number | undefined;
let lastIso = '';
function isoOf(at: UsageRow['at']): string {
  const ms = at instanceof Date ? at.getTime() : typeof at === 'string' ? Date.parse(at) : at;
  if (ms !== lastAt) {
    lastAt = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** A row back to a sample: the column resources first (cpu, memory, gpu), then the extra keys sorted. */
export function usageSample(r: UsageRow, location: string): UsageSample {
  const at = isoOf(r.at);
  const use: ResourceList = {};
  if (r.cpu_millis !== null) use.cpuMillis = Number(r.cpu_millis);
  if (r.memory_bytes !== null) use.memoryBytes = Number(r.memory_bytes);
  if (r.gpu_millis !== null) use.gpuMillis = Number(r.gpu_millis);
  if (r.extra !== null && r.extra !== undefined) {
    let extra: unknown = r.extra;
    const row = `instance ${JSON.stringify(r.instance)}, at ${at}`;
    if (typeof extra === 'string') {
      try {
        extra = JSON.parse(extra) as unknown;
      } catch {
        throw corruptRow(location, 'qm_usage', row, 'its extra is not JSON');
      }
    }
    if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) throw corruptRow(location, 'qm_usage', row, 'its extra is not a map of resources');
    for (const [k, v] of Object.entries(extra)) {
      if (typeof v !== 'number') throw corruptRow(location, 'qm_usage', row, `its extra ${k} is not a number`);
      use[k] = v;
    }
  }
  return { at, instance: r.instance, agent: r.agent, pool: r.pool, node: r.node, use };
}
