/**
 * The HTTP server of `qm serve`, on a worker thread of its own (started by http.ts). Planning a
 * large fleet is synchronous and holds the main event loop for a second or more; on this thread a
 * scrape is still accepted at once. Every request is forwarded to the main thread, which owns the
 * metrics registry, the readiness checks and the state store; `/metrics` waits for its answer only
 * METRICS_WAIT_MS and otherwise serves the last exposition the main thread rendered (the main
 * thread is then busy with a reconcile run, whose results are not in any exposition yet anyway).
 */
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerConfig } from './http-protocol.js';

const config = workerData as WorkerConfig;
const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);

/** The last /metrics answer of the main thread, and when it came. */
let snapshot: { body: string; contentType: string; at: number } | undefined;
let nextId = 1;
const waiting = new Map<number, (a: { status: number; body: string; contentType: string }) => void>();

function send(res: ServerResponse, head: boolean, status: number, body: string, contentType: string, extra: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', ...extra });
  res.end(head ? undefined : body);
}

const server = createServer((req, res) => {
  const url = (req.url ?? '/').split('?')[0];
  const head = req.method === 'HEAD';
  const plain = 'text/plain; charset=utf-8';
  if (req.method !== 'GET' && !head) return send(res, head, 405, 'only GET and HEAD\n', plain);
  if (url !== '/healthz' && url !== '/readyz' && url !== '/metrics') return send(res, head, 404, 'not found: try /healthz, /readyz or /metrics\n', plain);
  const id = nextId++;
  let fallback: NodeJS.Timeout | undefined;
  // The main thread answers every path, so /healthz and /readyz keep saying whether its loop runs.
  const giveUp = setTimeout(() => {
    waiting.delete(id);
    clearTimeout(fallback);
    send(res, head, 503, `${url === '/readyz' ? 'not ready' : 'unhealthy'}: the reconcile loop has not answered for ${config.answerTimeoutMs / 1000}s\n`, plain);
  }, config.answerTimeoutMs);
  waiting.set(id, (a) => {
    clearTimeout(giveUp);
    clearTimeout(fallback);
    if (url === '/metrics' && a.status === 200) snapshot = { body: a.body, contentType: a.contentType, at: Date.now() };
    send(res, head, a.status, a.body, a.contentType);
  });
  if (url === '/metrics' && snapshot) {
    fallback = setTimeout(() => {
      const s = snapshot!;
      // Still answered later (refreshing the snapshot); this response is already sent by then.
      send(res, head, 200, s.body, s.contentType, { 'x-qm-metrics-age-seconds': ((Date.now() - s.at) / 1000).toFixed(1) });
    }, config.metricsWaitMs);
  }
  post({ type: 'request', id, path: url as '/healthz' | '/readyz' | '/metrics' });
});
server.keepAliveTimeout = 65_000;

port.on('message', (m: ToWorker) => {
  if (m.type === 'answer') {
    const done = waiting.get(m.id);
    waiting.delete(m.id);
    done?.(m);
  } else if (m.type === 'close') {
    // process.exit in a worker ends the thread only (pending timers of dropped requests with it).
    server.close(() => process.exit(0));
    // Idle keep-alive connections (Prometheus keeps one) would hold close() open.
    server.closeAllConnections();
  }
});

server.once('error', (e: NodeJS.ErrnoException) => post({ type: 'listen-error', code: e.code ?? '', message: e.message }));
server.listen(config.port, config.host, () => {
  const a = server.address() as AddressInfo;
  post({ type: 'listening', address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` });
});
