/**
 * A small Kubernetes REST client over one keep-alive connection pool. Why not client-node's
 * generated APIs: they build a new agent (a new TCP/TLS connection) for every request, and their
 * typed deserializer costs ~1.6 s per 50,000 pods on top of JSON.parse; a fleet of 5,000 nodes must
 * observe in seconds. KubeConfig (kubeconfig.ts) still supplies the server, TLS material and
 * credentials (tokens, exec and OIDC plugins), re-applied every few seconds so tokens may rotate.
 *
 * 429 and 5xx answers and dropped connections are retried with backoff and jitter (retry.ts),
 * Retry-After honoured; every other failure is a KubeApiError carrying the Status body.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { parseRetryAfter, withRetry } from '../retry.js';
import type { RetryOptions } from '../retry.js';
import { Semaphore } from '../docker/semaphore.js';

/** What a request does, for messages: "create pods/eviction in namespace agents". */
export interface Intent {
  verb: string;
  resource: string;
  namespace?: string;
}

/** A Kubernetes `Status` failure (or a connection failure: status 0). */
export class KubeApiError extends Error {
  readonly code = 'kube-api' as const;
  constructor(
    readonly status: number,
    message: string,
    readonly intent: Intent,
    readonly reason?: string,
    readonly details?: { name?: string; kind?: string; group?: string; causes?: { reason?: string; message?: string; field?: string }[] },
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  contentType?: string;
  intent: Intent;
  /** Retries on 429/5xx (default true; a request that must not repeat passes false). */
  retry?: boolean;
  signal?: AbortSignal | undefined;
}

const AUTH_TTL_MS = 10_000;

export class KubeRest {
  private readonly agent: http.Agent;
  private readonly lib: typeof http | typeof https;
  private auth: { at: number; headers: Record<string, string> } | undefined;
  private readonly url: URL;
  private readonly sem: Semaphore;
  /** Requests sent and retried, for tests and the benchmark. */
  readonly stats = { requests: 0, retries: 0 };

  constructor(
    private readonly kc: KubeConfig,
    readonly server: string,
    /** API calls in flight at once. */
    concurrency: number,
    private readonly retryOpts: Partial<RetryOptions> = {},
  ) {
    this.url = new URL(server);
    this.sem = new Semaphore(concurrency);
    const maxSockets = concurrency + 2;
    const cluster = kc.getCurrentCluster();
    const user = kc.getCurrentUser();
    const tls = this.url.protocol === 'https:';
    this.lib = tls ? https : http;
    const agentOpts: https.AgentOptions = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
    if (tls) {
      const read = (file?: string, data?: string) => (data ? Buffer.from(data, 'base64') : file ? readFileSync(file) : undefined);
      const ca = read(cluster?.caFile, cluster?.caData);
      const cert = read(user?.certFile, user?.certData);
      const key = read(user?.keyFile, user?.keyData);
      if (ca) agentOpts.ca = ca;
      if (cert) agentOpts.cert = cert;
      if (key) agentOpts.key = key;
      if (cluster?.skipTLSVerify) agentOpts.rejectUnauthorized = false;
      if (cluster?.tlsServerName) agentOpts.servername = cluster.tlsServerName;
    }
    this.agent = tls ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
  }

  /** Authorization (and impersonation) headers from the kubeconfig's user, refreshed every few seconds. */
  private async headers(): Promise<Record<string, string>> {
    const now = Date.now();
    if (this.auth && now - this.auth.at < AUTH_TTL_MS) return this.auth.headers;
    const opts: https.RequestOptions = { headers: {} };
    await this.kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    this.auth = { at: now, headers };
    return headers;
  }

  /** One call, retried on 429/5xx; resolves to the parsed JSON body. */
  async request<T = unknown>(method: string, path: string, o: RequestOptions): Promise<T> {
    // Bounded per call, not per retry: a request waiting out a backoff holds no slot.
    const once = () => this.sem.run(() => this.send<T>(method, path, o));
    if (o.retry === false) return once();
    return withRetry(once, {
      attempts: 6,
      baseMs: 250,
      maxMs: 30_000,
      ...this.retryOpts,
      signal: o.signal,
      classify: (e) => {
        if (!(e instanceof KubeApiError)) return { retry: false };
        // A disruption budget's 429 is a refusal, not a rate limit: the caller reports it.
        const budget = e.status === 429 && (e.details?.causes ?? []).some((c) => c.reason === 'DisruptionBudget');
        const retry = !budget && (e.status === 0 || e.status === 429 || (e.status >= 500 && e.status !== 501));
        return e.retryAfterMs !== undefined ? { retry, afterMs: e.retryAfterMs } : { retry };
      },
      onRetry: () => {
        this.stats.retries++;
      },
    });
  }

  private async send<T>(method: string, path: string, o: RequestOptions): Promise<T> {
    const headers = { ...(await this.headers()), Accept: 'application/json' } as Record<string, string>;
    let payload: Buffer | undefined;
    if (o.body !== undefined) {
      payload = Buffer.from(JSON.stringify(o.body));
      headers['Content-Type'] = o.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined && v !== '') qs.set(k, String(v));
    const base = this.url.pathname.replace(/\/+$/, '');
    const fullPath = `${base}${path}${qs.size ? `?${qs.toString()}` : ''}`;
    this.stats.requests++;
    return new Promise<T>((resolve, reject) => {
      const req = this.lib.request(
        { protocol: this.url.protocol, hostname: this.url.hostname, port: this.url.port, method, path: fullPath, headers, agent: this.agent, timeout: 60_000, ...(o.signal ? { signal: o.signal } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => reject(new KubeApiError(0, `the connection to ${this.server} broke: ${e.message}`, o.intent)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            let body: unknown;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              body = undefined;
            }
            if (status >= 200 && status < 300) {
              if (body === undefined && text) reject(new KubeApiError(status, `${this.server} answered ${method} ${path} with something that is not JSON`, o.intent));
              else resolve(body as T);
              return;
            }
            const s = (body ?? {}) as { message?: string; reason?: string; details?: KubeApiError['details'] };
            const retryAfter = parseRetryAfter(res.headers['retry-after'] as string | undefined);
            const message = s.message || `HTTP ${status}${text && !body ? `: ${text.slice(0, 200).trim()}` : ''}`;
            reject(new KubeApiError(status, message, o.intent, s.reason, s.details, retryAfter));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer within 60s')));
      req.on('error', (e) => reject(new KubeApiError(0, `cannot reach the API server ${this.server}: ${e.message}`, o.intent)));
      if (payload) req.write(payload);
      req.end();
    });
  }

  /**
   * Every item of a list, page by page (`limit`/`continue`), each turned into what the caller keeps
   * by `extract` (so a page's raw objects can be dropped at once). A continue token that expired
   * (410) starts the list over once.
   */
  async listAll<R>(path: string, query: Record<string, string | undefined>, intent: Intent, extract: (item: unknown) => R | undefined, pageSize = 500, signal?: AbortSignal): Promise<R[]> {
    for (let round = 0; ; round++) {
      const out: R[] = [];
      let cont: string | undefined;
      try {
        do {
          const page = await this.request<{ items?: unknown[]; metadata?: { continue?: string } }>('GET', path, { query: { ...query, limit: pageSize, continue: cont }, intent, signal });
          for (const item of page.items ?? []) {
            const r = extract(item);
            if (r !== undefined) out.push(r);
          }
          cont = page.metadata?.continue || undefined;
        } while (cont);
        return out;
      } catch (e) {
        if (round === 0 && e instanceof KubeApiError && e.status === 410) continue;
        throw e;
      }
    }
  }

  close(): void {
    this.agent.destroy();
  }
}
