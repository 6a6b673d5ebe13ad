/**
 * Real use of managed containers (issue #15) from the Engine's stats endpoint. One-shot stats
 * (`stream=false&one-shot=true`) answer at once but carry no previous CPU sample, so every container
 * is read twice, a second apart: CPU is the CPU time consumed between the two readings over the
 * time between them (in millicores), memory what `docker stats` shows (usage minus the inactive
 * file cache). Calls are bounded per engine and time out; a container whose stats cannot be read is
 * left unmeasured and counted in one warning, never failing the observation.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResourceList } from '../../model/quantity.js';
import type { InstanceUsage } from '../../model/usage.js';
import type { EngineClient } from './engine-client.js';
import { Semaphore } from './semaphore.js';

/** The parts of GET /containers/{id}/stats the driver reads (cgroup v1 and v2). */
export interface ContainerStats {
  read?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

/**
 * Stats calls in flight at once per engine, and how long one may take. A call mostly waits on the
 * engine (about a second on a busy host, even one-shot), so more run at once than other calls.
 */
export const STATS_CONCURRENCY = 64;
export const STATS_TIMEOUT_MS = 5000;
/** Time between the two readings of a container: long enough for a CPU figure that means something. */
export const SAMPLE_GAP_MS = 1000;

/** Memory as `docker stats` counts it: the cgroup's usage minus its inactive file cache (cgroup v2, then v1, then older engines' `cache`). */
export function memoryInUse(m: ContainerStats['memory_stats']): number | undefined {
  if (!m || typeof m.usage !== 'number') return undefined;
  const s = m.stats ?? {};
  const cache = s.inactive_file ?? s.total_inactive_file ?? s.cache ?? 0;
  return Math.max(0, cache < m.usage ? m.usage - cache : m.usage);
}

/**
 * Millicores used between two readings: CPU nanoseconds consumed over wall nanoseconds elapsed.
 * Wall time comes from the readings' timestamps; when they are missing or equal, from the host's
 * CPU time divided by its CPUs, as `docker stats` does.
 */
export function cpuBetween(a: ContainerStats, b: ContainerStats): number | undefined {
  const ua = a.cpu_stats?.cpu_usage?.total_usage;
  const ub = b.cpu_stats?.cpu_usage?.total_usage;
  if (typeof ua !== 'number' || typeof ub !== 'number' || ub < ua) return undefined;
  let wallNs = a.read && b.read ? (Date.parse(b.read) - Date.parse(a.read)) * 1e6 : NaN;
  // Timestamps carry nanoseconds that Date.parse drops: take them back for short gaps.
  if (a.read && b.read) wallNs += fraction(b.read) - fraction(a.read);
  if (!(wallNs > 0)) {
    const sa = a.cpu_stats?.system_cpu_usage;
    const sb = b.cpu_stats?.system_cpu_usage;
    const cpus = b.cpu_stats?.online_cpus;
    if (typeof sa !== 'number' || typeof sb !== 'number' || !(sb > sa) || !cpus) return undefined;
    wallNs = (sb - sa) / cpus;
  }
  return Math.max(0, Math.round(((ub - ua) / wallNs) * 1000));
}

/** The sub-millisecond nanoseconds of an RFC 3339 timestamp ("…:05.123456789Z" → 456789). */
function fraction(ts: string): number {
  const m = /\.(\d+)/.exec(ts);
  if (!m) return 0;
  const digits = (m[1]! + '000000000').slice(0, 9);
  return Number(digits.slice(3));
}

/** Usage from two readings of one container, or undefined when neither figure could be made. */
export function usageFrom(a: ContainerStats, b: ContainerStats): InstanceUsage | undefined {
  const use: ResourceList = {};
  const cpu = cpuBetween(a, b);
  if (cpu !== undefined) use.cpuMillis = cpu;
  const mem = memoryInUse(b.memory_stats);
  if (mem !== undefined) use.memoryBytes = mem;
  if (Object.keys(use).length === 0) return undefined;
  const at = b.read && Number.isFinite(Date.parse(b.read)) ? new Date(Date.parse(b.read)).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined;
  return at ? { at, use } : undefined;
}

export interface MeasuredEngine {
  /** Container id → usage. */
  usage: Map<string, InstanceUsage>;
  /** Containers whose stats could not be read, and the first reason. */
  failed: number;
  firstError?: string;
}

/** Read every given container twice, SAMPLE_GAP_MS apart, within the bounds; never throws. */
export async function measure(client: EngineClient, ids: readonly string[], opts: { gapMs?: number; concurrency?: number; timeoutMs?: number } = {}): Promise<MeasuredEngine> {
  const sem = new Semaphore(opts.concurrency ?? STATS_CONCURRENCY);
  const timeout = opts.timeoutMs ?? STATS_TIMEOUT_MS;
  const out: MeasuredEngine = { usage: new Map(), failed: 0 };
  const errors = new Map<string, string>();
  const read = (id: string) =>
    sem.run(() => client.request<ContainerStats>('GET', `/containers/${encodeURIComponent(id)}/stats?stream=false&one-shot=true`, undefined, timeout)).then(
      (r) => (typeof r.body === 'object' && r.body ? r.body : undefined),
      (e: unknown) => {
        if (!errors.has(id)) errors.set(id, (e as Error).message);
        return undefined;
      },
    );
  const first = await Promise.all(ids.map(read));
  if (first.every((f) => f === undefined)) {
    out.failed = ids.length;
    if (errors.size) out.firstError = errors.values().next().value;
    return out;
  }
  await sleep(opts.gapMs ?? SAMPLE_GAP_MS);
  const second = await Promise.all(ids.map((id, i) => (first[i] ? read(id) : Promise.resolve(undefined))));
  ids.forEach((id, i) => {
    const u = first[i] && second[i] ? usageFrom(first[i]!, second[i]!) : undefined;
    if (u) out.usage.set(id, u);
    else {
      out.failed++;
      out.firstError ??= errors.get(id) ?? 'the engine returned no CPU or memory figures';
    }
  });
  return out;
}
