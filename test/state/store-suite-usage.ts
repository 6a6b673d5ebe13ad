/** Usage history (schema 3): record, replace on re-record, ordered and filtered lists, prune, migration from schema 2. */
import { describe, expect, test } from 'vitest';
import type { UsageSample } from '../../src/model/usage.js';
import { rejection } from './builders.js';
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

export function usageTests({ h, fresh, open }: SuiteContext): void {
  describe('usage history', () => {
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
      expect(await store.schemaVersion()).toBe(3);
      expect(await store.meta.get('kept')).toEqual({ yes: true });
      await store.usage.record([sample('chat-1', '2026-12-01T10:00:00Z', { cpuMillis: 5 })]);
      expect(await store.usage.list({ agent: 'chat' })).toHaveLength(1);
    });
  });
}
