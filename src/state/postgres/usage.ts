/** The usage history on PostgreSQL (schema 4, qm_usage keyed (at, instance)): the store's query and transaction plumbing, usage's SQL. */
import type { UsageQuery, UsageSample, UsageStore } from '../../model/usage.js';
import { normalizeTime } from '../records.js';
import { usageBounds, usageColumns, usageSample, type UsageColumns, type UsageRow } from '../usage-rows.js';
import type { Query } from './store.js';

const CHUNK = 5000;

export function postgresUsage(query: Query, tx: <T>(fn: (q: Query) => Promise<T>) => Promise<T>, location: string): UsageStore {
  return {
    record: async (samples) => {
      const rows = usageColumns(samples);
      if (rows.length > 0) await tx((q) => recordUsage(q, rows));
    },
    list: (q) => listUsage(query, q ?? {}, location),
    latest: async (q = {}) => {
      const where: string[] = [];
      const params: unknown[] = [];
      for (const [column, value] of [['agent', q.agent], ['pool', q.pool]] as const) {
        if (value === undefined) continue;
        params.push(value);
        where.push(`${column} = $${params.length}`);
      }
      const [row] = await query<{ at: Date | null }>(`SELECT max(at) AS at FROM qm_usage ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`, params);
      return row?.at ? row.at.toISOString() : undefined;
    },
    prune: async (before) => {
      const [row] = await query<{ n: string }>('WITH d AS (DELETE FROM qm_usage WHERE at < $1 RETURNING 1) SELECT count(*) AS n FROM d', [normalizeTime(before, 'prune before')]);
      return Number(row?.n ?? 0);
    },
  };
}

/** A few thousand rows per statement (unnest of column arrays): one round trip each, far below the parameter limit. */
async function recordUsage(q: Query, rows: readonly UsageColumns[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const col = <T>(f: (r: UsageColumns) => T) => chunk.map(f);
    await q(
      'INSERT INTO qm_usage (instance, at, agent, pool, node, cpu_millis, memory_bytes, gpu_millis, extra) ' +
        'SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::float8[], $9::json[]) ' +
        'ON CONFLICT (at, instance) DO UPDATE SET agent = excluded.agent, pool = excluded.pool, node = excluded.node, ' +
        'cpu_millis = excluded.cpu_millis, memory_bytes = excluded.memory_bytes, gpu_millis = excluded.gpu_millis, extra = excluded.extra',
      [
        col((r) => r.instance),
        col((r) => new Date(r.at).toISOString()),
        col((r) => r.agent),
        col((r) => r.pool),
        col((r) => r.node),
        col((r) => r.cpu),
        col((r) => r.memory),
        col((r) => r.gpu),
        col((r) => r.extra),
      ],
    );
  }
}

async function listUsage(query: Query, q: UsageQuery, location: string): Promise<UsageSample[]> {
  const b = usageBounds(q);
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(`${sql} $${params.length}`);
  };
  if (b.agent !== undefined) add('agent =', b.agent);
  if (b.pool !== undefined) add('pool =', b.pool);
  if (b.since !== undefined) add('at >=', new Date(b.since).toISOString());
  if (b.until !== undefined) add('at <', new Date(b.until).toISOString());
  const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const rows = await query<UsageRow>(`SELECT * FROM qm_usage ${filter} ORDER BY at, instance COLLATE "C"`, params);
  return rows.map((r) => usageSample(r, location));
}
