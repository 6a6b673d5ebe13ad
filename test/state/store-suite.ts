/**
 * The one store suite both backends must pass (SQLite and PostgreSQL): every operation of the
 * StateStore contract, migrations, locks across OS processes, and crash consistency.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { OpenStateStoreOptions, StateStore } from '../../src/state/index.js';
import { rejection } from './builders.js';
import { removeCompiled, type StoreHarness } from './harness.js';
import { dataTests } from './store-suite-data.js';
import { lockAndProcessTests } from './store-suite-locks.js';
import { usageTests } from './store-suite-usage.js';

export interface SuiteContext {
  h: StoreHarness;
  /** Open a store; it is closed after the test. */
  open(location: string, opts?: OpenStateStoreOptions): Promise<StateStore>;
  /** A fresh location and a store open on it. */
  fresh(opts?: OpenStateStoreOptions): Promise<{ location: string; store: StateStore }>;
}

export function describeStore(name: string, makeHarness: () => StoreHarness): void {
  describe(`state store: ${name}`, () => {
    const h = makeHarness();
    const opened: StateStore[] = [];
    beforeAll(() => h.setup(), 60_000);
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });
    afterAll(async () => {
      removeCompiled();
      await h.teardown();
    });
    const open = async (location: string, opts?: OpenStateStoreOptions) => {
      const s = await h.open(location, opts);
      opened.push(s);
      return s;
    };
    const fresh = async (opts?: OpenStateStoreOptions) => {
      const location = await h.fresh();
      return { location, store: await open(location, opts) };
    };

    describe('migrations', () => {
      test('a new store is at the latest schema version; opening it again changes nothing', async () => {
        const { location, store } = await fresh();
        const version = await store.schemaVersion();
        expect(version).toBeGreaterThanOrEqual(1);
        await store.meta.set('kept', { yes: true });
        const again = await open(location);
        expect(await again.schemaVersion()).toBe(version);
        expect(await again.meta.get('kept')).toEqual({ yes: true });
      });

      test('stores opened at the same time migrate once', async () => {
        const location = await h.fresh();
        const stores = await Promise.all([open(location), open(location), open(location)]);
        const versions = await Promise.all(stores.map((s) => s.schemaVersion()));
        expect(new Set(versions).size).toBe(1);
      });

      test('a store written by a newer Quartermaster is refused, untouched', async () => {
        const { location, store } = await fresh();
        const version = await store.schemaVersion();
        await store.close();
        await h.exec(location, `INSERT INTO qm_schema_migrations (version, name, applied_at) VALUES (${version + 7}, 'from-the-future', '2030-01-01T00:00:00Z')`);
        const err = await rejection(h.open(location));
        expect(err.code).toBe('state');
        expect(err.message).toContain(`has schema version ${version + 7}`);
        expect(err.message).toContain(`only knows versions up to ${version}`);
        expect(err.hint).toMatch(/upgrade qm/);
      });
    });

    describe('metadata', () => {
      test('get, set, overwrite, delete', async () => {
        const { store } = await fresh();
        expect(await store.meta.get('lastReconcile')).toBeUndefined();
        await store.meta.set('lastReconcile', { at: '2026-11-28T10:00:00Z', ok: true });
        expect(await store.meta.get('lastReconcile')).toEqual({ at: '2026-11-28T10:00:00Z', ok: true });
        await store.meta.set('lastReconcile', '2026-11-28T10:10:00Z');
        expect(await store.meta.get('lastReconcile')).toBe('2026-11-28T10:10:00Z');
        await store.meta.set('list', [1, 2, 3]);
        expect(await store.meta.get('list')).toEqual([1, 2, 3]);
        expect(await store.meta.delete('lastReconcile')).toBe(true);
        expect(await store.meta.delete('lastReconcile')).toBe(false);
        expect(await store.meta.get('lastReconcile')).toBeUndefined();
      });
    });

    const ctx: SuiteContext = { h, open, fresh };
    dataTests(ctx);
    lockAndProcessTests(ctx);
    usageTests(ctx);
  });
}
