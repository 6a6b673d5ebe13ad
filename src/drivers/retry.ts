/**
 * Retrying calls to a cloud or cluster API that answered "not now" (429, 5xx, a dropped
 * connection): exponential backoff with full jitter, a server's Retry-After honoured, a bounded
 * number of attempts, and an abort signal that stops waiting at once. Shared by the drivers that
 * talk to remote APIs (kubernetes, clusterapi, aws).
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** What the caller's classifier says about one failure. */
export interface RetryVerdict {
  retry: boolean;
  /** The server's own delay (Retry-After), in milliseconds; used instead of the backoff when longer. */
  afterMs?: number;
}

export interface RetryOptions {
  /** Calls in all, the first included (default 5). */
  attempts?: number;
  /** First backoff ceiling in milliseconds (default 200); doubles every attempt. */
  baseMs?: number;
  /** Largest wait between attempts, Retry-After included (default 30 s). */
  maxMs?: number;
  classify: (err: unknown) => RetryVerdict;
  signal?: AbortSignal | undefined;
  /** Uniform [0, 1): injectable so tests are deterministic. */
  random?: () => number;
  /** Injectable wait, for tests. */
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Told before each wait (for logs and tests). */
  onRetry?: (err: unknown, attempt: number, waitMs: number) => void;
}

/** Full jitter (AWS architecture blog): a uniform wait in [0, min(max, base × 2^attempt)). */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

/**
 * A Retry-After header in milliseconds: delta-seconds ("3") or an HTTP date; undefined when absent
 * or garbled. A date in the past means "now" (0).
 */
export function parseRetryAfter(value: string | undefined | null, now: number = Date.now()): number | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const defaultWait = (ms: number, signal?: AbortSignal): Promise<void> => sleep(ms, undefined, signal ? { signal } : undefined);

/** Call `fn` until it succeeds, the classifier says stop, the attempts run out or the signal aborts; throws the last error. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 5);
  const base = opts.baseMs ?? 200;
  const max = opts.maxMs ?? 30_000;
  const random = opts.random ?? Math.random;
  const wait = opts.wait ?? defaultWait;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const verdict = opts.classify(err);
      if (!verdict.retry || attempt + 1 >= attempts || opts.signal?.aborted) throw err;
      const ms = Math.min(max, Math.max(backoffMs(attempt, base, max, random), verdict.afterMs ?? 0));
      opts.onRetry?.(err, attempt + 1, ms);
      try {
        await wait(ms, opts.signal);
      } catch {
        // Aborted while waiting: the caller wants to stop, and the last failure says why it was retrying.
        throw err;
      }
    }
  }
}
