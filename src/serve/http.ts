/** The HTTP surface of `qm serve` (node:http): /healthz, /readyz, /metrics. */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QmError } from '../model/errors.js';
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

export async function startHttp(listen: Listen, deps: { metrics: ServeMetrics; readiness: () => Promise<Readiness>; log: Logger }): Promise<{ server: Server; address: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const text = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'only GET and HEAD\n');
    if (url === '/healthz') return text(200, 'ok\n');
    if (url === '/readyz') {
      void deps.readiness().then((r) => text(r.ready ? 200 : 503, `${r.ready ? 'ready' : 'not ready'}: ${r.reason}\n`), (e: unknown) => text(503, `not ready: ${(e as Error).message}\n`));
      return;
    }
    if (url === '/metrics') {
      void deps.metrics.text().then(
        (m) => text(200, m.body, m.contentType),
        (e: unknown) => {
          deps.log.log('error', 'could not render /metrics', { error: (e as Error).message });
          text(500, 'metrics unavailable\n');
        },
      );
      return;
    }
    text(404, 'not found: try /healthz, /readyz or /metrics\n');
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => reject(new QmError('usage', `cannot listen on ${listen.host}:${listen.port}: ${e.code === 'EADDRINUSE' ? 'the address is in use' : e.code === 'EACCES' ? 'permission denied' : e.message}`, 'pick another address with --listen HOST:PORT'));
    server.once('error', onError);
    server.listen(listen.port, listen.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const address = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  return {
    server,
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive connections (Prometheus keeps one) would hold close() open.
        server.closeAllConnections();
      }),
  };
}
