/** Usage history (schema 3, keyed time first in 4): record, replace on re-record, ordered and filtered lists, prune, migrations from schemas 2 and 3. */
import { describe, expect, test } from 'vitest';
import type { UsageSample } from '../../src/model/usage.js';
import { rejection } from './builders.js';
import type { StoreHarness } from './harness.js';
import type { SuiteContext } from './store-suite.js';

const sample = (instance: string, at: string, use: UsageSample['use'], extra: Partial<UsageSample> = {}): UsageSample => ({
  at,
  instance,
  agent: instance.replace(/-\d+$/, ''),
  pool: 'gpu-east',
  node: 'gpu-east-0',
  use,
  ...extra,
});

/** qm_usage's primary key columns in order, and its other indexes, read from the backend's catalog. */
async function usageKeyAndIndexes(h: StoreHarness, location: string): Promise<{ key: string; indexes: string[] }> {
  if (h.name === 'sqlite') {
    const key = await h.query<{ name: string }>(location, "SELECT name FROM pragma_table_info('qm_usage') WHERE pk > 0 ORDER BY pk");
    const indexes = await h.query<{ name: string }>(location, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'qm_usage' ORDER BY name");
    return { key: key.map((r) => r.name).join(', '), indexes: indexes.map((r) => r.name) };
  }
  const [key] = await h.query<{ def: string }>(location, "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'qm_usage'::regclass AND contype = 'p'");
  const indexes = await h.query<{ name: string }>(location, "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'qm_usage' AND indexname <> 'qm_usage_pkey' ORDER BY 1");
  return { key: /^PRIMARY KEY \((.*)\)$/.exec(key?.def ?? '')?.[1] ?? `no primary key (${key?.def})`, indexes: indexes.map((r) => r.name) };
}

const SCHEMA_4_USAGE = { key: 'at, instance', indexes: ['qm_usage_by_agent', 'qm_usage_by_pool'] };

export function usageTests({ h, fresh, open }: SuiteContext): void {
  describe('usage history', () => {
    test('schema 4: qm_usage is keyed (at, instance), indexed by agent and by pool', async () => {
      const { location } = await fresh();
      expect(await usageKeyAndIndexes(h, location)).toEqual(SCHEMA_4_USAGE);
    });

    test('samples come back oldest first, then by instance (byte order), with the resources as recorded', async () => {
      const { store } = await fresh();
      await store.usage.record([
        sample('chat-2', '2026-12-01T10:01:00Z', { cpuMillis: 250.5, memoryBytes: 1073741824 }),
        sample('chat-1', '2026-12-01T10:01:00Z', { cpuMillis: 300 }),
        sample('Chat-9', '2026-12-01T10:01:00Z', { memoryBytes: 5 }, { agent: 'Chat' }),
        sample('chat-1', '2026-12-01T10:00:00Z', { cpuMillis: 100, memoryBytes: 2 ** 40, gpuMillis: 1000, 'example.com/fpga': 1, storageBytes: 7 }),
      ]);
      const all = await store.usage.list();
      expect(all.map((s) => `${s.at} ${s.instance}`)).toEqual([
        '2026-12-01T10:00:00.000Z chat-1',
        '2026-12-01T10:01:00.000Z Chat-9',
        '2026-12-01T10:01:00.000Z chat-1',
        '2026-12-01T10:01:00.000Z chat-2',
      ]);
      expect(all[0]).toEqual({
        at: '2026-12-01T10:00:00.000Z',
        instance: 'chat-1',
        agent: 'chat',
        pool: 'gpu-east',
        node: 'gpu-east-0',
        use: { cpuMillis: 100, memoryBytes: 2 ** 40, gpuMillis: 1000, 'example.com/fpga': 1, storageBytes: 7 },
      });
      // A resource not measured stays missing, never 0.
      expect(all[2]!.use).toEqual({ cpuMillis: 300 });
      expect(all[3]!.use).toEqual({ cpuMillis: 250.5, memoryBytes: 1073741824 });
    });

    test('one row per (instance, minute): recording the key again replaces it; seconds fall into their minute', async () => {
      const { store } = await fresh();
      await store.usage.record([sample('chat-1', '2026-12-01T10:00:00Z', { cpuMillis: 100, memoryBytes: 10 })]);
      await store.usage.record([sample('chat-1', '2026-12-01T10:00:41.500+00:00', { cpuMillis: 200 }, { node: 'gpu-east-1' })]);
      // Twice in one batch: the last wins.
      await store.usage.record([sample('chat-1', '2026-12-01T11:00:00Z', { cpuMillis: 1 }), sample('chat-1', '2026-12-01T11:00:00Z', { cpuMillis: 2 })]);
      const all = await store.usage.list();
      expect(all).toEqual([
        { at: '2026-12-01T10:00:00.000Z', instance: 'chat-1', agent: 'chat', pool: 'gpu-east', node: 'gpu-east-1', use: { cpuMillis: 200 } },
        { at: '2026-12-01T11:00:00.000Z', instance: 'chat-1', agent: 'chat', pool: 'gpu-east', node: 'gpu-east-0', use: { cpuMillis: 2 } },
      ]);
      await store.usage.record([]);
      expect(await store.usage.list()).toHaveLength(2);
    });

    test('filters: agent, pool, since (inclusive), until (exclusive)', async () => {
      const { store } = await fresh();
      const batch: UsageSample[] = [];
      for (let m = 0; m < 5; m++) {
        const at = `2026-12-01T10:0${m}:00Z`;
        batch.push(sample('chat-1', at, { cpuMillis: m }), sample('embed-1', at, { cpuMillis: 10 + m }, { pool: 'cpu-west' }));
      }
      await store.usage.record(batch);
      expect((await store.usage.list({ agent: 'chat' })).map((s) => s.use.cpuMillis)).toEqual([0, 1, 2, 3, 4]);
      expect((await store.usage.list({ pool: 'cpu-west' })).map((s) => s.instance)).toEqual(Array(5).fill('embed-1'));
      expect((await store.usage.list({ agent: 'chat', pool: 'cpu-west' }))).toEqual([]);
      const window = await store.usage.list({ since: '2026-12-01T10:01:00Z', until: '2026-12-01T11:03:00+01:00' });
      expect(window.map((s) => `${s.at.slice(11, 16)} ${s.instance}`)).toEqual(['10:01 chat-1', '10:01 embed-1', '10:02 chat-1', '10:02 embed-1']);
      expect(await rejection(store.usage.list({ since: 'yesterday' }))).toMatchObject({ code: 'invalid' });
    });

    test('latest: the newest sample’s time, of an agent or pool, or undefined', async () => {
      const { store } = await fresh();
      expect(await store.usage.latest()).toBeUndefined();
      await store.usage.record([
        sample('chat-1', '2026-12-01T10:05:00Z', { cpuMillis: 1 }),
        sample('chat-2', '2026-12-01T10:07:30Z', { cpuMillis: 1 }),
        sample('embed-1', '2026-12-01T11:00:00Z', { cpuMillis: 1 }, { pool: 'cpu-west' }),
      ]);
      expect(await store.usage.latest()).toBe('2026-12-01T11:00:00.000Z');
      expect(await store.usage.latest({ agent: 'chat' })).toBe('2026-12-01T10:07:00.000Z');
      expect(await store.usage.latest({ pool: 'gpu-east' })).toBe('2026-12-01T10:07:00.000Z');
      expect(await store.usage.latest({ agent: 'chat', pool: 'cpu-west' })).toBeUndefined();
      expect(await store.usage.latest({ agent: 'nobody' })).toBeUndefined();
    });

    test('prune deletes what is older than the given time and says how many', async () => {
      const { store } = await fresh();
      await store.usage.record(['10:00', '10:01', '10:02'].flatMap((t) => [sample('a-1', `2026-12-01T${t}:00Z`, { cpuMillis: 1 }), sample('b-1', `2026-12-01T${t}:00Z`, { cpuMillis: 1 })]));
      expect(await store.usage.prune('2026-12-01T10:01:30Z')).toBe(4);
      expect((await store.usage.list()).map((s) => `${s.at.slice(11, 16)} ${s.instance}`)).toEqual(['10:02 a-1', '10:02 b-1']);
      expect(await store.usage.prune('2026-12-01T10:00:00Z')).toBe(0);
    });

    test('bad samples are refused whole, naming the sample and field', async () => {
      const { store } = await fresh();
      const good = sample('chat-1', '2026-12-01T10:00:00Z', { cpuMillis: 1 });
      const negative = await rejection(store.usage.record([good, sample('chat-2', '2026-12-01T10:00:00Z', { cpuMillis: -1 })]));
      expect(negative.code).toBe('invalid');
      expect(negative.message).toBe('usage sample 1 (chat-2): use.cpuMillis must be a finite number ≥ 0, not -1');
      const nan = await rejection(store.usage.record([sample('chat-2', '2026-12-01T10:00:00Z', { memoryBytes: Number.NaN })]));
      expect(nan.message).toMatch(/use\.memoryBytes must be a finite number/);
      expect((await rejection(store.usage.record([sample('chat-2', 'soon', {})]))).message).toMatch(/usage sample 0 \(chat-2\): at is not an ISO 8601 time/);
      expect((await rejection(store.usage.record([sample('', '2026-12-01T10:00:00Z', {})]))).message).toMatch(/instance must be a non-empty string/);
      expect(await store.usage.list()).toEqual([]);
    });

    test('a large batch in one call (more than one statement on PostgreSQL)', async () => {
      const { store } = await fresh();
      const batch: UsageSample[] = [];
      for (let m = 0; m < 1200; m++) {
        const at = new Date(Date.UTC(2026, 11, 1) + m * 60_000).toISOString();
        for (let i = 0; i < 6; i++) batch.push(sample(`chat-${i}`, at, { cpuMillis: m, memoryBytes: i }));
      }
      await store.usage.record(batch);
      const chat3 = (await store.usage.list({ since: '2026-12-01T19:59:00Z' })).filter((s) => s.instance === 'chat-3');
      expect(chat3).toEqual([{ at: '2026-12-01T19:59:00.000Z', instance: 'chat-3', agent: 'chat', pool: 'gpu-east', node: 'gpu-east-0', use: { cpuMillis: 1199, memoryBytes: 3 } }]);
      expect(await store.usage.prune('2026-12-02T00:00:00Z')).toBe(7200);
    });

    test('a store of schema 2 gains the usage table and keeps its data', async () => {
      const location = await h.fresh();
      const { SQLITE_MIGRATIONS } = await import('../../src/state/sqlite/migrations.js');
      const { POSTGRES_MIGRATIONS } = await import('../../src/state/postgres/migrations.js');
      const ms = (h.name === 'sqlite' ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS).filter((m) => m.version <= 2);
      const json = h.name === 'sqlite' ? '' : '::json';
      await h.exec(
        location,
        `${ms.map((m) => m.up).join(';\n')};
        CREATE TABLE qm_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at ${h.name === 'sqlite' ? 'text' : 'timestamptz'} NOT NULL);
        INSERT INTO qm_schema_migrations VALUES (1, 'initial', '2026-11-01T00:00:00Z'), (2, 'audit-running', '2026-11-02T00:00:00Z');
        INSERT INTO qm_meta (key, value, updated_at) VALUES ('kept', '{"yes":true}'${json}, '2026-11-02T00:00:00Z');`,
      );
      const store = await open(location);
      expect(await store.schemaVersion()).toBe(4);
      expect(await store.meta.get('kept')).toEqual({ yes: true });
      await store.usage.record([sample('chat-1', '2026-12-01T10:00:00Z', { cpuMillis: 5 })]);
      expect(await store.usage.list({ agent: 'chat' })).toHaveLength(1);
    });

    test('a store of schema 3 with usage rows migrates to 4 (keyed at, instance) keeping every row', async () => {
      const location = await h.fresh();
      const { SQLITE_MIGRATIONS } = await import('../../src/state/sqlite/migrations.js');
      const { POSTGRES_MIGRATIONS } = await import('../../src/state/postgres/migrations.js');
      const sqlite = h.name === 'sqlite';
      const ms = (sqlite ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS).filter((m) => m.version <= 3);
      // Rows written straight into the schema-3 table: 3 instances × 4 minutes, inserted instance
      // first (the old key's order), one with an extra resource and one with nothing measured.
      const expected: UsageSample[] = [];
      const values: string[] = [];
      for (const instance of ['embed-1', 'chat-2', 'chat-1']) {
        for (let m = 0; m < 4; m++) {
          const at = `2026-12-01T10:0${m}:00.000Z`;
          const agent = instance.replace(/-\d+$/, '');
          const extra = instance === 'embed-1' && m === 2 ? '{"storageBytes":7}' : null;
          const empty = instance === 'chat-2' && m === 3;
          const cpu = empty ? null : 100 * m + instance.length;
          expected.push({ at, instance, agent, pool: 'gpu-east', node: 'gpu-east-0', use: { ...(cpu === null ? {} : { cpuMillis: cpu, memoryBytes: 2 ** 30 }), ...(extra ? { storageBytes: 7 } : {}) } });
          const atSql = sqlite ? String(Date.parse(at)) : `'${at}'`;
          const mem = cpu === null ? 'NULL' : String(2 ** 30);
          values.push(`('${instance}', ${atSql}, '${agent}', 'gpu-east', 'gpu-east-0', ${cpu ?? 'NULL'}, ${mem}, NULL, ${extra ? `'${extra}'` : 'NULL'})`);
        }
      }
      await h.exec(
        location,
        `${ms.map((m) => m.up).join(';\n')};
        CREATE TABLE qm_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at ${sqlite ? 'text' : 'timestamptz'} NOT NULL);
        INSERT INTO qm_schema_migrations VALUES (1, 'initial', '2026-11-01T00:00:00Z'), (2, 'audit-running', '2026-11-02T00:00:00Z'), (3, 'usage', '2026-11-03T00:00:00Z');
        INSERT INTO qm_usage (instance, at, agent, pool, node, cpu_millis, memory_bytes, gpu_millis, extra) VALUES ${values.join(', ')};`,
      );
      const store = await open(location);
      expect(await store.schemaVersion()).toBe(4);
      expect(await usageKeyAndIndexes(h, location)).toEqual(SCHEMA_4_USAGE);
      const byTime = (a: UsageSample, b: UsageSample) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0);
      expect(await store.usage.list()).toEqual([...expected].sort(byTime));
      expect((await store.usage.list({ agent: 'chat', since: '2026-12-01T10:02:00Z' })).map((s) => `${s.at.slice(11, 16)} ${s.instance}`)).toEqual([
        '10:02 chat-1',
        '10:02 chat-2',
        '10:03 chat-1',
        '10:03 chat-2',
      ]);
      expect(await store.usage.latest({ pool: 'gpu-east' })).toBe('2026-12-01T10:03:00.000Z');
      // The new key: recording a migrated (instance, minute) again replaces it, a new one adds a row.
      await store.usage.record([sample('chat-2', '2026-12-01T10:03:30Z', { cpuMillis: 42 }), sample('chat-2', '2026-12-01T10:04:00Z', { cpuMillis: 43 })]);
      expect((await store.usage.list({ agent: 'chat', since: '2026-12-01T10:03:00Z' })).map((s) => `${s.at.slice(11, 16)} ${s.instance} ${s.use.cpuMillis}`)).toEqual([
        '10:03 chat-1 306',
        '10:03 chat-2 42',
        '10:04 chat-2 43',
      ]);
      expect(await store.usage.list()).toHaveLength(13);
      expect(await store.usage.prune('2026-12-01T10:01:00Z')).toBe(3);
    });
  });
}
