/**
 * The one place Quartermaster makes an Octokit: retries 5xx with backoff (plugin-retry), waits
 * out primary and secondary rate limits (plugin-throttling), spaces writes, and logs through a
 * redacting sink so the token never reaches a log.
 */
import Bottleneck from 'bottleneck';
import { Octokit } from 'octokit';
import { VERSION } from '../cli/version.js';
import { redact } from './redact.js';

export interface ClientOptions {
  token: string;
  /** GITHUB_API_URL: https://api.github.com, a GitHub Enterprise Server URL, or a test server. */
  baseUrl: string;
  /** Warnings (rate limits, retries) go here, redacted. */
  log?: (line: string) => void;
  /** Base of the backoff: retry n waits n² × this (default 1000 ms, as plugin-retry). */
  retryBaseMs?: number;
  /** Retries of a 5xx answer (default 3). */
  retries?: number;
  /** Time between two writes (default 1000 ms, GitHub's advice against secondary rate limits). */
  writeIntervalMs?: number;
  /** Longest rate-limit wait accepted before giving up (default 300 s). */
  maxRateLimitWaitSeconds?: number;
}

export type GithubClient = InstanceType<typeof Octokit>;

/** Tuning from the environment (tests shorten the waits; nobody needs to in production). */
export function clientTuning(env: Readonly<Record<string, string | undefined>>): Pick<ClientOptions, 'retryBaseMs' | 'writeIntervalMs' | 'maxRateLimitWaitSeconds'> {
  const num = (v: string | undefined) => (v !== undefined && v !== '' && Number.isFinite(Number(v)) && Number(v) >= 0 ? Number(v) : undefined);
  const out: Pick<ClientOptions, 'retryBaseMs' | 'writeIntervalMs' | 'maxRateLimitWaitSeconds'> = {};
  const r = num(env.QM_GITHUB_RETRY_BASE_MS);
  const w = num(env.QM_GITHUB_WRITE_INTERVAL_MS);
  const m = num(env.QM_GITHUB_MAX_RATE_LIMIT_WAIT);
  if (r !== undefined) out.retryBaseMs = r;
  if (w !== undefined) out.writeIntervalMs = w;
  if (m !== undefined) out.maxRateLimitWaitSeconds = m;
  return out;
}

/** An Octokit for the REST API at `baseUrl`. */
export function createClient(o: ClientOptions): GithubClient {
  const say = (s: string) => o.log?.(redact(s, [o.token]));
  const maxWait = o.maxRateLimitWaitSeconds ?? 300;
  const base = o.retryBaseMs ?? 1000;
  const onLimit = (kind: string) => (retryAfter: number, options: { method?: string; url?: string }, _octokit: unknown, retryCount: number) => {
    const what = `${options.method ?? 'GET'} ${options.url ?? ''}`;
    if (retryCount >= 2 || retryAfter > maxWait) {
      say(`GitHub ${kind} on ${what}: giving up (retry after ${retryAfter}s)`);
      return false;
    }
    say(`GitHub ${kind} on ${what}: retrying in ${retryAfter}s`);
    return true;
  };
  return new Octokit({
    auth: o.token,
    baseUrl: o.baseUrl.replace(/\/+$/, ''),
    userAgent: `quartermaster/${VERSION}`,
    retry: { retryAfterBaseValue: base, retries: o.retries ?? 3 },
    throttle: {
      retryAfterBaseValue: base,
      onRateLimit: onLimit('rate limit'),
      onSecondaryRateLimit: onLimit('secondary rate limit'),
      // Writes that notify people (comments, issues) are spaced 3 s apart by default; tests space nothing.
      ...(o.writeIntervalMs !== undefined
        ? { write: new Bottleneck.Group({ maxConcurrent: 1, minTime: o.writeIntervalMs }), notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: o.writeIntervalMs }) }
        : {}),
    },
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (m: string) => say(m),
      error: (m: string) => say(m),
    },
  });
}
