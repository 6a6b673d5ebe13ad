/**
 * A store failure: the state store itself cannot be used (its server stopped answering, its disk
 * is full or failing, a file or row in it is corrupt, another process holds it). It is a QmError
 * ('state') of its own class so callers can tell "the store is gone" from "this one write was
 * refused" (a stale revision, an orphaned instance): an apply stops launching actions at the
 * first one instead of reporting the same failure once per action.
 */
import { QmError } from '../model/errors.js';

export type StoreFailureKind = 'unreachable' | 'full' | 'io' | 'corrupt' | 'busy' | 'denied' | 'failed';

export class StoreFailure extends QmError {
  constructor(
    readonly kind: StoreFailureKind,
    message: string,
    hint?: string,
  ) {
    super('state', message, hint);
    this.name = 'StoreFailure';
  }
}

export function isStoreFailure(err: unknown): err is StoreFailure {
  return err instanceof StoreFailure;
}

/** A row the store holds but cannot read back: the store, table and row are named so it can be fixed by hand. */
export function corruptRow(location: string, table: string, row: string, problem: string): StoreFailure {
  return new StoreFailure(
    'corrupt',
    `the state store ${location} has a corrupt row in ${table} (${row}): ${problem}`,
    `delete or fix that row (sqlite3 or psql), or restore the store from a backup; the next qm plan observes the fleet again`,
  );
}

/** Decode a JSON column of one row, or say which row is corrupt. */
export function parseJsonColumn(text: unknown, location: string, table: string, row: string, column: string): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw corruptRow(location, table, row, `its ${column} is not JSON (${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)})`);
  }
}

/**
 * The error an apply ends with when the store failed under it: the store's own sentence, and a
 * hint that says how to resume and what became of the apply lock.
 */
export function applyStopped(failure: StoreFailure, lock?: { id: string; expiresAt: string }): StoreFailure {
  const lockNote = lock
    ? `; if the apply lock ${lock.id} is still held then, it expires by itself at ${lock.expiresAt} (or run \`qm force-unlock ${lock.id}\`)`
    : '; if the apply lock is still held then, it expires by itself within 5 minutes (qm status shows it and its id for `qm force-unlock`)';
  const first = failure.hint ? `${failure.hint.replace(/[.;]\s*$/, '')}; ` : '';
  return new StoreFailure(
    failure.kind,
    `${failure.message}, so the apply stopped starting actions`,
    `${first}then run qm plan and qm apply again: the fleet converges from where it stopped${lockNote}`,
  );
}
