/**
 * A Kubernetes API test server: a plain node:http server on 127.0.0.1 that answers like a
 * kube-apiserver for the resources Quartermaster uses (see README.md), with a programmatic handle
 * for tests (objects, request log, faults, access rules) and a small simulated control plane
 * (kubelet, Cluster API controller). Start it in-process with `startKubeServer()`.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fault, FaultHandle, Rule } from './access.js';
import { Access, faultError } from './access.js';
import type { Reply, Route } from './api.js';
import { Api, notFoundPath, T } from './api.js';
import { parsePath } from './routes.js';
import type { KubeObject } from './store.js';
import { Store } from './store.js';
import { ApiError, badRequest, failure } from './status.js';
import type { IncludeObject } from './table.js';
import { toTable, wantsTable } from './table.js';
import { ClusterState } from './cluster.js';

export interface KubeServerOptions {
  /** Bearer token every request must carry (401 otherwise); absent: anonymous access. */
  token?: string;
  /** The user named in 403 messages (default system:serviceaccount:qm:qm). */
  user?: string;
  /** Serve metrics.k8s.io/v1beta1 (NodeMetrics, PodMetrics). */
  metrics?: boolean;
  /** Namespaces that exist from the start besides default, kube-system, kube-public, kube-node-lease. */
  namespaces?: string[];
  /** Simulated kubelet: admits pods bound to ready nodes (Running) or rejects them (Failed, OutOfcpu…). */
  kubelet?: boolean | KubeletOptions;
  /** Simulated Cluster API controller for MachineDeployments. */
  clusterApi?: boolean | ClusterApiOptions;
  /** Clock for timestamps (default: wall clock). */
  now?: () => Date;
  port?: number;
}

export interface KubeletOptions {
  /** Delay between admission and Running (default 0). */
  startDelayMs?: number;
  /** Graceful termination: a deleted pod on a node keeps its resources this long (default 0: gone at once). */
  terminationMs?: number;
}

export interface ClusterApiOptions {
  /** Machine created → Node registered (default 0). */
  registerDelayMs?: number;
  /** Node registered → Ready (default 0). */
  readyDelayMs?: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  verb?: string;
  resource?: string;
  namespace?: string;
  name?: string;
  ms: number;
}

export class KubeServer extends ClusterState {
  readonly requests: RequestRecord[] = [];
  readonly access: Access;
  private readonly http: Server;
  private readonly api: Api;
  private readonly sockets = new Set<Socket>();
  metricsEnabled: boolean;
  url = '';

  constructor(readonly options: KubeServerOptions = {}) {
    const now = options.now ?? (() => new Date());
    const store = new Store(now);
    super(store, now, options);
    this.access = new Access(options.token, options.user ?? 'system:serviceaccount:qm:qm');
    this.metricsEnabled = options.metrics ?? false;
    this.api = new Api(store, now, { deletePod: (p) => this.deletePodObject(p), metricsFor: (t, ns) => this.metricsFor(t, ns) });
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease', ...(options.namespaces ?? [])]) this.addNamespace(ns);
    this.http = createServer((req, res) => void this.serve(req, res));
    this.http.keepAliveTimeout = 30_000;
    this.http.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(port = this.options.port ?? 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.stopControllers();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  // --- test handle -------------------------------------------------------------------------

  /** Injects a fault; `times: 1` for once. The handle counts hits and removes it. */
  inject(fault: Fault): FaultHandle {
    return this.access.inject(fault);
  }

  clearFaults(): void {
    this.access.clearFaults();
  }

  /** Denies `verbs` on `resources` (403 Forbidden with the authorizer's message). */
  deny(rule: Rule): void {
    this.access.deny.push(rule);
  }

  /** Allows only these rules (like a Role): everything else answers 403. `undefined` allows all again. */
  allowOnly(rules: Rule[] | undefined): void {
    this.access.allow = rules;
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Requests of a verb on a resource ("list", "pods"), from the log. */
  requestsFor(verb: string, resource: string): RequestRecord[] {
    return this.requests.filter((r) => r.verb === verb && r.resource === resource);
  }

  // --- HTTP ------------------------------------------------------------------------------

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://x');
    const method = (req.method ?? 'GET').toUpperCase();
    const rec: RequestRecord = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0, ms: 0 };
    const finish = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      rec.status = status;
      rec.ms = performance.now() - started;
      this.requests.push(rec);
      const text = typeof body === 'string' && !headers['Content-Type'] ? body : JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', ...headers });
      res.end(text);
    };
    try {
      const raw = await readBody(req);
      const authErr = this.access.authenticate(req.headers.authorization);
      if (authErr) throw authErr;
      const parsed = parsePath(method, url.pathname, url.searchParams, this.metricsEnabled, this.url.replace(/^https?:\/\//, ''));
      let route: Route | undefined;
      if (parsed.kind === 'resource') route = parsed.route;
      else if (parsed.kind === 'binding') route = { type: T.pods, verb: 'create', namespace: parsed.namespace, subresource: 'binding' };
      if (route) Object.assign(rec, { verb: route.verb, resource: route.subresource ? `${route.type.plural}/${route.subresource}` : route.type.plural, namespace: route.namespace, name: route.name });
      const fault = this.access.takeFault(method, url.pathname, route);
      if (fault?.latencyMs) await sleep(fault.latencyMs);
      if (fault?.status) throw faultError(fault);
      if (parsed.kind === 'doc') return finish(200, parsed.body, typeof parsed.body === 'string' ? { 'Content-Type': 'text/plain; charset=utf-8' } : {});
      if (!route) throw notFoundPath();
      const denied = this.access.authorize(route);
      if (denied) throw denied;
      const body = raw.length ? parseJson(raw) : undefined;
      if (parsed.kind === 'binding') {
        const name = (body as { metadata?: { name?: string } } | undefined)?.metadata?.name ?? '';
        return finish(201, this.api.bind(parsed.namespace, name, body));
      }
      if (route.verb === 'watch') return this.watch(route, url.searchParams, req, res, rec, started);
      const reply = this.api.handle(route, url.searchParams, body, req.headers['content-type']);
      this.afterWrite(route);
      finish(reply.status, this.render(reply, route, req.headers.accept, url.searchParams));
    } catch (e) {
      if (e instanceof ApiError) return finish(e.status.code, e.status, e.headers);
      const msg = e instanceof Error ? e.message : String(e);
      finish(500, failure(500, 'InternalError', `Internal error occurred: ${msg}`));
    }
  }

  /** Lists and gets in Table form when kubectl asks for it. */
  private render(reply: Reply, route: Route, accept: string | undefined, query: URLSearchParams): unknown {
    if (!wantsTable(accept) || route.subresource || reply.status >= 300 || route.verb === 'create') return reply.body;
    if (route.verb !== 'get' && route.verb !== 'list') return reply.body;
    const include = (query.get('includeObject') ?? 'Metadata') as IncludeObject;
    if (reply.list) return toTable(route.type, reply.list.items, reply.list.meta, include, this.now().getTime());
    const o = reply.body as KubeObject;
    return toTable(route.type, [o], { resourceVersion: o.metadata.resourceVersion }, include, this.now().getTime());
  }

  private watch(route: Route, query: URLSearchParams, req: IncomingMessage, res: ServerResponse, rec: RequestRecord, started: number): void {
    rec.status = 200;
    rec.ms = performance.now() - started;
    this.requests.push(rec);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    const stop = this.subscribe(route, query, (line) => res.write(line));
    const timeout = Number(query.get('timeoutSeconds') ?? 0);
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    req.on('close', () => {
      stop();
      if (timer) clearTimeout(timer);
    });
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw badRequest(`json: ${(e as Error).message}`);
  }
}

/** Starts a server on a free port of 127.0.0.1. Stop it with `close()`. */
export async function startKubeServer(options: KubeServerOptions = {}): Promise<KubeServer> {
  return new KubeServer(options).listen();
}
