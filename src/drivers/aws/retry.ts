/**
 * A small retry with exponential backoff for the answers the AWS SDK does not retry itself
 * (it already retries throttling and 5xx): `ScalingActivityInProgress` clears once the group's
 * current activity ends. Interrupted by the apply's signal. (A shared helper may replace this one
 * once src/drivers/retry.ts exists.)
 */
export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Delay before the second attempt; doubles each time up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  signal?: AbortSignal | undefined;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 6, baseDelayMs: 1000, maxDelayMs: 16_000 };

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Run `fn` until it succeeds, throws something `retryable` rejects, or the attempts run out (the last error is thrown). */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, retryable: (e: unknown) => boolean, opts: RetryOptions = DEFAULT_RETRY): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= opts.attempts || !retryable(e) || opts.signal?.aborted) throw e;
      await sleep(Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1)), opts.signal);
    }
  }
}
