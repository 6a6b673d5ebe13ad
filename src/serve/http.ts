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

/**
 * Serve /healthz, /readyz and /metrics from a worker thread (http-worker.ts), answering its
 * requests here on the main thread: a reconcile run that plans synchronously delays the answers,
 * never the acceptance of a scrape, and /metrics falls back to the last exposition rendered.
 */
export async function startHttp(
  listen: Listen,
  deps: { metrics: ServeMetrics; readiness: () => Promise<Readiness>; log: Logger; metricsWaitMs?: number; answerTimeoutMs?: number },
): Promise<{ address: string; close(): Promise<void> }> {
  const config: WorkerConfig = { host: listen.host, port: listen.port, metricsWaitMs: deps.metricsWaitMs ?? METRICS_WAIT_MS, answerTimeoutMs: deps.answerTimeoutMs ?? ANSWER_TIMEOUT_MS };
  const worker = new Worker(new URL('./http-worker.js', import.meta.url), { workerData: config });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const answer = (m: ToWorker) => worker.postMessage(m);
  const plain = 'text/plain; charset=utf-8';
  const respond = async (id: number, path: string): Promise<void> => {
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
  const address = await new Promise<string>((resolve, reject) => {
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'listening') resolve(m.address);
      else if (m.type === 'listen-error') {
        reject(new QmError('usage', `cannot listen on ${listen.host}:${listen.port}: ${m.code === 'EADDRINUSE' ? 'the address is in use' : m.code === 'EACCES' ? 'permission denied' : m.message}`, 'pick another address with --listen HOST:PORT'));
        void worker.terminate();
      } else void respond(m.id, m.path);
    });
    worker.once('error', (e) => {
      deps.log.log('error', 'the HTTP server thread failed', { error: e.message });
      reject(e);
    });
  });
  return {
    address,
    close: async () => {
      answer({ type: 'close' });
      await exited;
    },
  };
}
