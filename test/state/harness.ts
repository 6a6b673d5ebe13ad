/**
 * Backends for the shared store suite, and the plumbing to run a store in a separate OS process:
 * src/state is transpiled (TypeScript's own transpileModule) into node_modules/.cache so a plain
 * `node` child can import it and resolve better-sqlite3 and pg from the project.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import ts from 'typescript';
import { openStateStore } from '../../src/state/index.js';
import type { OpenStateStoreOptions, StateStore } from '../../src/state/index.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHILD = path.join(ROOT, 'test', 'state', 'fixtures', 'store-child.mjs');

export interface StoreHarness {
  readonly name: string;
  /** Prepare once (e.g. create the test database). */
  setup(): Promise<void>;
  /** A fresh, empty store location for one test. */
  fresh(): Promise<string>;
  open(location: string, opts?: OpenStateStoreOptions): Promise<StateStore>;
  /** Run raw SQL against a location, behind the store's back. */
  exec(location: string, sql: string): Promise<void>;
  /** Rows of one query against a location, behind the store's back (catalog checks). */
  query<T = Record<string, unknown>>(location: string, sql: string): Promise<T[]>;
  /** Hold the store's write lock from another connection until the returned function is called. */
  holdWriteLock(location: string): Promise<() => Promise<void>>;
  teardown(): Promise<void>;
}

export function sqliteHarness(): StoreHarness {
  let dir = '';
  return {
    name: 'sqlite',
    async setup() {
      dir = mkdtempSync(path.join(os.tmpdir(), 'qm-state-'));
    },
    async fresh() {
      return path.join(mkdtempSync(path.join(dir, 't-')), 'state.db');
    },
    open: (location, opts) => openStateStore(location, opts),
    async exec(location, sql) {
      const db = new Database(location);
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    },
    async query<T>(location: string, sql: string) {
      const db = new Database(location, { readonly: true });
      try {
        return db.prepare(sql).all() as T[];
      } finally {
        db.close();
      }
    },
    async holdWriteLock(location) {
      const db = new Database(location);
      db.exec('BEGIN IMMEDIATE');
      return async () => {
        db.exec('ROLLBACK');
        db.close();
      };
    },
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Each run gets its own database (dropped afterwards), each test its own schema in it. */
export function postgresHarness(adminUrl: string): StoreHarness {
  const database = `qm_test_${randomBytes(6).toString('hex')}`;
  const testDbUrl = new URL(adminUrl);
  testDbUrl.pathname = `/${database}`;
  let admin: pg.Client | undefined;
  let n = 0;
  const withSchema = (schema: string) => {
    const u = new URL(testDbUrl);
    u.searchParams.set('options', `-c search_path=${schema}`);
    return u.toString();
  };
  const schemaOf = (location: string) => /search_path=(\w+)/.exec(new URL(location).searchParams.get('options') ?? '')?.[1] ?? 'public';
  return {
    name: 'postgres',
    async setup() {
      const root = new pg.Client({ connectionString: adminUrl });
      await root.connect();
      try {
        await root.query(`CREATE DATABASE ${database}`);
      } finally {
        await root.end();
      }
      admin = new pg.Client({ connectionString: testDbUrl.toString() });
      await admin.connect();
    },
    async fresh() {
      const schema = `s${++n}_${randomBytes(3).toString('hex')}`;
      await admin?.query(`CREATE SCHEMA ${schema}`);
      return withSchema(schema);
    },
    open: (location, opts) => openStateStore(location, opts),
    async exec(location, sql) {
      await admin?.query(`SET search_path TO ${schemaOf(location)}; ${sql}; RESET search_path`);
    },
    async query<T>(location: string, sql: string) {
      await admin?.query(`SET search_path TO ${schemaOf(location)}`);
      try {
        return ((await admin?.query(sql))?.rows ?? []) as T[];
      } finally {
        await admin?.query('RESET search_path');
      }
    },
    async holdWriteLock(location) {
      const client = new pg.Client({ connectionString: location });
      await client.connect();
      await client.query('BEGIN');
      await client.query('LOCK TABLE qm_locks, qm_clusters IN EXCLUSIVE MODE');
      return async () => {
        await client.query('ROLLBACK');
        await client.end();
      };
    },
    async teardown() {
      await admin?.end();
      const root = new pg.Client({ connectionString: adminUrl });
      await root.connect();
      try {
        await root.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      } finally {
        await root.end();
      }
    },
  };
}

let compiled: string | undefined;

/** Transpile src/state (and the model it imports) once per test file; returns the index.js to import. */
export function compiledStateModule(): string {
  if (compiled) return compiled;
  const out = path.join(ROOT, 'node_modules', '.cache', 'qm-state-test', `${process.pid}-${randomBytes(4).toString('hex')}`);
  const files = [path.join(ROOT, 'src', 'model', 'errors.ts'), path.join(ROOT, 'src', 'model', 'redact.ts'), ...walk(path.join(ROOT, 'src', 'state'))];
  for (const file of files) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      fileName: file,
    });
    const target = path.join(out, path.relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  writeFileSync(path.join(out, 'package.json'), '{"type":"module"}\n');
  compiled = path.join(out, 'src', 'state', 'index.js');
  return compiled;
}

export function removeCompiled(): void {
  if (!compiled) return;
  const out = path.resolve(compiled, '..', '..', '..');
  rmSync(out, { recursive: true, force: true });
  try {
    rmdirSync(path.dirname(out)); // only when empty: another test file may be using its own copy
  } catch {
    // not empty
  }
  compiled = undefined;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return walk(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

export interface Child {
  proc: ChildProcessWithoutNullStreams;
  /** Resolves with the next line the child prints. */
  nextLine(): Promise<string>;
  exited: Promise<number | null>;
  stderr(): string;
}

/** Start a store child process (see fixtures/store-child.mjs). */
export function startChild(location: string, args: string[]): Child {
  const proc = spawn(process.execPath, [CHILD, compiledStateModule(), location, ...args], { stdio: 'pipe' });
  let err = '';
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else lines.push(line);
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    nextLine: () =>
      new Promise<string>((resolve, reject) => {
        const ready = lines.shift();
        if (ready !== undefined) return resolve(ready);
        waiting.push(resolve);
        void exited.then((code) => reject(new Error(`child exited (${code}) before printing a line: ${err}`)));
      }),
    exited,
    stderr: () => err,
  };
}
