/**
 * Docker engine endpoints as people write them (`unix:///var/run/docker.sock`, `tcp://host:2376`,
 * `ssh://ops@host`), parsed into what the transport needs. Pure.
 */

/** Where the docker CLI looks when nothing is configured. */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

export interface TlsFiles {
  /** Paths of the CA certificate, the client certificate and its key (DOCKER_CERT_PATH style). */
  ca: string;
  cert: string;
  key: string;
}

export type Endpoint =
  | { kind: 'unix'; address: string; socketPath: string }
  | { kind: 'tcp'; address: string; host: string; port: number; tls?: TlsFiles }
  | { kind: 'ssh'; address: string; target: string; port?: number };

/** The schemes the driver speaks (http and https are tcp, as for the docker CLI). */
export const DOCKER_SCHEMES = ['unix', 'tcp', 'http', 'https', 'ssh'] as const;

export type ParsedEndpoint = { ok: true; endpoint: Endpoint } | { ok: false; message: string };

/** Parse an endpoint address; `tls` applies to tcp:// endpoints (then the default port is 2376, else 2375). */
export function parseEndpoint(address: string, tls?: TlsFiles): ParsedEndpoint {
  const a = address.trim();
  if (a.startsWith('/')) return { ok: true, endpoint: { kind: 'unix', address: `unix://${a}`, socketPath: a } };
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(a);
  if (!m) return { ok: false, message: `'${address}' is not a Docker endpoint; write unix:///path/docker.sock, tcp://host:2376 or ssh://user@host` };
  const [, scheme, rest] = m as unknown as [string, string, string];
  switch (scheme) {
    case 'unix':
      if (!rest.startsWith('/')) return { ok: false, message: `'${address}' needs an absolute socket path (unix:///var/run/docker.sock)` };
      return { ok: true, endpoint: { kind: 'unix', address: a, socketPath: rest } };
    case 'tcp':
    case 'https':
    case 'http': {
      const hp = /^(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(rest);
      if (!hp) return { ok: false, message: `'${address}' is not host:port (tcp://docker-1.example.com:2376)` };
      const port = hp[2] ? Number(hp[2]) : tls ? 2376 : 2375;
      const host = hp[1]!.replace(/^\[|\]$/g, '');
      return { ok: true, endpoint: tls ? { kind: 'tcp', address: a, host, port, tls } : { kind: 'tcp', address: a, host, port } };
    }
    case 'ssh': {
      const sp = /^([^@/:]+@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(rest);
      if (!sp) return { ok: false, message: `'${address}' is not [user@]host[:port] (ssh://ops@docker-1)` };
      const target = `${sp[1] ?? ''}${sp[2]!.replace(/^\[|\]$/g, '')}`;
      return { ok: true, endpoint: sp[3] ? { kind: 'ssh', address: a, target, port: Number(sp[3]) } : { kind: 'ssh', address: a, target } };
    }
    default:
      return { ok: false, message: `'${address}' uses the scheme ${scheme}://, which the docker driver does not speak; use ${DOCKER_SCHEMES.map((x) => `${x}://`).join(', ')}` };
  }
}
