/**
 * A kubeconfig file for a test server, readable by kubectl and @kubernetes/client-node.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  /** Context (and cluster, user) name; default "test". */
  context?: string;
  namespace?: string;
  token?: string;
  /** File name inside dir (default "kubeconfig"). */
  file?: string;
  /** PEM of the server's CA when it serves https. */
  caData?: string;
}

/** Writes `<dir>/kubeconfig` pointing at `server` (a URL) and returns its path. */
export function writeKubeconfig(dir: string, server: string, o: KubeconfigOptions = {}): string {
  const name = o.context ?? 'test';
  const cluster: Record<string, unknown> = { server };
  if (o.caData) cluster['certificate-authority-data'] = Buffer.from(o.caData).toString('base64');
  const user: Record<string, unknown> = o.token ? { token: o.token } : {};
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name, cluster }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name, ...(o.namespace ? { namespace: o.namespace } : {}) } }],
    'current-context': name,
  };
  mkdirSync(dir, { recursive: true });
  const path = join(dir, o.file ?? 'kubeconfig');
  writeFileSync(path, stringify(doc), { mode: 0o600 });
  return path;
}
