/** The HTTP surface of `qm serve` (node:http on a worker thread): /healthz, /readyz, /metrics. */
import { Worker } from 'node:worker_threads';
import { QmError } from '../model/errors.js';
import type { FromWorker, ToWorker, WorkerConfig } from './http-protocol.js';
import type { Logger } from './log.js';
import type { ServeMetrics } from './metrics.js';
import type { Readiness } from './service.js';

export interface Listen {
  host: string;
  port: number;
}

/** `127.0.0.1:9464`, `:9464` (all interfaces), `[::1]:9464`. */
export function parseListen(value: string): Listen {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new QmError('usage', `--listen ${value} is not HOST:PORT`, 'write e.g. --listen 127.0.0.1:9464, or :9464 for every interface');
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** Defaults: a scrape waits 25 ms for a fresh exposition; any request 10 s for the main thread. */
const METRICS_WAIT_MS = 25;
const ANSWER_TIMEOUT_MS = 10_000;

/** Restarting a worker thread that died: the first retry after 1 s, doubling up to 30 s. */
const RESTART_FIRST_MS = 1000;
const RESTART_MAX_MS = 30_000;
/** A worker that served this long resets the back-off. */
const RESTART_RESET_MS = 60_000;

/**
 * Serve /healthz, /readyz and /metrics from a worker thread (http-worker.ts), answering its
 * requests here on the main thread: a reconcile run that plans synchronously delays the answers,
 * never the acceptance of a scrape, and /metrics falls back to the last exposition rendered.
 * A worker that dies (an uncaught error in it) is logged and started again on the same address,
 * so the reconcile loop never runs on without its health and metrics endpoints.
 */
export async function startHttp(
  listen: Listen,
  deps: { metrics: ServeMetrics; readiness: () => Promise<Readiness>; log: Logger; metricsWaitMs?: number; answerTimeoutMs?: number; restartDelayMs?: number },
): Promise<{ address: string; close(): Promise<void> }> {
  const config: WorkerConfig = { host: listen.host, port: listen.port, metricsWaitMs: deps.metricsWaitMs ?? METRICS_WAIT_MS, answerTimeoutMs: deps.answerTimeoutMs ?? ANSWER_TIMEOUT_MS };
  const plain = 'text/plain; charset=utf-8';
  let closing = false;
  let worker: Worker;
  let exited: Promise<void>;
  let restartTimer: NodeJS.Timeout | undefined;
  const first = deps.restartDelayMs ?? RESTART_FIRST_MS;
  let delay = first;

  const respond = async (to: Worker, id: number, path: string): Promise<void> => {
    const answer = (m: ToWorker) => to.postMessage(m);
    if (path === '/healthz') return answer({ type: 'answer', id, status: 200, body: 'ok\n', contentType: plain });
    if (path === '/readyz') {
      const r = await deps.readiness().catch((e: unknown) => ({ ready: false, reason: (e as Error).message }));
      return answer({ type: 'answer', id, status: r.ready ? 200 : 503, body: `${r.ready ? 'ready' : 'not ready'}: ${r.reason}\n`, contentType: plain });
    }
    try {
      const m = await deps.metrics.text();
      answer({ type: 'answer', id, status: 200, body: m.body, contentType: m.contentType });
    } catch (e) {
      deps.log.log('error', 'could not render /metrics', { error: (e as Error).message });
      answer({ type: 'answer', id, status: 500, body: 'metrics unavailable\n', contentType: plain });
    }
  };

  /** One worker thread on `config`; resolves with its address once it listens. */
  const spawn = (): Promise<string> => {
    const w = new Worker(new URL('./http-worker.js', import.meta.url), { workerData: config });
    const startedAt = performance.now();
    worker = w;
    exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    return new Promise<string>((resolve, reject) => {
      let listening = false;
      w.on('message', (m: FromWorker) => {
        if (m.type === 'listening') {
          listening = true;
          resolve(m.address);
        } else if (m.type === 'listen-error') {
          reject(new QmError('usage', `cannot listen on ${listen.host}:${config.port}: ${m.code === 'EADDRINUSE' ? 'the address is in use' : m.code === 'EACCES' ? 'permission denied' : m.message}`, 'pick another address with --listen HOST:PORT'));
          void w.terminate();
        } else void respond(w, m.id, m.path);
      });
      w.on('error', (e) => {
        deps.log.log('error', 'the HTTP server thread failed', { error: e.message });
        if (!listening) reject(e);
      });
      w.once('exit', (code) => {
        if (closing || !listening) return;
        // A worker that served a while starts over from the first delay; one that keeps dying waits longer each time.
        const wait = performance.now() - startedAt > RESTART_RESET_MS ? first : delay;
        delay = Math.min(wait * 2, RESTART_MAX_MS);
        deps.log.log('error', 'the HTTP server thread stopped; starting it again', { exit_code: code, retry_in_seconds: wait / 1000 });
        scheduleRestart(wait);
      });
    });
  };

  const scheduleRestart = (wait: number): void => {
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (closing) return;
      spawn().then(
        (address) => deps.log.log('info', 'the HTTP server thread is listening again', { listen: address }),
        (e: unknown) => {
          const next = delay;
          delay = Math.min(delay * 2, RESTART_MAX_MS);
          deps.log.log('error', 'could not start the HTTP server thread again', { error: (e as Error).message, retry_in_seconds: next / 1000 });
          if (!closing) scheduleRestart(next);
        },
      );
    }, wait);
  };

  const address = await spawn();
  // A restart listens where the first worker did (port 0 was a free port chosen once).
  config.port = Number(/:(\d+)$/.exec(address)?.[1] ?? config.port);
  return {
    address,
    close: async () => {
      closing = true;
      if (restartTimer) clearTimeout(restartTimer);
      worker.postMessage({ type: 'close' } satisfies ToWorker);
      await exited;
    },
  };
}
