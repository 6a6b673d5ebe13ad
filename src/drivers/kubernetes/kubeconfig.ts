/**
 * Which API server, as whom, in which namespace: kubectl's rules, through @kubernetes/client-node's
 * KubeConfig (contexts, client certificates, tokens, exec and OIDC plugins, in-cluster service
 * account). The library is loaded on first use: importing it costs most of a second, which
 * `qm validate` and plans without a kubernetes pool should not pay.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Connection } from './options.js';

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ResolvedConfig {
  kc: KubeConfig;
  /** The API server's URL, for messages ("host"). */
  server: string;
  context: string;
  /** The namespace of the context, else "default" (the Driver's namespace is applied by the caller). */
  namespace: string;
  /** Where the configuration came from, for messages. */
  source: string;
}

export class KubeconfigError extends Error {
  readonly code = 'kubeconfig' as const;
  constructor(message: string, readonly hint: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function expandHome(p: string, env: Env): string {
  return p === '~' || p.startsWith('~/') ? path.join(env.HOME ?? os.homedir(), p.slice(1)) : p;
}

/** Load the configuration as kubectl would: the Driver's kubeconfig, else KUBECONFIG, ~/.kube/config, the in-cluster service account. */
export async function resolveConfig(conn: Connection, env: Env = process.env): Promise<ResolvedConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  let source: string;
  const files = conn.kubeconfig ? [expandHome(conn.kubeconfig, env)] : (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  const home = path.join(env.HOME ?? os.homedir(), '.kube', 'config');
  try {
    if (files.length) {
      const missing = files.filter((f) => !existsSync(f));
      if (missing.length === files.length) throw new KubeconfigError(`the kubeconfig ${files.join(path.delimiter)} does not exist`, conn.kubeconfig ? 'correct spec.kubernetes.kubeconfig in the Driver document' : 'correct KUBECONFIG');
      const [first, ...rest] = files.filter((f) => existsSync(f));
      kc.loadFromFile(first!);
      for (const f of rest) {
        const more = new KubeConfig();
        more.loadFromFile(f);
        kc.mergeConfig(more, true);
      }
      source = files.join(path.delimiter);
    } else if (existsSync(home)) {
      kc.loadFromFile(home);
      source = home;
    } else if (env.KUBERNETES_SERVICE_HOST && existsSync(`${SERVICE_ACCOUNT}/token`)) {
      // Token, CA and namespace from the mounted service account (re-read as the token rotates).
      kc.loadFromCluster();
      source = 'the in-cluster service account';
    } else {
      throw new KubeconfigError('no kubeconfig was found (no spec.kubernetes.kubeconfig, KUBECONFIG unset, no ~/.kube/config, not running in a cluster)', 'set spec.kubernetes.kubeconfig in the Driver document or export KUBECONFIG');
    }
  } catch (e) {
    if (e instanceof KubeconfigError) throw e;
    throw new KubeconfigError(`the kubeconfig ${files.join(path.delimiter) || home} cannot be read: ${(e as Error).message}`, 'check the file with kubectl config view');
  }
  if (conn.context) {
    if (!kc.getContextObject(conn.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeconfigError(`the context '${conn.context}' is not in ${source} (it has ${known.join(', ') || 'none'})`, 'correct spec.kubernetes.context, or list contexts with kubectl config get-contexts');
    }
    kc.setCurrentContext(conn.context);
  }
  const context = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeconfigError(`the context '${context}' in ${source} names no cluster`, 'set a current context (kubectl config use-context NAME) or spec.kubernetes.context');
  if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
    // kubectl speaks plain HTTP to an http:// server; client-node refuses unless TLS verification is
    // "skipped", which for plain HTTP means nothing: say so, so it builds its options.
    kc.clusters = kc.clusters.map((c) => (c === cluster ? { ...c, skipTLSVerify: true } : c));
  }
  const namespace = kc.getContextObject(context)?.namespace?.trim();
  return { kc, server: cluster.server.replace(/\/+$/, ''), context, namespace: namespace || 'default', source };
}
