/**
 * SQLite failures as one sentence each that names the file and says what to do; never a silent
 * reset, never a bare SQLITE_* code. Every failure of the database itself is a StoreFailure, so an
 * apply stops at the first one. This is the one place SQLite codes are turned into words.
 */
import { statfsSync } from 'node:fs';
import path from 'node:path';
import { QmError } from '../../model/errors.js';
import { StoreFailure } from '../failure.js';

/** A better-sqlite3 SqliteError (or anything with an SQLITE_* code). */
function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

export function isCorruption(err: unknown): boolean {
  const code = sqliteCode(err);
  return code !== undefined && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

export function corruptedError(file: string, reason: string): StoreFailure {
  return new StoreFailure(
    'corrupt',
    `the state database ${file} is corrupted (${reason}): Quartermaster will not read or change it`,
    `restore it from a backup, or move it away (with any ${file}-wal and ${file}-shm beside it) to start from an empty state; ` +
      'the simulated cluster, history and audit log in it are then lost',
  );
}

/** An existing file that is not an SQLite database at all (0 bytes, or another format): never taken for a new store. */
export function notADatabase(file: string, what: string): StoreFailure {
  return new StoreFailure(
    'corrupt',
    `the state database ${file} ${what}, so it is not a Quartermaster state store and is left as it is`,
    `if it held state, restore it from a backup; to start from an empty state, delete it (rm ${file}) and run again`,
  );
}

/** Less than this free on the file system: an I/O error there is a full disk (SQLite reports SQLITE_IOERR_SHMSIZE, _WRITE, … then). */
const NEARLY_FULL_BYTES = 1024 * 1024;

function diskIsFull(file: string): boolean {
  try {
    const s = statfsSync(path.dirname(file));
    return s.bavail * s.bsize < NEARLY_FULL_BYTES;
  } catch {
    return false;
  }
}

function diskFull(file: string, code: string): StoreFailure {
  return new StoreFailure(
    'full',
    `the disk holding the state database ${file} is full`,
    `free some space on it, or move the store elsewhere with --state / QM_STATE (SQLite reported ${code})`,
  );
}

/** Translate an error thrown by better-sqlite3; QmErrors and non-SQLite errors pass through. */
export function mapSqliteError(err: unknown, file: string, busyTimeoutMs: number): unknown {
  if (err instanceof QmError) return err;
  const code = sqliteCode(err);
  if (code === undefined) return err;
  const message = (err as Error).message;
  if (isCorruption(err)) return corruptedError(file, message);
  if (code === 'SQLITE_FULL' || (code.startsWith('SQLITE_IOERR') && diskIsFull(file))) return diskFull(file, code);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreFailure(
      'busy',
      `the state database ${file} is busy: another process kept it locked for more than ${busyTimeoutMs / 1000} s`,
      'try again; if it persists, look for a stuck qm process using this state file',
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return new StoreFailure('denied', `cannot open the state database ${file} (${message})`, 'check that its folder exists and is writable');
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return new StoreFailure('denied', `cannot write the state database ${file} (${message})`, 'check the permissions of the file and its folder');
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new StoreFailure(
      'io',
      `the disk holding the state database ${file} failed to read or write it`,
      `check the disk and its file system (dmesg) (SQLite reported ${code})`,
    );
  }
  return new StoreFailure('failed', `the state database ${file} failed: ${message}`, `SQLite reported ${code}; run again, and report it if it persists`);
}
