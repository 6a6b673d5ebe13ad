/** Metric fetching failures: I/O, so exceptions with a code (STYLE rule 4); the autoscaler turns them into warnings. */
import { QmError } from '../model/errors.js';
import { redactUrl as sharedRedactUrl } from '../model/redact.js';

/** Why a fetch failed: the source cannot be reached (later queries to it are skipped), or this one query or its data is wrong. */
export type MetricFailure = 'unreachable' | 'rejected' | 'config' | 'data';

export class MetricFetchError extends QmError {
  constructor(
    message: string,
    hint?: string,
    readonly failure: MetricFailure = 'data',
  ) {
    super('io', message, hint);
    this.name = 'MetricFetchError';
  }
}

/** A URL fit for messages, warnings and plans: no user, password, query string (tokens live there) or secret-looking path segment. */
export function redactUrl(url: string): string {
  return sharedRedactUrl(url) ?? '(an invalid URL)';
}

/** Replace `${env:NAME}` with the environment's value; a missing variable is an error naming it. */
export function resolveEnv(text: string, env: Readonly<Record<string, string | undefined>>, where: string): string {
  return text.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') throw new MetricFetchError(`${where} references the environment variable ${name}, which is not set`, `export ${name} before running qm`, 'config');
    return v;
  });
}
