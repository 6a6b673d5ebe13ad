/**
 * The Docker Engine API (v1.41+) over HTTP, for one endpoint: unix socket, tcp (optionally TLS with
 * client certificates) or ssh dial-stdio. Only the calls the driver needs, each returning parsed JSON
 * or throwing EngineError — `unreachable` when the engine could not be reached at all.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Endpoint } from './endpoint.js';
import { SshAgent } from './ssh.js';

const API_VERSION = 'v1.41';

/** A failed Engine API call: `status` is the HTTP status, absent when the engine did not answer. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'EngineError';
  }

  get unreachable(): boolean {
    return this.status === undefined;
  }
}

/** What `docker info` says about capacity and GPU support. */
export interface EngineInfo {
  NCPU: number;
  MemTotal: number;
  ServerVersion: string;
  Name: string;
  Runtimes?: Record<string, unknown>;
}

/** One entry of GET /containers/json. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Labels: Record<string, string>;
  State: string;
  Created: number;
}

/** The parts of GET /containers/{id}/json the driver reads. */
export interface ContainerDetail {
  Id: string;
  Name: string;
  RestartCount: number;
  State: { Status: string; Running: boolean; Restarting: boolean; ExitCode: number; StartedAt: string; Error?: string; Health?: { Status: string } };
  HostConfig: { NanoCpus: number; Memory: number };
  Config: { Labels: Record<string, string> };
}

export class EngineClient {
  private readonly agent: http.Agent;
  private readonly tls: { ca: Buffer; cert: Buffer; key: Buffer } | undefined;

  constructor(
    readonly endpoint: Endpoint,
    opts: { maxSockets: number; timeoutMs?: number },
  ) {
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets };
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    if (endpoint.kind === 'ssh') this.agent = new SshAgent(endpoint.target, endpoint.port, agentOpts);
    else if (endpoint.kind === 'tcp' && endpoint.tls) {
      // Read once: a missing certificate is a configuration error the first request reports.
      try {
        this.tls = { ca: readFileSync(endpoint.tls.ca), cert: readFileSync(endpoint.tls.cert), key: readFileSync(endpoint.tls.key) };
      } catch (e) {
        this.tlsError = `cannot read the TLS files (ca ${endpoint.tls.ca}, cert ${endpoint.tls.cert}, key ${endpoint.tls.key}): ${(e as Error).message}`;
      }
      this.agent = new https.Agent({ ...agentOpts, ...(this.tls ?? {}) });
    } else this.agent = new http.Agent(agentOpts);
  }

  private readonly timeoutMs: number;
  private readonly tlsError: string | undefined;

  /** One API call; resolves with the parsed body for 2xx and 304, throws EngineError otherwise. */
  request<T = unknown>(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<{ status: number; body: T }> {
    if (this.tlsError) return Promise.reject(new EngineError(this.tlsError));
    const ep = this.endpoint;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    // Sockets and ssh pipes have no host name; over tcp the real one matters (TLS checks it).
    const headers: Record<string, string | number> = ep.kind === 'tcp' ? {} : { Host: 'docker' };
    if (payload) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': payload.length });
    const base: http.RequestOptions = { method, path: `/${API_VERSION}${path}`, headers, agent: this.agent };
    const options: http.RequestOptions =
      ep.kind === 'unix' ? { ...base, socketPath: ep.socketPath } :
      ep.kind === 'tcp' ? { ...base, host: ep.host, port: ep.port } :
      { ...base, host: 'docker' };
    const send = ep.kind === 'tcp' && ep.tls ? https.request : http.request;
    return new Promise((resolve, reject) => {
      // SNI takes host names only (Node warns about IP addresses there).
      const tlsOptions = ep.kind === 'tcp' && ep.tls ? { ...options, ...this.tls, ...(isIP(ep.host) ? {} : { servername: ep.host }) } : undefined;
      const req = send(tlsOptions ?? options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(new EngineError(e.message)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          if ((res.headers['content-type'] ?? '').includes('json') && text) {
            try {
              parsed = JSON.parse(text);
            } catch {
              /* keep the text */
            }
          }
          const status = res.statusCode ?? 0;
          if ((status >= 200 && status < 300) || status === 304) resolve({ status, body: parsed as T });
          else {
            const msg = typeof parsed === 'object' && parsed && 'message' in parsed ? String((parsed as { message: unknown }).message) : text.trim();
            reject(new EngineError(msg || `HTTP ${status}`, status));
          }
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)}s`)));
      req.on('error', (e: NodeJS.ErrnoException) => reject(new EngineError(e.code && !e.message.includes(e.code) ? `${e.code} ${e.message}` : e.message)));
      req.end(payload);
    });
  }

  /** GET /info, within a short timeout: observation must not hang on a dead engine. */
  async info(timeoutMs = 5000): Promise<EngineInfo> {
    return (await this.request<EngineInfo>('GET', '/info', undefined, timeoutMs)).body;
  }

  /** Containers (running or not) carrying every given label filter (`key` or `key=value`). */
  async list(labels: string[]): Promise<ContainerSummary[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: labels }));
    return (await this.request<ContainerSummary[]>('GET', `/containers/json?all=1&filters=${filters}`)).body;
  }

  async inspect(id: string): Promise<ContainerDetail> {
    return (await this.request<ContainerDetail>('GET', `/containers/${encodeURIComponent(id)}/json`)).body;
  }

  async create(name: string, config: unknown): Promise<string> {
    return (await this.request<{ Id: string }>('POST', `/containers/create?name=${encodeURIComponent(name)}`, config)).body.Id;
  }

  async start(id: string): Promise<void> {
    await this.request('POST', `/containers/${encodeURIComponent(id)}/start`);
  }

  /** Stop with a grace period (SIGTERM, then SIGKILL after `graceSeconds`); already stopped is fine. */
  async stop(id: string, graceSeconds: number): Promise<void> {
    await this.request('POST', `/containers/${encodeURIComponent(id)}/stop?t=${graceSeconds}`, undefined, (graceSeconds + 30) * 1000);
  }

  async remove(id: string): Promise<void> {
    await this.request('DELETE', `/containers/${encodeURIComponent(id)}?force=1`);
  }

  async rename(id: string, name: string): Promise<void> {
    await this.request('POST', `/containers/${encodeURIComponent(id)}/rename?name=${encodeURIComponent(name)}`);
  }

  /** Pull an image (POST /images/create); the engine streams progress and reports failures inside the stream. */
  async pull(image: string): Promise<void> {
    const at = image.lastIndexOf(':');
    const slash = image.lastIndexOf('/');
    const [repo, tag] = at > slash ? [image.slice(0, at), image.slice(at + 1)] : [image, 'latest'];
    const r = await this.request<string>('POST', `/images/create?fromImage=${encodeURIComponent(repo)}&tag=${encodeURIComponent(tag)}`, undefined, 600_000);
    const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    const err = /"error"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(text);
    if (err) throw new EngineError(JSON.parse(`"${err[1]}"`) as string, 500);
  }

  close(): void {
    this.agent.destroy();
  }
}
