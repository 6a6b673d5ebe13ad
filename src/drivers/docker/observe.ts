/**
 * Observation of the engines behind the served pools: every node with its readiness, and the live
 * managed containers read back from their labels. An unreachable engine makes its nodes not ready
 * and becomes a warning naming the host; it never fails the whole observation.
 */
import type { ObservedInstance, ObservedNode } from '../../model/state.js';
import type { InstanceUsage } from '../../model/usage.js';
import type { ContainerSummary, EngineClient, EngineInfo } from './engine-client.js';
import { instanceFromLabels, isLive, LABEL } from './container-spec.js';
import type { NodeTarget } from './nodes.js';
import { capacityWarning, gpuWarning } from './nodes.js';
import { measure } from './stats.js';

export interface EngineReading {
  address: string;
  info?: EngineInfo;
  containers?: ContainerSummary[];
  /** Why the engine could not be read. */
  error?: string;
  /** The address itself is wrong (not an engine that is down): qm validate reports it too. */
  invalid?: boolean;
  /** Real use by container id, when asked for (stats.ts). */
  usage?: Map<string, InstanceUsage>;
  /** Why some containers' use could not be read: how many, and the first reason. */
  usageFailed?: { count: number; error: string };
}

/** Read one engine: its info and its managed containers, and with `usage` the live ones' real use. */
export async function readEngine(address: string, client: EngineClient | { error: string }, opts: { usage?: boolean; gapMs?: number; concurrency?: number } = {}): Promise<EngineReading> {
  if ('error' in client) return { address, error: client.error, invalid: true };
  let reading: EngineReading;
  try {
    const info = await client.info();
    const containers = await client.list([LABEL.instance]);
    reading = { address, info, containers };
  } catch (e) {
    return { address, error: (e as Error).message };
  }
  if (!opts.usage) return reading;
  const live = (reading.containers ?? []).filter((c) => c.State === 'running').map((c) => c.Id);
  if (live.length === 0) return reading;
  const m = await measure(client, live, { ...(opts.gapMs !== undefined ? { gapMs: opts.gapMs } : {}), ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}) });
  reading.usage = m.usage;
  if (m.failed) reading.usageFailed = { count: m.failed, error: m.firstError ?? 'unknown' };
  return reading;
}

/** Nodes, instances and warnings from the engines' readings. Deterministic for the same readings. */
export function assemble(targets: readonly NodeTarget[], readings: readonly EngineReading[]): { nodes: ObservedNode[]; instances: ObservedInstance[]; warnings: string[] } {
  const byAddress = new Map(readings.map((r) => [r.address, r]));
  const nodesAt = new Map<string, ObservedNode[]>();
  for (const t of targets) nodesAt.set(t.address, [...(nodesAt.get(t.address) ?? []), t.node]);
  const warnings: string[] = [];
  const nodes: ObservedNode[] = [];
  const found: { inst: ObservedInstance; created: number; id: string }[] = [];
  for (const address of [...nodesAt.keys()].sort()) {
    const here = nodesAt.get(address)!;
    const r = byAddress.get(address);
    const ready = Boolean(r && !r.error);
    for (const n of here) nodes.push({ ...n, ready });
    if (r?.invalid) {
      warnings.push(`docker engine address ${r.error}: node${here.length === 1 ? '' : 's'} ${here.map((n) => n.name).join(', ')} marked not ready; correct the address in Pool.spec.nodes or spec.docker.endpoints (qm validate reports it)`);
      continue;
    }
    if (!r || r.error) {
      warnings.push(`docker engine ${address} is unreachable (${r?.error ?? 'not read'}): node${here.length === 1 ? '' : 's'} ${here.map((n) => n.name).join(', ')} marked not ready; check the engine (docker -H ${address} info)`);
      continue;
    }
    const cap = capacityWarning(address, here, r.info!);
    if (cap) warnings.push(cap);
    const gpu = gpuWarning(address, here, r.info!);
    if (gpu) warnings.push(gpu);
    if (r.usageFailed) warnings.push(`docker engine ${address}: the real use of ${r.usageFailed.count} container${r.usageFailed.count === 1 ? '' : 's'} could not be read (${r.usageFailed.error}); ${r.usageFailed.count === 1 ? 'it is' : 'they are'} shown unmeasured (docker -H ${address} stats --no-stream)`);
    const names = new Set(here.map((n) => n.name));
    for (const c of r.containers ?? []) {
      if (!isLive(c.State)) continue;
      const node = c.Labels[LABEL.node] ?? '';
      const inst = names.has(node) ? instanceFromLabels(c.Labels, node) : undefined;
      if (!inst) {
        warnings.push(`container ${c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12)} on docker engine ${address} carries ${LABEL.instance}=${c.Labels[LABEL.instance]} but its node '${node}' is not a node of this engine in the served pools; Quartermaster leaves it alone (remove it with docker -H ${address} rm -f ${c.Id.slice(0, 12)})`);
        continue;
      }
      const usage = r.usage?.get(c.Id);
      if (usage) inst.usage = usage;
      found.push({ inst, created: c.Created, id: c.Id });
    }
  }
  // An instance seen twice (a move interrupted between start and remove, or an engine that came
  // back after its instances were replaced): the newest copy comes first, so the planner keeps it
  // and plans the removal of the older one.
  found.sort((a, b) => (a.inst.name < b.inst.name ? -1 : a.inst.name > b.inst.name ? 1 : b.created - a.created || (a.id < b.id ? -1 : 1)));
  nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { nodes, instances: found.map((f) => f.inst), warnings };
}
