/**
 * The HTTP worker of `qm serve` (src/serve/http.ts, http-worker.ts): a scrape arriving while the
 * main thread is busy (a reconcile planning synchronously) is answered with the last exposition
 * instead of waiting. The worker is a separate compiled file, so this imports the build (dist/).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Readiness } from '../../src/serve/service.js';
import type { ServeMetrics } from '../../src/serve/metrics.js';
import type * as Http from '../../src/serve/http.js';
import { ROOT } from '../helpers/cli.js';

/** Hold the thread, as a synchronous plan does. */
function busy(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

describe('startHttp (worker thread)', () => {
  let server: { address: string; close(): Promise<void> } | undefined;
  let renders = 0;
  let blockNext = 0;
  let ready: Readiness = { ready: false, reason: 'starting' };
  const logs: string[] = [];

  beforeAll(async () => {
    const http = (await import(pathToFileURL(path.join(ROOT, 'dist', 'serve', 'http.js')).href)) as typeof Http;
    const metrics = {
      text: () => {
        renders++;
        // The main thread busy with planning: the answer comes only after `blockNext` ms.
        if (blockNext) busy(blockNext);
        blockNext = 0;
        return Promise.resolve({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: `qm_render ${renders}\n` });
      },
    } as unknown as ServeMetrics;
    server = await http.startHttp({ host: '127.0.0.1', port: 0 }, { metrics, readiness: () => Promise.resolve(ready), log: { log: (_l, msg) => logs.push(msg) }, metricsWaitMs: 25 });
  });

  afterAll(async () => {
    await server?.close();
  });

  const get = async (p: string, method = 'GET') => {
    const r = await fetch(`http://${server!.address}${p}`, { method });
    return { status: r.status, body: await r.text(), age: r.headers.get('x-qm-metrics-age-seconds') };
  };

  it('answers /healthz, /readyz (from the main thread), 404 and 405', async () => {
    expect(await get('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await get('/readyz')).toMatchObject({ status: 503, body: 'not ready: starting\n' });
    ready = { ready: true, reason: 'leader' };
    expect(await get('/readyz')).toMatchObject({ status: 200, body: 'ready: leader\n' });
    expect((await get('/nope')).status).toBe(404);
    expect((await get('/metrics', 'POST')).status).toBe(405);
    expect(await get('/metrics', 'HEAD')).toMatchObject({ status: 200, body: '' });
  });

  it('serves a fresh exposition when the main thread is free, the last one while it is busy', async () => {
    const fresh = await get('/metrics');
    expect(fresh.body).toBe(`qm_render ${renders}\n`);
    expect(fresh.age).toBeNull();
    const before = fresh.body;
    // The next render holds the main thread for 1.5 s (also this test's own event loop, so the
    // response is read afterwards): the worker must already have answered with the snapshot.
    blockNext = 1500;
    const stale = await get('/metrics');
    expect(stale.body).toBe(before);
    expect(Number(stale.age)).toBeGreaterThanOrEqual(0);
    // The late answer replaced the snapshot; the next scrape is fresh again.
    const after = await get('/metrics');
    expect(after.body).toBe(`qm_render ${renders}\n`);
    expect(after.body).not.toBe(before);
    expect(after.age).toBeNull();
    expect(logs).toEqual([]);
  });

  it('refuses an address in use in one sentence', async () => {
    const http = (await import(pathToFileURL(path.join(ROOT, 'dist', 'serve', 'http.js')).href)) as typeof Http;
    const [host, port] = [server!.address.split(':')[0]!, Number(server!.address.split(':')[1])];
    await expect(http.startHttp({ host, port }, { metrics: {} as ServeMetrics, readiness: () => Promise.resolve(ready), log: { log: () => undefined } })).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+: the address is in use/);
  });
});

describe('startHttp: a worker thread that dies is started again on the same address', () => {
  it('logs it, listens again where it did, and answers as before; close() stops it for good', async () => {
    const http = (await import(pathToFileURL(path.join(ROOT, 'dist', 'serve', 'http.js')).href)) as typeof Http;
    const logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    let poison = false;
    const metrics = {
      // A body that is no string makes the worker's res.end throw: an uncaught error in the thread.
      text: () => Promise.resolve({ contentType: 'text/plain', body: poison ? (42 as unknown as string) : 'qm_up 1\n' }),
    } as unknown as ServeMetrics;
    const server = await http.startHttp({ host: '127.0.0.1', port: 0 }, { metrics, readiness: () => Promise.resolve({ ready: true, reason: 'leader' }), log: { log: (level, msg, fields) => logs.push({ level, msg, fields }) }, restartDelayMs: 50 });
    try {
      const url = `http://${server.address}`;
      expect(await (await fetch(`${url}/metrics`)).text()).toBe('qm_up 1\n');
      poison = true;
      await expect(fetch(`${url}/metrics`)).rejects.toThrow();
      poison = false;
      // Back on the same address.
      const until = Date.now() + 20_000;
      let answer: Response | undefined;
      while (!answer && Date.now() < until) {
        answer = await fetch(`${url}/healthz`).catch(() => undefined);
        if (!answer) await new Promise((r) => setTimeout(r, 50));
      }
      expect(answer?.status).toBe(200);
      expect(await (await fetch(`${url}/metrics`)).text()).toBe('qm_up 1\n');
      expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['the HTTP server thread failed', 'the HTTP server thread stopped; starting it again', 'the HTTP server thread is listening again']));
      expect(logs.find((l) => l.msg === 'the HTTP server thread is listening again')?.fields).toEqual({ listen: server.address });
    } finally {
      await server.close();
    }
    // Closed: nothing listens there any more, and no restart follows.
    await expect(fetch(`http://${server.address}/healthz`)).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 200));
    await expect(fetch(`http://${server.address}/healthz`)).rejects.toThrow();
  });
});
