/**
 * PostgreSQL failures as one sentence each that names host:port (never the password) and says what
 * to check. Every failure of the database itself is a StoreFailure, so an apply stops at the first
 * one. This is the one place SQLSTATEs and connection errors are turned into words.
 */
import { QmError } from '../../model/errors.js';
import { StoreFailure } from '../failure.js';

export interface Endpoint {
  /** host:port as the URL names it, for messages. */
  where: string;
  password: string;
}

export function endpointOf(url: string): Endpoint {
  try {
    const u = new URL(url);
    const socket = u.searchParams.get('host');
    const host = socket ?? (u.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost');
    return { where: `${host}:${u.port || '5432'}`, password: decodeURIComponent(u.password) };
  } catch {
    const m = /^[a-z]+:\/\/(?:[^@/]*@)?([^/?]*)/i.exec(url);
    return { where: m?.[1] || 'localhost:5432', password: '' };
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE', 'ENOENT']);

/** The error's own words; Node's AggregateError (both address families refused) has an empty message. */
function reasonOf(err: Error, password: string): string {
  const inner = (err as { errors?: unknown }).errors;
  let reason = err.message;
  if (reason === '' && Array.isArray(inner)) reason = inner.map((e) => (e as Error).message).join('; ');
  if (reason === '') reason = String((err as { code?: unknown }).code ?? err.name);
  return password === '' ? reason : reason.split(password).join('***');
}

function isConnectionFailure(err: Error, code: string): boolean {
  return (
    NETWORK_CODES.has(code) ||
    code.startsWith('08') || // connection exception
    code.startsWith('28') || // invalid authorization
    code === '3D000' || // database does not exist
    code === '53300' || // too many connections
    code.startsWith('57P') || // shutting down, cannot connect now
    // pg's own errors carry no code: a socket closed under a query, or a client whose connection already broke.
    /connection (terminated|timeout)|not queryable|timeout exceeded when trying to connect|ECONNREFUSED|self[- ]signed|SSL/i.test(err.message)
  );
}

function connectionHint(code: string, where: string): string {
  if (code.startsWith('28')) return 'check the user and password in the URL (or PGPASSWORD, ~/.pgpass) and pg_hba.conf on the server';
  if (code === '3D000') return 'create the database (createdb NAME) or fix its name in the URL given with --state or QM_STATE';
  return `check that PostgreSQL is running and accepts TCP connections on ${where}, and the host and port in --state or QM_STATE`;
}

/**
 * Translate an error from pg. `phase` says whether the store was open already: a connection that
 * fails then is a server that "stopped answering" (restarted, stopped, the session terminated),
 * not one that was never reached.
 */
export function mapPostgresError(err: unknown, endpoint: Endpoint, phase: 'open' | 'run' = 'open'): unknown {
  if (err instanceof QmError || !(err instanceof Error)) return err;
  const code = String((err as { code?: unknown }).code ?? '');
  const reason = reasonOf(err, endpoint.password);
  if (isConnectionFailure(err, code)) {
    if (phase === 'run' && !code.startsWith('28') && code !== '3D000') {
      return new StoreFailure(
        'unreachable',
        `the state database at ${endpoint.where} stopped answering (${reason})`,
        `check that PostgreSQL is running and accepts connections on ${endpoint.where}`,
      );
    }
    return new StoreFailure('unreachable', `cannot reach the PostgreSQL state store at ${endpoint.where}: ${reason}`, connectionHint(code, endpoint.where));
  }
  if (code === '53100') {
    return new StoreFailure('full', `the disk holding the state database at ${endpoint.where} is full`, `free space on the PostgreSQL server ${endpoint.where} and run again (${reason})`);
  }
  if (code.startsWith('58') || code.startsWith('XX')) {
    return new StoreFailure('io', `the state database at ${endpoint.where} failed to read or write its files (${reason})`, `check the PostgreSQL server log and its disk on ${endpoint.where} (SQLSTATE ${code})`);
  }
  if (code === '55P03') {
    return new StoreFailure(
      'busy',
      `the PostgreSQL state store at ${endpoint.where} is busy: another process kept a row locked too long (${reason})`,
      'try again; if it persists, look for a stuck qm process (pg_stat_activity, application_name quartermaster)',
    );
  }
  if (code === '25006' || code.startsWith('42501')) {
    return new StoreFailure('denied', `the state database at ${endpoint.where} refused a write (${reason})`, 'check that the user in the URL may write the qm_* tables and that the server is not a read-only replica');
  }
  const sqlstate = /^[0-9A-Z]{5}$/.test(code) ? ` (SQLSTATE ${code})` : '';
  return new StoreFailure('failed', `the PostgreSQL state store at ${endpoint.where} failed: ${reason}${sqlstate}`);
}
