/** Bring an SQLite store's schema up to date, one transaction per migration; refuse a newer one. */
import type { Database } from 'better-sqlite3';
import { latestVersion, MIGRATIONS_TABLE, schemaTooNew } from '../migrate.js';
import { SQLITE_MIGRATIONS } from './migrations.js';

/** The highest applied migration, 0 for a fresh file. Reads only. */
export function readSchemaVersion(db: Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(MIGRATIONS_TABLE);
  if (table === undefined) return 0;
  const row = db.prepare(`SELECT max(version) AS v FROM ${MIGRATIONS_TABLE}`).get() as { v: number | null };
  return row.v ?? 0;
}

/** Throws before writing anything when the store is newer than this code. */
export function refuseNewer(db: Database, file: string): number {
  const found = readSchemaVersion(db);
  const known = latestVersion(SQLITE_MIGRATIONS);
  if (found > known) throw schemaTooNew(file, found, known);
  return found;
}

export function migrateSqlite(db: Database, file: string, now: () => Date): void {
  for (const m of [...SQLITE_MIGRATIONS].sort((a, b) => a.version - b.version)) {
    // Re-read inside the write lock: another process may have migrated meanwhile.
    db.transaction(() => {
      const found = refuseNewer(db, file);
      if (found >= m.version) return;
      db.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
      db.exec(m.up);
      db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`).run(m.version, m.name, now().toISOString());
    }).immediate();
  }
}
