/** PostgreSQL failures as QmErrors that name host:port (never the password) and say what to check. */
import { QmError } from '../../model/errors.js';

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
    /connection (terminated|timeout)|timeout exceeded when trying to connect|ECONNREFUSED|self[- ]signed|SSL/i.test(err.message)
  );
}

function connectionHint(code: string, where: string): string {
  if (code.startsWith('28')) return 'check the user and password in the URL (or PGPASSWORD, ~/.pgpass) and pg_hba.conf on the server';
  if (code === '3D000') return 'create the database (createdb NAME) or fix its name in the URL given with --state or QM_STATE';
  return `check that PostgreSQL is running and accepts TCP connections on ${where}, and the host and port in --state or QM_STATE`;
}

export function mapPostgresError(err: unknown, endpoint: Endpoint): unknown {
  if (err instanceof QmError || !(err instanceof Error)) return err;
  const code = String((err as { code?: unknown }).code ?? '');
  const reason = reasonOf(err, endpoint.password);
  if (isConnectionFailure(err, code)) {
    return new QmError('state', `cannot reach the PostgreSQL state store at ${endpoint.where}: ${reason}`, connectionHint(code, endpoint.where));
  }
  if (code === '55P03') {
    return new QmError(
      'state',
      `the PostgreSQL state store at ${endpoint.where} is busy: another process kept a row locked too long (${reason})`,
      'try again; if it persists, look for a stuck qm process (pg_stat_activity, application_name quartermaster)',
    );
  }
  const sqlstate = /^[0-9A-Z]{5}$/.test(code) ? ` (SQLSTATE ${code})` : '';
  return new QmError('state', `the PostgreSQL state store at ${endpoint.where} failed: ${reason}${sqlstate}`);
}
