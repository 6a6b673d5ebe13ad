/**
 * Versioned schema migrations, shared shape for both backends. Each backend lists its SQL per
 * version (the two lists must agree on versions and names; a test checks it); a store whose
 * schema is newer than the newest migration here was written by a newer Quartermaster and is
 * refused without being touched.
 */
import { QmError } from '../model/errors.js';

export interface Migration {
  version: number;
  name: string;
  /** One or more statements, run in one transaction with the version row. */
  up: string;
}

/** Prefixed so a PostgreSQL database shared with other tools (Rails, golang-migrate, …) cannot collide. */
export const MIGRATIONS_TABLE = 'qm_schema_migrations';

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

export function schemaTooNew(location: string, found: number, known: number): QmError {
  return new QmError(
    'state',
    `the state store ${location} has schema version ${found}, but this Quartermaster only knows versions up to ${known}: ` +
      'a newer Quartermaster wrote it, so this one leaves it untouched',
    'upgrade qm to the version your team uses, or point --state / QM_STATE at another store',
  );
}
