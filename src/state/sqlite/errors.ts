/** SQLite failures as QmErrors that name the file and say what to do; never a silent reset. */
import { QmError } from '../../model/errors.js';

/** A better-sqlite3 SqliteError (or anything with an SQLITE_* code). */
function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

export function isCorruption(err: unknown): boolean {
  const code = sqliteCode(err);
  return code !== undefined && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

export function corruptedError(file: string, reason: string): QmError {
  return new QmError(
    'state',
    `the state database ${file} is corrupted (${reason}): Quartermaster will not read or change it`,
    `restore it from a backup, or move it away (with any ${file}-wal and ${file}-shm beside it) to start from an empty state; ` +
      'the simulated cluster, history and audit log in it are then lost',
  );
}

/** Translate an error thrown by better-sqlite3; QmErrors and non-SQLite errors pass through. */
export function mapSqliteError(err: unknown, file: string, busyTimeoutMs: number): unknown {
  if (err instanceof QmError) return err;
  const code = sqliteCode(err);
  if (code === undefined) return err;
  const message = (err as Error).message;
  if (isCorruption(err)) return corruptedError(file, message);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new QmError(
      'state',
      `the state database ${file} is busy: another process kept it locked for more than ${busyTimeoutMs / 1000} s (${message})`,
      'try again; if it persists, look for a stuck qm process using this state file',
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return new QmError('state', `cannot open the state database ${file} (${message})`, 'check that its folder exists and is writable');
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return new QmError('state', `cannot write the state database ${file} (${message})`, 'check the permissions of the file and its folder');
  }
  if (code === 'SQLITE_FULL') {
    return new QmError('state', `cannot write the state database ${file}: the disk is full (${message})`, 'free some space and run again');
  }
  return new QmError('state', `the state database ${file} failed: ${message} (${code})`);
}
