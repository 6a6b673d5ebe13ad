/**
 * Bring a PostgreSQL store's schema up to date. Each migration runs in its own transaction, all
 * under an advisory lock, so runners opening a fresh database at once apply it exactly once.
 */
import type { PoolClient } from 'pg';
import { latestVersion, MIGRATIONS_TABLE, schemaTooNew } from '../migrate.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';

/** "qmmig" as a number: the advisory lock migrations serialise on. */
const MIGRATION_LOCK = 0x716d6d6967;

export async function readSchemaVersion(client: PoolClient): Promise<number> {
  const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [MIGRATIONS_TABLE]);
  if (exists.rows[0]?.t == null) return 0;
  const r = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${MIGRATIONS_TABLE}`);
  return r.rows[0]?.v ?? 0;
}

async function refuseNewer(client: PoolClient, location: string): Promise<number> {
  const found = await readSchemaVersion(client);
  const known = latestVersion(POSTGRES_MIGRATIONS);
  if (found > known) throw schemaTooNew(location, found, known);
  return found;
}

export async function migratePostgres(client: PoolClient, location: string, now: () => Date): Promise<void> {
  // Read before any write: a newer store is refused untouched.
  if ((await refuseNewer(client, location)) >= latestVersion(POSTGRES_MIGRATIONS)) return;
  // A session lock taken before BEGIN, not a transaction lock taken after it: a transaction
  // that starts once the lock is ours sees the catalog as the previous holder left it (the
  // catalog caches are refreshed at transaction start, not when an advisory lock is granted).
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    for (const m of [...POSTGRES_MIGRATIONS].sort((a, b) => a.version - b.version)) {
      await client.query('BEGIN');
      try {
        if ((await refuseNewer(client, location)) < m.version) {
          await client.query(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`);
          await client.query(m.up);
          await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES ($1, $2, $3)`, [m.version, m.name, now().toISOString()]);
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
  }
}
