/** Metric sources: CSV files relative to the policy directory, and the Prometheus client's retries, timeouts and messages (against a local HTTP server). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectMetrics, fetchSeries, redactUrl, resolveEnv, wantedMetrics } from '../../src/metrics/index.js';
import { replayed } from '../../src/metrics/fetch.js';
import { metricKey } from '../../src/autoscaler/index.js';
import type { MetricSourceDoc } from '../../src/model/documents.js';
import { AGENT, METRIC_SOURCES, SP, T, policyFrom } from './builders.js';

const src = (spec: MetricSourceDoc['spec'], name = 's'): MetricSourceDoc => ({ apiVersion: 'quartermaster.dev/v1alpha1', kind: 'MetricSource', metadata: { name, labels: {}, annotations: {} }, spec, source: { file: 'x.yaml', index: 0, line: 1, column: 1 } });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'qm-metrics-'));
  await writeFile(path.join(dir, 'm.csv'), 'timestamp,series,value\n2026-11-27T11:00:00Z,rpm,1\n2026-11-27T11:05:00Z,rpm,2\n1795777800,rpm,3\n2026-11-27T11:05:00Z,other,9\n');
  await writeFile(path.join(dir, 'bad.csv'), 'timestamp,series,value\n2026-11-27T11:00:00Z,rpm,abc\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('file sources', () => {
  const file = src({ file: { path: 'm.csv' } });
  it('reads one series within the range, ISO and unix timestamps alike', async () => {
    expect(await fetchSeries(file, { series: 'rpm' }, { start: T('2026-11-27T11:01:00Z'), end: T('2026-11-27T11:10:00Z'), step: 60 }, { dir })).toEqual([{ t: T('2026-11-27T11:05:00Z'), v: 2 }, { t: T('2026-11-27T11:10:00Z'), v: 3 }]);
  });
  it.each([
    [{ series: 'nope' }, 'm.csv', /MetricSource s: .*nope/],
    [{ query: 'up' }, 'm.csv', /is a file source; the metric needs a series/],
    [{ series: 'rpm' }, 'missing.csv', /MetricSource s: cannot read missing.csv: no such file/],
    [{ series: 'rpm' }, 'bad.csv', /MetricSource s: bad.csv:2:\d+: expected a number as the value/],
  ])('%j from %s → a clear error', async (ref, p, msg) => {
    await expect(fetchSeries(src({ file: { path: p } }), ref, { start: 0, end: 2e9, step: 60 }, { dir })).rejects.toThrow(msg);
  });
});

describe('Prometheus client: retries, timeouts, messages', () => {
  let calls = 0;
  let mode = 'ok';
  let url = '';
  const server = createServer((req, res) => {
    calls++;
    const u = new URL(req.url!, 'http://x');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (mode === 'flaky' && calls < 3) return json(503, { status: 'error', error: 'overloaded' });
    if (mode === 'down') return json(502, {});
    if (mode === 'slow') return void setTimeout(() => json(200, {}), 3000);
    if (mode === 'bad') return json(400, { status: 'error', errorType: 'bad_data', error: 'parse error at char 5' });
    if (mode === 'many') return json(200, { status: 'success', data: { resultType: 'vector', result: [{ metric: { job: 'a' }, value: [1, '1'] }, { metric: { job: 'b' }, value: [1, '2'] }] } });
    if (u.pathname === '/api/v1/query') return json(200, { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [Number(u.searchParams.get('time')), '42'] }] } });
    return json(200, { status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[100, '1'], [160, '2']] }] } });
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const prom = (over: Partial<{ url: string; timeout: number; retries: number }> = {}) => src({ prometheus: { url, timeout: 1, retries: 2, ...over } }, 'prom');
  const fast = { backoffMs: () => 1 };
  it.each([
    ['instant query', 'ok', { start: 50, end: 50, step: 60 }, [{ t: 50, v: 42 }]],
    ['range query', 'ok', { start: 100, end: 160, step: 60 }, [{ t: 100, v: 1 }, { t: 160, v: 2 }]],
    ['5xx twice, then an answer', 'flaky', { start: 50, end: 50, step: 60 }, [{ t: 50, v: 42 }]],
  ])('%s', async (_n, m, range, expected) => {
    mode = m;
    calls = 0;
    expect(await fetchSeries(prom(), { query: 'sum(up)' }, range, fast)).toEqual(expected);
  });
  it.each([
    ['down: every retry fails', 'down', {}, /^Prometheus at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query is unreachable for query 'sum\(up\)' after 3 attempts: HTTP 502$/],
    ['timeout', 'slow', { retries: 0 }, /unreachable for query 'sum\(up\)' after 1 attempt: no answer within 1s/],
    ['a failing PromQL query is not retried', 'bad', {}, /^Prometheus at .+ rejected query 'sum\(up\)': bad_data: parse error at char 5$/],
    ['several series', 'many', {}, /^query 'sum\(up\)' returns 2 series; a scaling metric must be one number$/],
  ])('%s → a clear error', async (_n, m, over, msg) => {
    mode = m;
    calls = 0;
    await expect(fetchSeries(prom(over), { query: 'sum(up)' }, { start: 50, end: 50, step: 60 }, fast)).rejects.toThrow(msg);
    if (m === 'bad') expect(calls).toBe(1);
  });
  it('a connection refused names the URL without credentials', async () => {
    const p = src({ prometheus: { url: 'http://user:s3cret@127.0.0.1:9/prom?token=abc', timeout: 1, retries: 0 } });
    const e = await fetchSeries(p, { query: 'up' }, { start: 1, end: 1, step: 60 }).catch((x: Error) => x);
    expect((e as Error).message).toMatch(/^Prometheus at http:\/\/127\.0\.0\.1:9\/prom\/api\/v1\/query\?… is unreachable/);
    expect((e as Error).message).not.toMatch(/s3cret|abc|user/);
  });
});

describe('environment references and redaction', () => {
  it.each([
    ['http://${env:PROM_HOST}:9090', { PROM_HOST: 'prom.local' }, 'http://prom.local:9090'],
    ['${env:PROM_URL}', { PROM_URL: 'https://p' }, 'https://p'],
  ])('%s', (text, env, out) => expect(resolveEnv(text, env, 'x')).toBe(out));
  it('a missing variable is named', () => expect(() => resolveEnv('${env:NOPE}', {}, 'MetricSource prom spec.prometheus.url')).toThrow('MetricSource prom spec.prometheus.url references the environment variable NOPE, which is not set'));
  it.each([
    ['https://u:p@h:1/x?token=1', 'https://h:1/x?…'],
    ['not a url', '(an invalid URL)'],
  ])('redactUrl(%s)', (u, out) => expect(redactUrl(u)).toBe(out));
});

describe('collectMetrics: the history each metric needs, up to now, failures as data', () => {
  const policy = policyFrom([AGENT('a', 2), METRIC_SOURCES, SP('s', '{kind: Agent, name: a}', `min: 1
max: 5
metrics: [{metric: {source: h, series: rpm}, targetPerReplica: 1}]
triggers: [{name: t, metric: {source: prom, query: up}, operator: gt, threshold: 1, for: 1h, change: {by: 1}}]
predictive: {metric: {source: h, series: rpm}, targetPerReplica: 1, lookback: 7d}`)].join('\n---\n'));
  it('lookback: the longest use of each metric, the anomaly check included', () => {
    // up: the trigger needs 300 + 3600 + 900 s, the anomaly check 6 hours.
    expect(wantedMetrics(policy).map((w) => [w.ref.series ?? w.ref.query, w.lookback])).toEqual([['rpm', 7 * 86400], ['up', 6 * 3600]]);
    const quiet = policyFrom([AGENT('a', 2), METRIC_SOURCES, SP('s', '{kind: Agent, name: a}', `min: 1
max: 5
anomalies: {enabled: false}
triggers: [{name: t, metric: {source: prom, query: up}, operator: gt, threshold: 1, for: 1h, change: {by: 1}}]`)].join('\n---\n'));
    expect(wantedMetrics(quiet).map((w) => [w.ref.query, w.lookback])).toEqual([['up', 300 + 3600 + 900]]);
  });
  it('never reads after now; a source that is down becomes an error entry', async () => {
    const { data } = await collectMetrics(policy, dir, '2026-11-27T11:03:00Z');
    expect(data[metricKey({ source: 'h', series: 'rpm' })]).toEqual({ points: [{ t: T('2026-11-27T11:00:00Z'), v: 1 }] });
    expect(data[metricKey({ source: 'prom', query: 'up' })]!.error).toMatch(/^Prometheus at http:\/\/127\.0\.0\.1:9\/api\/v1\/query_range is unreachable for query 'up'/);
  });
});

describe('file.replay: a recording replayed as of the plan clock', () => {
  const pts = (ts: number[]) => ts.map((t) => ({ t, v: t }));
  it.each([
    { what: 'moves by whole steps so the last sample is within one step before the clock', points: [0, 300, 600], end: 1000, want: [300, 600, 900] },
    { what: 'nothing moves when the recording reaches the clock', points: [0, 300, 600], end: 600, want: [0, 300, 600] },
    { what: 'nothing moves when the clock is inside the recording', points: [0, 300, 600], end: 400, want: [0, 300, 600] },
    { what: 'less than a step behind: nothing moves', points: [0, 300, 600], end: 899, want: [0, 300, 600] },
  ])('$what', ({ points, end, want }) => {
    expect(replayed(pts(points), end).map((p) => p.t)).toEqual(want);
  });
});
