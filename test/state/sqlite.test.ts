/** The shared suite on SQLite, plus what only a file can do wrong: corruption, folders, pragmas. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { QmError } from '../../src/model/errors.js';
import { openStateStore, resolveStateLocation } from '../../src/state/index.js';
import { sqliteHarness } from './harness.js';
import { node } from './builders.js';
import { describeStore } from './store-suite.js';

describeStore('sqlite', sqliteHarness);

describe('state store: sqlite files', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qm-sqlite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function refused(file: string): Promise<QmError> {
    const err = await openStateStore(file).then(
      (s) => s.close().then(() => undefined),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(QmError);
    return err as QmError;
  }

  async function populated(name: string): Promise<string> {
    const file = path.join(dir, name, 'state.db');
    const store = await openStateStore(file);
    await store.cluster.write('default', Array.from({ length: 500 }, (_, i) => ({ op: 'putNode' as const, node: node(`n-${i}`) })));
    await store.close();
    return file;
  }

  test.each([
    ['random bytes', (file: string) => writeFileSync(file, randomBytes(16384)), 'file is not a database'],
    ['a truncated database', (file: string) => truncateSync(file, Math.floor(readFileSync(file).length / 2)), 'database disk image is malformed'],
    ['a database cut inside its header', (file: string) => truncateSync(file, 60), 'database disk image is malformed'],
  ])('%s: a clear error, and the file is left byte for byte as it was', async (_what, damage, sqliteMessage) => {
    const file = await populated(`corrupt-${randomBytes(3).toString('hex')}`);
    damage(file);
    const before = readFileSync(file);
    const filesBefore = readdirSync(path.dirname(file));
    const err = await refused(file);
    expect(err.code).toBe('state');
    expect(err.message).toBe(`the state database ${file} is corrupted (${sqliteMessage}): Quartermaster will not read or change it`);
    expect(err.hint).toMatch(/restore it from a backup, or move it away/);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(path.dirname(file))).toEqual(filesBefore);
  });

  test('a 0-byte file is refused, not taken for a new store (history, audit and locks would be lost)', async () => {
    const file = path.join(dir, 'empty', 'state.db');
    mkdirSync(path.dirname(file));
    writeFileSync(file, '');
    const err = await refused(file);
    expect(err.code).toBe('state');
    expect(err.message).toBe(`the state database ${file} is an empty file (0 bytes), so it is not a Quartermaster state store and is left as it is`);
    expect(err.hint).toBe(`if it held state, restore it from a backup; to start from an empty state, delete it (rm ${file}) and run again`);
    expect(readFileSync(file).length).toBe(0);
    expect(readdirSync(path.dirname(file))).toEqual(['state.db']);
  });

  test('a file that is not SQLite is refused with one sentence and a hint, untouched', async () => {
    const file = path.join(dir, 'text', 'state.db');
    mkdirSync(path.dirname(file));
    writeFileSync(file, 'not a database\n');
    const err = await refused(file);
    expect(err.message).toBe(`the state database ${file} is corrupted (file is not a database): Quartermaster will not read or change it`);
    expect(err.hint).toMatch(/^restore it from a backup, or move it away/);
    expect(readFileSync(file, 'utf8')).toBe('not a database\n');
  });

  test('a newer schema is refused without a byte changing', async () => {
    const file = await populated('newer');
    const db = new Database(file);
    db.exec("INSERT INTO qm_schema_migrations VALUES (999, 'future', '2030-01-01T00:00:00Z')");
    db.close();
    const before = readFileSync(file);
    const err = await refused(file);
    expect(err.message).toContain('schema version 999');
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  test('the default location is <dir>/.qm/state.db, created with a .gitignore, in WAL mode with foreign keys', async () => {
    const policyDir = path.join(dir, 'policies');
    const file = resolveStateLocation(policyDir, undefined, {});
    expect(file).toBe(path.join(policyDir, '.qm', 'state.db'));
    const store = await openStateStore(file);
    expect(store.location).toBe(file);
    expect(store.backend).toBe('sqlite');
    await store.close();
    expect(readFileSync(path.join(policyDir, '.qm', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    const db = new Database(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE sql LIKE '%REFERENCES qm_nodes%'").get()).toEqual({ n: 1 });
    db.close();
  });

  test('every query on qm_usage the store runs uses its key or an index, and none sorts (EXPLAIN QUERY PLAN)', async () => {
    const file = path.join(dir, 'usage-plans', 'state.db');
    const store = await openStateStore(file);
    // The SQL the store really prepares, caught on its way to better-sqlite3.
    const seen: string[] = [];
    const prepare = Database.prototype.prepare;
    Database.prototype.prepare = function (this: Database.Database, sql: string) {
      if (sql.includes('qm_usage')) seen.push(sql);
      return prepare.call(this, sql);
    } as typeof prepare;
    const plans: Record<string, string> = {};
    let recorded: string[] = [];
    const call = async (what: string, run: () => Promise<unknown>) => {
      seen.length = 0;
      await run();
      if (what === 'record') recorded = [...seen];
      const db = new Database(file, { readonly: true });
      plans[what] = seen
        .map((sql) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array<number>((sql.match(/\?/g) ?? []).length).fill(1)) as Array<{ detail: string }>).map((r) => r.detail).join('; '))
        .join(' / ');
      db.close();
    };
    try {
      await call('record', () => store.usage.record([{ at: '2026-12-01T10:00:00Z', instance: 'chat-1', agent: 'chat', pool: 'gpu', node: 'n-0', use: { cpuMillis: 1 } }]));
      await call('list all', () => store.usage.list());
      await call('list by agent', () => store.usage.list({ agent: 'chat' }));
      await call('list by pool', () => store.usage.list({ pool: 'gpu' }));
      await call('list by agent since', () => store.usage.list({ agent: 'chat', since: '2026-12-01T00:00:00Z', until: '2026-12-02T00:00:00Z' }));
      await call('list by time', () => store.usage.list({ since: '2026-12-01T00:00:00Z', until: '2026-12-02T00:00:00Z' }));
      await call('latest', () => store.usage.latest());
      await call('latest by agent', () => store.usage.latest({ agent: 'chat' }));
      await call('latest by pool', () => store.usage.latest({ pool: 'gpu' }));
      await call('prune', () => store.usage.prune('2026-11-01T00:00:00Z'));
    } finally {
      Database.prototype.prepare = prepare;
      await store.close();
    }
    expect(recorded).toEqual([expect.stringContaining('ON CONFLICT (at, instance) DO UPDATE')]);
    expect(plans).toEqual({
      record: '', // an INSERT has no plan; its ON CONFLICT target is the primary key
      'list all': 'SCAN qm_usage', // the whole table, in key order (at, instance): no sort
      'list by agent': 'SEARCH qm_usage USING INDEX qm_usage_by_agent (agent=?)',
      'list by pool': 'SEARCH qm_usage USING INDEX qm_usage_by_pool (pool=?)',
      'list by agent since': 'SEARCH qm_usage USING INDEX qm_usage_by_agent (agent=? AND at>? AND at<?)',
      'list by time': 'SEARCH qm_usage USING PRIMARY KEY (at>? AND at<?)',
      latest: 'SEARCH qm_usage USING PRIMARY KEY',
      'latest by agent': 'SEARCH qm_usage USING COVERING INDEX qm_usage_by_agent (agent=?)',
      'latest by pool': 'SEARCH qm_usage USING COVERING INDEX qm_usage_by_pool (pool=?)',
      prune: 'SEARCH qm_usage USING PRIMARY KEY (at<?)',
    });
  });

  test('a folder that cannot be created is a clear error naming the file', async () => {
    const blocker = path.join(dir, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const err = await refused(path.join(blocker, '.qm', 'state.db'));
    expect(err.code).toBe('state');
    expect(err.message).toContain(`cannot create the folder for the state database ${path.join(blocker, '.qm', 'state.db')}`);
    expect(existsSync(path.join(blocker, '.qm'))).toBe(false);
  });
});
