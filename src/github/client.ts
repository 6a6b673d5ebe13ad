/**
 * The one place Quartermaster makes an Octokit: retries 5xx with backoff, a server that does not
 * answer at all only twice and quickly, waits out primary and secondary rate limits
 * (plugin-throttling), spaces writes, and logs through a redacting sink so the token never
 * reaches a log.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import Bottleneck from 'bottleneck';
import { Octokit, RequestError } from 'octokit';
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
  /** Retries when nothing answers (connection refused, unknown host, …): default 2, quick ones. */
  connectRetries?: number;
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

/** Statuses never retried (plugin-retry's list): the request itself is wrong, or a limit the throttling waits out. */
const DO_NOT_RETRY = new Set([400, 401, 403, 404, 410, 422, 451]);

/** Codes saying no connection was made at all (as opposed to one lost on the way). */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT']);

export interface NoAnswer {
  /** "ECONNREFUSED", "ENOTFOUND", …, or the message when there is no code ("bad port"). */
  code: string;
  /** No connection could be made (refused, unknown host, …), rather than one lost on the way. */
  connect: boolean;
}

/**
 * A request GitHub never answered: Octokit reports a failed fetch as status 500 without a
 * response, which is not an HTTP 500. Undefined for a real HTTP answer or any other error.
 */
export function noAnswer(e: unknown): NoAnswer | undefined {
  if (!(e instanceof RequestError) || e.response !== undefined) return undefined;
  let code: string | undefined;
  for (let c: unknown = e.cause, depth = 0; c !== null && typeof c === 'object' && depth < 5 && code === undefined; c = (c as { cause?: unknown }).cause, depth++) {
    const own = (c as { code?: unknown }).code;
    const inner = (c as { errors?: unknown }).errors; // AggregateError: every address of the host failed
    const first = Array.isArray(inner) ? (inner as { code?: unknown }[]).find((x) => typeof x?.code === 'string')?.code : undefined;
    code = typeof own === 'string' && own !== '' ? own : typeof first === 'string' ? first : undefined;
  }
  const c = code ?? (e.message || 'no answer');
  return { code: c, connect: code === undefined || CONNECT_CODES.has(code) };
}

/** An Octokit for the REST API at `baseUrl`. */
export function createClient(o: ClientOptions): GithubClient {
  const say = (s: string) => o.log?.(redact(s, [o.token]));
  const maxWait = o.maxRateLimitWaitSeconds ?? 300;
  const base = o.retryBaseMs ?? 1000;
  const baseUrl = o.baseUrl.replace(/\/+$/, '');
  const onLimit = (kind: string) => (retryAfter: number, options: { method?: string; url?: string }, _octokit: unknown, retryCount: number) => {
    const what = `${options.method ?? 'GET'} ${options.url ?? ''}`;
    if (retryCount >= 2 || retryAfter > maxWait) {
      say(`GitHub ${kind} on ${what}: giving up (retry after ${retryAfter}s)`);
      return false;
    }
    say(`GitHub ${kind} on ${what}: retrying in ${retryAfter}s`);
    return true;
  };
  const octokit = new Octokit({
    auth: o.token,
    baseUrl,
    userAgent: `quartermaster/${VERSION}`,
    // Retries are ours (below): plugin-retry takes a refused connection for a 500 and waits 14 s on it.
    retry: { enabled: false },
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
  const retries = o.retries ?? 3;
  const connectRetries = o.connectRetries ?? 2;
  // Outermost: a retry goes through the throttling again. An HTTP error waits n² × base (1 s, 4 s, 9 s);
  // a server that does not answer is tried twice more, quickly, as waiting rarely brings it back.
  octokit.hook.wrap('request', async (request, options) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await request(options);
      } catch (e) {
        const none = noAnswer(e);
        const status = e instanceof RequestError ? e.status : undefined;
        const retryable = none !== undefined || (status !== undefined && status >= 400 && !DO_NOT_RETRY.has(status));
        if (!retryable || attempt > (none ? connectRetries : retries)) throw e;
        const wait = none ? Math.min(base, 250) * attempt : attempt ** 2 * base;
        if (none) say(`GitHub at ${baseUrl} did not answer ${options.method} ${options.url} (${none.code}): retrying in ${wait} ms`);
        await sleep(wait);
      }
    }
  });
  return octokit;
}
