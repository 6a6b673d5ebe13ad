/** Open the PostgreSQL state store: a small pool, the schema checked and migrated on the way in. */
import pg from 'pg';
import { redactUrl } from '../location.js';
import type { OpenStateStoreOptions, StateStore } from '../store.js';
import { endpointOf, mapPostgresError } from './errors.js';
import { migratePostgres } from './migrate.js';
import { PostgresStateStore } from './store.js';

export async function openPostgresStore(url: string, opts: OpenStateStoreOptions = {}): Promise<StateStore> {
  const endpoint = endpointOf(url);
  const location = redactUrl(url);
  const now = opts.now ?? (() => new Date());
  const pool = new pg.Pool({
    connectionString: url,
    // A CLI run does a handful of statements at a time; a reconcile loop holds a few. Keep the
    // footprint small on a server that many CI runners share.
    max: opts.poolMax ?? 4,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
    application_name: 'quartermaster',
    // Like SQLite's busy_timeout: wait this long for another writer's row lock, then say so.
    lock_timeout: opts.busyTimeoutMs ?? 5000,
    // A qm process frozen inside a transaction must not hold its row locks forever.
    idle_in_transaction_session_timeout: 60_000,
  });
  // A connection the server drops (restart, shutdown, pg_terminate_backend) makes pg emit 'error'
  // on its client, and an 'error' event without a listener kills the process with a stack trace.
  // The pool listens while a client is idle; a client checked out for a transaction has no
  // listener unless we add one. The failure itself still reaches the query that was running (or
  // the next one on that client), which turns it into a StoreFailure.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    const client = await pool.connect();
    try {
      await migratePostgres(client, location, now);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw mapPostgresError(err, endpoint);
  }
  return new PostgresStateStore(pool, location, endpoint, now);
}
