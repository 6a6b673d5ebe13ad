/**
 * Open (or create) the SQLite state store. Nothing is written until the file has been read and
 * found sound and not newer than this code, so a corrupted or foreign file is left byte for byte
 * as it was.
 */
import { mkdirSync, existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { QmError } from '../../model/errors.js';
import type { OpenStateStoreOptions, StateStore } from '../store.js';
import { mapSqliteError, notADatabase } from './errors.js';
import { migrateSqlite, refuseNewer } from './migrate.js';
import { SqliteStateStore } from './store.js';

export async function openSqliteStore(file: string, opts: OpenStateStoreOptions = {}): Promise<StateStore> {
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
  const now = opts.now ?? (() => new Date());
  try {
    ensureFolder(path.dirname(file));
  } catch (err) {
    throw new QmError('state', `cannot create the folder for the state database ${file} (${(err as Error).message})`, 'check the permissions, or choose another place with --state or QM_STATE');
  }
  refuseEmptyFile(file);
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: busyTimeoutMs });
    db.pragma(`busy_timeout = ${Math.max(0, Math.round(busyTimeoutMs))}`);
    db.pragma('foreign_keys = ON');
    // The first read: a file that is not SQLite, or truncated, fails here, before any write.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    refuseNewer(db, file);
    // WAL: readers never block the writer and a crash mid-write leaves the last commit intact.
    db.pragma('journal_mode = WAL');
    // NORMAL under WAL never corrupts and survives a crash of qm itself; only a power loss or OS
    // crash can drop the last few commits (the WAL is synced at checkpoints, not per commit).
    // FULL would fsync every commit, which at one write per applied action (1,000 in a run)
    // costs more than the whole apply budget on cloud disks — and what the store holds is
    // re-observed on the next plan anyway.
    db.pragma('synchronous = NORMAL');
    migrateSqlite(db, file, now);
    return new SqliteStateStore(db, file, now, busyTimeoutMs);
  } catch (err) {
    db?.close();
    throw mapSqliteError(err, file, busyTimeoutMs);
  }
}

/** Create the store's folder; a `.qm` folder made here gets a .gitignore so state never lands in the policy repository. */
function ensureFolder(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true });
  if (path.basename(dir) === '.qm') writeFileSync(path.join(dir, '.gitignore'), '# Quartermaster state: never commit it\n*\n');
}

/**
 * Only a path that does not exist is a new store. SQLite itself takes a 0-byte file for an empty
 * database and would create the schema in it, so a state.db truncated by a full disk, a failed
 * copy or `> state.db` would silently start over: a new simulated cluster, no history, no audit
 * log, no locks. Refuse it instead. (A non-empty file that is not SQLite fails SQLite's own first
 * read, before any write.)
 */
function refuseEmptyFile(file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return; // missing: a new store (other problems surface when SQLite opens it)
  }
  if (size === 0 && statSync(file).isFile()) throw notADatabase(file, 'is an empty file (0 bytes)');
}
