/**
 * The one redaction helper: tokens and passwords never reach a log, an error message, a warning,
 * a comment or a plan file. GitHub (tokens in text), the metric sources (Prometheus URLs) and the
 * state store (PostgreSQL URLs) all redact through here.
 */

const TOKEN_PATTERNS = [
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g, // classic and fine-grained personal, OAuth, app and refresh tokens
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\b(authorization:\s*(?:token|bearer)\s+)\S+/gi,
  /([a-z][a-z0-9+.-]*:\/\/[^:/\s@]*:)[^@/\s]+(?=@)/gi, // user:password@ in URLs of any scheme
];

/** Replace every given secret, anything shaped like a GitHub token and URL passwords with "***". */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  for (const re of TOKEN_PATTERNS) out = out.replace(re, (_m, keep: unknown) => (typeof keep === 'string' ? `${keep}***` : '***'));
  return out;
}

/**
 * A path segment that looks like a credential rather than a name: long, letters mixed with
 * digits, and not a run of short words ("prometheus-prod-01-eu-west-0" stays, a 32-character
 * key, a UUID or "glpat-…" goes). Hosted metric services put API keys and tenant secrets in
 * the path (https://host/api/<key>/api/v1/query).
 */
export function looksLikeSecret(segment: string): boolean {
  let s: string;
  try {
    s = decodeURIComponent(segment);
  } catch {
    s = segment;
  }
  if (s.length < 16 || !/^[A-Za-z0-9._~+=:-]+$/.test(s) || !/\d/.test(s) || !/[A-Za-z]/.test(s)) return false;
  const longest = Math.max(...s.split(/[-_.~:]/).map((p) => p.length));
  return longest >= 12 || /^(glpat|glc|xox[abp]|sk|pk|api|key|token)[-_]/i.test(s);
}

export interface RedactUrlOptions {
  /** 'keep': `user:***@` (the user name helps to debug a database login); 'drop' (default): no userinfo at all. */
  user?: 'keep' | 'drop';
  /** 'drop' (default): the query string becomes `?…`; 'mask': values of keys that name a secret become ***. */
  query?: 'drop' | 'mask';
  /** 'mask' (default): secret-looking path segments become ***; 'keep': the path is a name (a database), shown as is. */
  path?: 'mask' | 'keep';
}

const SECRET_KEY = /pass|token|secret|key|auth|sig|cred/i;

/** A URL fit for messages, warnings and plan files; undefined when the text is not a URL. */
export function redactUrl(url: string, opts: RedactUrlOptions = {}): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (opts.user === 'keep') {
    if (u.password !== '') u.password = '***';
  } else {
    u.username = '';
    u.password = '';
  }
  if (opts.path !== 'keep') {
    u.pathname = u.pathname
      .split('/')
      .map((seg) => (looksLikeSecret(seg) ? '***' : seg))
      .join('/');
  }
  u.hash = '';
  if (opts.query === 'mask') {
    for (const key of [...u.searchParams.keys()]) if (SECRET_KEY.test(key)) u.searchParams.set(key, '***');
    return u.toString();
  }
  const q = u.search ? '?…' : '';
  u.search = '';
  return `${u.toString().replace(/\/$/, '')}${q}`;
}
