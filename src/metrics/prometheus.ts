/**
 * The Prometheus HTTP API (/api/v1/query and /api/v1/query_range) through global fetch: a timeout
 * per request (AbortSignal.timeout), retries with exponential backoff on 5xx, 429 and network
 * errors, and errors that name the server (never a credential) and the query.
 */
import type { SeriesPoint } from '../forecast/types.js';
import { MetricFetchError, redactUrl } from './errors.js';

export interface PrometheusConfig {
  /** Base URL, `${env:…}` already resolved. */
  url: string;
  /** Seconds per request. */
  timeout: number;
  retries: number;
}

export interface FetchOptions {
  fetch?: typeof fetch;
  /** Backoff before retry n (1-based), in ms; default 200 × 2^(n-1). */
  backoffMs?: (attempt: number) => number;
}

interface PromResponse {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One GET with retries; returns the parsed `data` or throws MetricFetchError. */
async function call(cfg: PrometheusConfig, path: string, params: Record<string, string>, query: string, opts: FetchOptions): Promise<NonNullable<PromResponse['data']>> {
  const f = opts.fetch ?? fetch;
  let target: URL;
  try {
    target = new URL(cfg.url);
  } catch {
    throw new MetricFetchError(`the Prometheus URL is not a valid URL (query '${query}')`, 'write e.g. http://127.0.0.1:9090', 'config');
  }
  // Credentials in the URL travel as a Basic Authorization header (fetch refuses them in the URL).
  const headers: Record<string, string> = { accept: 'application/json' };
  if (target.username || target.password) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`;
  target.username = '';
  target.password = '';
  target.pathname = `${target.pathname.replace(/\/+$/, '')}${path}`;
  const shown = redactUrl(target.toString());
  for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
  const url = target.toString();
  let lastError = '';
  for (let attempt = 0; attempt <= cfg.retries; attempt++) {
    if (attempt > 0) await sleep(opts.backoffMs?.(attempt) ?? 200 * 2 ** (attempt - 1));
    let res: Response;
    try {
      res = await f(url, { signal: AbortSignal.timeout(Math.max(1, cfg.timeout * 1000)), headers });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      lastError = err.name === 'TimeoutError' || err.name === 'AbortError' ? `no answer within ${cfg.timeout}s` : `cannot connect (${err.cause?.code ?? err.message.split(url).join(shown)})`;
      continue;
    }
    let body: PromResponse | undefined;
    try {
      body = (await res.json()) as PromResponse;
    } catch {
      body = undefined;
    }
    if (res.status >= 500 || res.status === 429) {
      lastError = `HTTP ${res.status}${body?.error ? `: ${body.error}` : ''}`;
      continue;
    }
    if (!body || typeof body !== 'object') throw new MetricFetchError(`Prometheus at ${shown} answered HTTP ${res.status} without a JSON body for query '${query}'`, 'check that the URL points at a Prometheus server', 'unreachable');
    if (body.status !== 'success' || !body.data) {
      // 400/422: the query itself is wrong; retrying will not help.
      throw new MetricFetchError(`Prometheus at ${shown} rejected query '${query}': ${body.errorType ? `${body.errorType}: ` : ''}${body.error ?? `HTTP ${res.status}`}`, 'fix the PromQL in the ScalingPolicy (try it in the Prometheus UI)', 'rejected');
    }
    return body.data;
  }
  throw new MetricFetchError(`Prometheus at ${shown} is unreachable for query '${query}' after ${cfg.retries + 1} attempt${cfg.retries === 0 ? '' : 's'}: ${lastError}`, 'check that the server is up and the MetricSource URL is right', 'unreachable');
}

/** Samples of a one-series result; several series are an error (aggregate them in PromQL). */
function onlySeries(data: NonNullable<PromResponse['data']>, query: string): SeriesPoint[] {
  const toPoint = (p: unknown): SeriesPoint => {
    const [t, v] = p as [number, string];
    return { t: Number(t), v: Number(v) };
  };
  if (data.resultType === 'scalar') return [toPoint(data.result)];
  const result = data.result as { metric: Record<string, string>; value?: unknown; values?: unknown[] }[];
  if (!Array.isArray(result)) throw new MetricFetchError(`Prometheus returned a ${data.resultType} for query '${query}'; a scaling metric is a number`);
  if (result.length === 0) return [];
  if (result.length > 1) {
    const labels = Object.keys(result[0]!.metric).filter((k) => k !== '__name__').sort();
    throw new MetricFetchError(`query '${query}' returns ${result.length} series; a scaling metric must be one number`, `aggregate it, e.g. sum(${query})${labels.length ? ` or sum by () over ${labels.join(', ')}` : ''}`);
  }
  const s = result[0]!;
  return s.values ? s.values.map(toPoint) : s.value ? [toPoint(s.value)] : [];
}

/** An instant query at `time` (unix seconds). */
export async function instantQuery(cfg: PrometheusConfig, query: string, time: number, opts: FetchOptions = {}): Promise<SeriesPoint[]> {
  const data = await call(cfg, '/api/v1/query', { query, time: String(time) }, query, opts);
  return onlySeries(data, query);
}

/** A range query over [start, end] at `step` seconds. */
export async function rangeQuery(cfg: PrometheusConfig, query: string, range: { start: number; end: number; step: number }, opts: FetchOptions = {}): Promise<SeriesPoint[]> {
  const data = await call(cfg, '/api/v1/query_range', { query, start: String(range.start), end: String(range.end), step: String(range.step) }, query, opts);
  return onlySeries(data, query);
}
