/**
 * The kubernetes driver's settings: a Driver document's `spec.kubernetes` (schemas/driver.schema.json),
 * `${env:NAME}` references resolved, defaults applied. The clusterapi provisioner reads the same
 * connection fields from `spec.clusterapi`.
 */
import type { DriverDoc } from '../../model/documents.js';
import { parseDuration } from '../../model/quantity.js';
import { resolveEnvRefs } from '../docker/options.js';

export const DEFAULT_POOL_LABEL = 'quartermaster.dev/pool';

/** Where the API server is and who we are: kubeconfig file, context, namespace (kubectl's defaults when absent). */
export interface Connection {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface KubernetesOptions extends Connection {
  /** Node label whose value names a node's pool. */
  poolLabel: string;
  /** API calls in flight at once during apply. */
  concurrency: number;
  /** Seconds a moved instance's new pod may take to be Running and Ready before the move fails (old pod kept). */
  startTimeout: number;
  /** Image for agents whose runtime names none. */
  image?: string;
  /** Problems with the settings, reported by observe (never thrown while a plan is made). */
  problems: string[];
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads string fields of a settings block, resolving `${env:NAME}` and noting unset variables. */
export function stringReader(where: string, env: Env, problems: string[]) {
  return (v: unknown, field: string): string | undefined => {
    if (typeof v !== 'string') return undefined;
    const missing: string[] = [];
    const out = resolveEnvRefs(v, env, missing);
    for (const m of missing) problems.push(`${where}.${field} references the environment variable ${m}, which is not set`);
    return out || undefined;
  };
}

export function seconds(raw: unknown, field: string, fallback: number, problems: string[]): number {
  if (raw === undefined) return fallback;
  const d = parseDuration(raw, field);
  if (d.ok) return d.value;
  problems.push(`${d.message}${d.hint ? ` (${d.hint})` : ''}`);
  return fallback;
}

/** The connection fields of a settings block. */
export function connectionOf(raw: Record<string, unknown>, read: ReturnType<typeof stringReader>): Connection {
  const c: Connection = {};
  const kubeconfig = read(raw.kubeconfig, 'kubeconfig');
  const context = read(raw.context, 'context');
  const namespace = read(raw.namespace, 'namespace');
  if (kubeconfig) c.kubeconfig = kubeconfig;
  if (context) c.context = context;
  if (namespace) c.namespace = namespace;
  return c;
}

/** Settings from a Driver document (or none, for the built-in `kubernetes` type). */
export function kubernetesOptions(doc: DriverDoc | undefined, env: Env = process.env): KubernetesOptions {
  const raw = (doc?.spec.kubernetes ?? {}) as Record<string, unknown>;
  const where = doc ? `Driver '${doc.metadata.name}' spec.kubernetes` : 'the kubernetes driver';
  const problems: string[] = [];
  const read = stringReader(where, env, problems);
  const image = read(raw.image, 'image');
  return {
    ...connectionOf(raw, read),
    poolLabel: read(raw.poolLabel, 'poolLabel') ?? DEFAULT_POOL_LABEL,
    concurrency: typeof raw.concurrency === 'number' && raw.concurrency >= 1 ? Math.floor(raw.concurrency) : 20,
    startTimeout: seconds(raw.startTimeout, `${where}.startTimeout`, 300, problems),
    ...(image ? { image } : {}),
    problems,
  };
}
