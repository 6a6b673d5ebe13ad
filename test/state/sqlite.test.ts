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

  test('a folder that cannot be created is a clear error naming the file', async () => {
    const blocker = path.join(dir, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const err = await refused(path.join(blocker, '.qm', 'state.db'));
    expect(err.code).toBe('state');
    expect(err.message).toContain(`cannot create the folder for the state database ${path.join(blocker, '.qm', 'state.db')}`);
    expect(existsSync(path.join(blocker, '.qm'))).toBe(false);
  });
});
