/** The clusterapi provisioner's settings: a Driver document's `spec.clusterapi`, connection fields as the kubernetes driver's. */
import type { DriverDoc } from '../../model/documents.js';
import { connectionOf, stringReader } from '../kubernetes/options.js';
import type { Connection } from '../kubernetes/options.js';

export interface ClusterApiOptions extends Connection {
  /** Name template of a pool's MachineDeployment; `{pool}` is the pool's name. */
  machineDeployment: string;
  problems: string[];
}

export function clusterapiOptions(doc: DriverDoc | undefined, env: Readonly<Record<string, string | undefined>> = process.env): ClusterApiOptions {
  const raw = (doc?.spec.clusterapi ?? {}) as Record<string, unknown>;
  const where = doc ? `Driver '${doc.metadata.name}' spec.clusterapi` : 'the clusterapi driver';
  const problems: string[] = [];
  const read = stringReader(where, env, problems);
  return { ...connectionOf(raw, read), machineDeployment: read(raw.machineDeployment, 'machineDeployment') ?? '{pool}', problems };
}
