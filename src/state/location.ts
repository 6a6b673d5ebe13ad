/** Where the state store lives: `--state`, else QM_STATE, else `<policy dir>/.qm/state.db`. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QmError } from '../model/errors.js';
import { redact, redactUrl as sharedRedactUrl } from '../model/redact.js';

export const DEFAULT_STATE_FILE = path.join('.qm', 'state.db');

/** Pick the store location; a relative file path from the flag or env is relative to the working directory, as a shell user expects. */
export function resolveStateLocation(
  dir: string,
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const given = nonEmpty(flag) ?? nonEmpty(env.QM_STATE);
  if (given === undefined) return path.resolve(dir, DEFAULT_STATE_FILE);
  return isPostgresUrl(given) || hasScheme(given) ? given : path.resolve(given);
}

export type ParsedLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export function parseStateLocation(location: string): ParsedLocation {
  if (isPostgresUrl(location)) return { kind: 'postgres', url: location };
  if (/^file:/i.test(location)) return { kind: 'sqlite', file: fileURLToPath(location) };
  if (hasScheme(location)) {
    const scheme = location.slice(0, location.indexOf(':'));
    throw new QmError(
      'usage',
      `the state location ${redactUrl(location)} uses the scheme "${scheme}", which Quartermaster cannot store state in`,
      'use a file path for SQLite (default .qm/state.db) or a postgres://user@host:port/db URL',
    );
  }
  return { kind: 'sqlite', file: path.resolve(location) };
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** A URL as messages may show it: the password and secret query values replaced (the path is the database's name). */
export function redactUrl(location: string): string {
  return sharedRedactUrl(location, { user: 'keep', query: 'mask', path: 'keep' }) ?? redact(location);
}

function hasScheme(location: string): boolean {
  // Two letters at least, so a Windows drive (C:\…) stays a path.
  return /^[a-z][a-z0-9+.-]+:\/\//i.test(location);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
