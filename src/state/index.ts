/**
 * The state store: one contract (store.ts), two backends chosen by the location's scheme. Each
 * backend is loaded on first use, so a SQLite user never loads `pg` and vice versa.
 */
import { parseStateLocation } from './location.js';
import type { OpenStateStoreOptions, StateStore } from './store.js';

export type * from './store.js';
export { DEFAULT_STATE_FILE, isPostgresUrl, redactUrl, resolveStateLocation } from './location.js';
export { expiryUnreadable, isExpired, lockedError, lockedMessage } from './locks.js';
export { isStoreFailure, StoreFailure } from './failure.js';
export type { StoreFailureKind } from './failure.js';

/** Open the store at a file path (SQLite) or a postgres:// / postgresql:// URL, migrating it if needed. */
export async function openStateStore(location: string, opts: OpenStateStoreOptions = {}): Promise<StateStore> {
  const parsed = parseStateLocation(location);
  if (parsed.kind === 'postgres') {
    const { openPostgresStore } = await import('./postgres/open.js');
    return openPostgresStore(parsed.url, opts);
  }
  const { openSqliteStore } = await import('./sqlite/open.js');
  return openSqliteStore(parsed.file, opts);
}
