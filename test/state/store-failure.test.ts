/**
 * Store failures (issue #16): a store that fails under an apply stops it with one sentence
 * instead of one line per action; SQLite and PostgreSQL codes become sentences in one place; a
 * corrupt row is the store's fault, not the driver's; an unreadable lock expiry expires; URLs
 * with credentials in the path or userinfo are redacted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runApply } from '../../src/engine/apply.js';
import type { ActionResult } from '../../src/engine/apply.js';
import { runPlan } from '../../src/engine/plan.js';
import { StorePort } from '../../src/engine/store-port.js';
import { locksText } from '../../src/cli/commands/status.js';
import { paletteFor } from '../../src/render/color.js';
import { instantQuery } from '../../src/metrics/prometheus.js';
import { redactUrl as metricsRedactUrl } from '../../src/metrics/errors.js';
import { isExpired, isStoreFailure, openStateStore, redactUrl as stateRedactUrl } from '../../src/state/index.js';
import type { StateStore } from '../../src/state/index.js';
import { mapPostgresError } from '../../src/state/postgres/errors.js';
import { mapSqliteError } from '../../src/state/sqlite/errors.js';
import { tempRepo } from '../helpers/repo.js';
import type { TempRepo } from '../helpers/repo.js';
import { node, rejection } from './builders.js';

const NOW = '2026-11-28T10:00:00Z';
const dbOf = (store: StateStore) => (store as unknown as { db: Database.Database }).db;

describe('store failures during qm apply', () => {
  let repo: TempRepo;
  beforeAll(async () => {
    repo = await tempRepo();
    await repo.write('pools/general.yaml', 'apiVersion: quartermaster.dev/v1alpha1\nkind: Pool\nmetadata: {name: general}\nspec:\n  node: {capacity: {cpu: 64, memory: 256Gi}}\n  size: {min: 4, max: 4}\n');
    await repo.write('agents/chat.yaml', 'apiVersion: quartermaster.dev/v1alpha1\nkind: Agent\nmetadata: {name: chat}\nspec:\n  owner: support\n  replicas: 200\n  resources: {requests: {cpu: 1, memory: 1Gi}}\n');
  });
  afterAll(() => repo?.cleanup());

  test('a full disk stops the apply at the first failure: one sentence, not one line per action', async () => {
    const file = path.join(repo.dir, '.qm', 'state.db');
    const port = new StorePort(await openStateStore(file));
    try {
      const { plan } = await runPlan({ dir: repo.dir, now: NOW, store: port });
      expect(plan.actions.length).toBe(200);
      // The file may not grow any more: the next writes that need a page fail with SQLITE_FULL.
      const db = dbOf(port.store);
      db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
      const finished: ActionResult[] = [];
      const err = await rejection(runApply({ plan, dir: repo.dir, store: port, now: () => NOW, concurrency: 4, events: { finish: (_a, r) => finished.push(r) } }));
      expect(isStoreFailure(err)).toBe(true);
      expect(err.message).toBe(`the disk holding the state database ${file} is full, so the apply stopped starting actions`);
      expect(err.hint).toMatch(/^free some space on it, .*\(SQLite reported SQLITE_FULL\); then run qm plan and qm apply again/);
      expect(err.hint).toMatch(/the apply lock [0-9a-f]{16} is still held then, it expires by itself at /);
      // At most the actions in flight when the store failed report it; the rest were never started.
      const failed = finished.filter((r) => r.status === 'failed');
      expect(failed.length).toBeGreaterThanOrEqual(1);
      expect(failed.length).toBeLessThanOrEqual(4);
      expect(finished.every((r) => r.status === 'ok' || r.status === 'failed')).toBe(true);
      expect(finished.length).toBeLessThan(plan.actions.length);
      db.pragma('max_page_count = 1073741823');
      expect(await port.store.locks.list()).toEqual([]);
    } finally {
      await port.close();
    }
  });

  test('a corrupt row is a store error naming the store, table and row, not "check that the driver is reachable"', async () => {
    const file = path.join(repo.dir, 'corrupt', 'state.db');
    const port = new StorePort(await openStateStore(file));
    try {
      await port.store.cluster.putNode('sim', node('general-0', { pool: 'general' }));
      dbOf(port.store).prepare("UPDATE qm_nodes SET doc = '{\"name\": \"general-0\", trunc' WHERE name = 'general-0'").run();
      const err = await rejection(runPlan({ dir: repo.dir, now: NOW, store: port }));
      expect(err.code).toBe('state');
      expect(err.message).toBe(`the state store ${file} has a corrupt row in qm_nodes (cluster "sim", name "general-0"): its doc is not JSON ("{\\"name\\": \\"general-0\\", trunc")`);
      expect(err.hint).toMatch(/^delete or fix that row/);
      expect(`${err.message} ${err.hint}`).not.toMatch(/driver/);
      // A row that is JSON but not the node it claims to be is just as corrupt.
      dbOf(port.store).prepare("UPDATE qm_nodes SET doc = '[1, 2]' WHERE name = 'general-0'").run();
      expect((await rejection(port.store.cluster.get('sim'))).message).toMatch(/has a corrupt row in qm_nodes \(cluster "sim", name "general-0"\): its doc is not a node named "general-0"$/);
    } finally {
      await port.close();
    }
  });
});

describe('store errors become one sentence in one place', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qm-store-failure-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const sqliteError = (code: string, message: string) => Object.assign(new Error(message), { code });

  test.each([
    ['SQLITE_FULL', 'full', 'the disk holding the state database FILE is full'],
    ['SQLITE_IOERR_WRITE', 'io', 'the disk holding the state database FILE failed to read or write it'],
    ['SQLITE_IOERR_SHMSIZE', 'io', 'the disk holding the state database FILE failed to read or write it'],
    ['SQLITE_BUSY', 'busy', 'the state database FILE is busy: another process kept it locked for more than 5 s'],
    ['SQLITE_CORRUPT', 'corrupt', 'the state database FILE is corrupted (boom): Quartermaster will not read or change it'],
  ])('SQLite %s: a %s failure, the code only in the hint', (code, kind, message) => {
    const file = path.join(dir, 'state.db');
    const err = mapSqliteError(sqliteError(code, 'boom'), file, 5000);
    expect(isStoreFailure(err)).toBe(true);
    expect(err).toMatchObject({ code: 'state', kind, message: message.replace('FILE', file) });
  });

  test('PostgreSQL: a connection lost after opening is "stopped answering", before it "cannot reach"; the password never shows', () => {
    const endpoint = { where: '127.0.0.1:5432', password: 'pw-s3cret' };
    const terminated = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    expect(mapPostgresError(terminated, endpoint, 'run')).toMatchObject({ kind: 'unreachable', message: 'the state database at 127.0.0.1:5432 stopped answering (terminating connection due to administrator command)' });
    expect(mapPostgresError(new Error('Connection terminated unexpectedly'), endpoint, 'run')).toMatchObject({ message: 'the state database at 127.0.0.1:5432 stopped answering (Connection terminated unexpectedly)' });
    expect(mapPostgresError(new Error('Client has encountered a connection error and is not queryable'), endpoint, 'run')).toMatchObject({ kind: 'unreachable' });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432 pw-s3cret'), { code: 'ECONNREFUSED' });
    const atOpen = mapPostgresError(refused, endpoint) as Error;
    expect(atOpen.message).toBe('cannot reach the PostgreSQL state store at 127.0.0.1:5432: connect ECONNREFUSED 127.0.0.1:5432 ***');
    expect(mapPostgresError(Object.assign(new Error('could not extend file'), { code: '53100' }), endpoint, 'run')).toMatchObject({ kind: 'full', message: 'the disk holding the state database at 127.0.0.1:5432 is full' });
  });
});

describe('locks whose expiry cannot be read', () => {
  test('count as expired, are taken over, and qm status says why', async () => {
    expect(isExpired({ expiresAt: 'next tuesday' }, new Date(NOW))).toBe(true);
    expect(isExpired({ expiresAt: '2999-01-01T00:00:00.000Z' }, new Date(NOW))).toBe(false);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'qm-lock-expiry-'));
    const store = await openStateStore(path.join(dir, 'state.db'), { now: () => new Date(NOW) });
    try {
      const first = await store.locks.acquire('apply', 'someone', 300);
      expect(first.ok).toBe(true);
      dbOf(store).prepare("UPDATE qm_locks SET expires_at = 'never' WHERE name = 'apply'").run();
      const second = await store.locks.acquire('apply', 'me', 300);
      expect(second).toMatchObject({ ok: true, replaced: { holder: 'someone', expiresAt: 'never' } });
      const text = locksText([{ id: '0123456789abcdef', name: 'apply', holder: 'someone', acquiredAt: NOW, expiresAt: 'never', expired: true }], undefined, paletteFor({}, { NO_COLOR: '1' }));
      expect(text).toContain('its expiry "never" is not a time, so it counts as expired; the next apply takes it over');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('credentials in URLs are redacted (one helper)', () => {
  const key = 'glc_eyJvIjoiOTg3NjU0MzIxIn0aB3dE5';
  test('a Prometheus URL with a key in the path and a password in the userinfo', async () => {
    const cfg = { url: `http://reader:pa55-w0rd@prom.example:9090/api/${key}/`, timeout: 1, retries: 0 };
    const failing = (async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof fetch;
    const err = (await instantQuery(cfg, 'sum(up)', 1, { fetch: failing }).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe("Prometheus at http://prom.example:9090/api/***/api/v1/query is unreachable for query 'sum(up)' after 1 attempt: cannot connect (fetch failed)");
    expect(metricsRedactUrl(`https://u:p@metrics.example/select/0/prometheus/${key}?x=1`)).toBe('https://metrics.example/select/0/prometheus/***?…');
    // Names that are words and numbers stay readable.
    expect(metricsRedactUrl('https://prometheus-prod-01-eu-west-0.grafana.net/api/prom')).toBe('https://prometheus-prod-01-eu-west-0.grafana.net/api/prom');
    expect(metricsRedactUrl('http://127.0.0.1:9090/tenant/123e4567-e89b-12d3-a456-426614174000')).toBe('http://127.0.0.1:9090/tenant/***');
  });
  test('a PostgreSQL URL keeps the user and database, not the password or secret query values', () => {
    expect(stateRedactUrl('postgres://qm:s3cret@db:5432/qm?sslmode=require&sslpassword=x')).toBe('postgres://qm:***@db:5432/qm?sslmode=require&sslpassword=***');
    expect(stateRedactUrl('not a url qm://a:b@c')).toBe('not a url qm://a:***@c');
    expect(stateRedactUrl('postgres://qm@db/qm_test_0123456789ab')).toBe('postgres://qm@db/qm_test_0123456789ab');
  });
});
