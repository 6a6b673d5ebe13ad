/**
 * The docker driver's settings: a Driver document's `spec.docker` (schemas/driver.schema.json), with
 * `${env:NAME}` references resolved from the environment and defaults applied.
 */
import type { DriverDoc } from '../../model/documents.js';
import { parseDuration } from '../../model/quantity.js';
import { DEFAULT_DOCKER_HOST } from './endpoint.js';
import type { TlsFiles } from './endpoint.js';

export interface DockerOptions {
  /** Engines of pools without static nodes, one node each; absent: the local engine. */
  endpoints: string[];
  /** Engine API calls in flight at once, per engine. */
  concurrency: number;
  /** Seconds between SIGTERM and SIGKILL when an instance is removed, evicted or moved away. */
  stopGracePeriod: number;
  /** Client certificates for tcp:// endpoints. */
  tls?: TlsFiles;
  /** Image for agents whose runtime names none. */
  image?: string;
  /** Docker network of every agent container (HostConfig.NetworkMode). */
  network: string;
  /** Seconds a moved instance may take to be running (and healthy, if it has a health check) before the old one is removed. */
  startTimeout: number;
  /** Problems with the settings, reported by observe (never thrown while the plan is being made). */
  problems: string[];
}

type Env = Readonly<Record<string, string | undefined>>;

/** Replace `${env:NAME}` with the variable's value; unset variables are listed in `missing`. */
export function resolveEnvRefs(value: string, env: Env, missing: string[] = []): string {
  return value.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = env[name];
    if (v === undefined) missing.push(name);
    return v ?? '';
  });
}

/** The local engine, as the docker CLI finds it: DOCKER_HOST, else the default socket. */
export function defaultAddress(env: Env = process.env): string {
  return env.DOCKER_HOST && env.DOCKER_HOST.trim() ? env.DOCKER_HOST.trim() : DEFAULT_DOCKER_HOST;
}

function seconds(raw: unknown, field: string, fallback: number, problems: string[]): number {
  if (raw === undefined) return fallback;
  if (typeof raw === 'number' && raw >= 0) return raw;
  const d = parseDuration(raw, field);
  if (d.ok) return d.value;
  problems.push(`${d.message}${d.hint ? ` (${d.hint})` : ''}`);
  return fallback;
}

/** Settings from a Driver document (or none, for the built-in `docker` type). */
export function dockerOptions(doc: DriverDoc | undefined, env: Env = process.env): DockerOptions {
  const raw = (doc?.spec.docker ?? {}) as Record<string, unknown>;
  const where = doc ? `Driver '${doc.metadata.name}' spec.docker` : 'the docker driver';
  const problems: string[] = [];
  const str = (v: unknown, field: string): string | undefined => {
    if (typeof v !== 'string') return undefined;
    const missing: string[] = [];
    const out = resolveEnvRefs(v, env, missing);
    for (const m of missing) problems.push(`${where}.${field} references the environment variable ${m}, which is not set`);
    return out;
  };
  const endpoints = Array.isArray(raw.endpoints) ? raw.endpoints.map((e, i) => str(e, `endpoints[${i}]`) ?? '').filter(Boolean) : [];
  const tlsRaw = raw.tls as Record<string, unknown> | undefined;
  let tls: TlsFiles | undefined;
  if (tlsRaw) {
    const ca = str(tlsRaw.ca, 'tls.ca');
    const cert = str(tlsRaw.cert, 'tls.cert');
    const key = str(tlsRaw.key, 'tls.key');
    if (ca && cert && key) tls = { ca, cert, key };
  } else if (env.DOCKER_TLS_VERIFY && env.DOCKER_CERT_PATH) {
    const dir = env.DOCKER_CERT_PATH.replace(/\/$/, '');
    tls = { ca: `${dir}/ca.pem`, cert: `${dir}/cert.pem`, key: `${dir}/key.pem` };
  }
  const concurrency = typeof raw.concurrency === 'number' && raw.concurrency >= 1 ? Math.floor(raw.concurrency) : 4;
  const image = str(raw.image, 'image');
  return {
    endpoints,
    concurrency,
    stopGracePeriod: seconds(raw.stopGracePeriod, `${where}.stopGracePeriod`, 10, problems),
    startTimeout: seconds(raw.startTimeout, `${where}.startTimeout`, 60, problems),
    network: str(raw.network, 'network') || 'none',
    ...(tls ? { tls } : {}),
    ...(image ? { image } : {}),
    problems,
  };
}
