/**
 * Simulated real use, so `qm status`, `qm serve`, `qm recommend` and utilisation targets can be
 * demoed with the built-in driver: each instance of an agent reports a fixed percentage of its
 * requests (Driver `spec.sim.usage`, or `QM_SIM_USAGE=chat:cpu=85,chat:memory=40`, `*` for every
 * agent). Use stored with an instance is reported as it is. Deterministic: measured at the run's clock.
 */
import type { ObservedInstance } from '../../model/state.js';
import { withUsage } from '../../model/usage.js';
import type { ResourceList } from '../../model/quantity.js';

/** Agent (or `*`) → resource (cpu, memory, gpu) → percent of the instance's request. */
export type SimUsage = Record<string, Partial<Record<'cpu' | 'memory' | 'gpu', number>>>;

const KEYS = { cpu: 'cpuMillis', memory: 'memoryBytes', gpu: 'gpuMillis' } as const;

/** `chat:cpu=85,chat:memory=40,*:cpu=10` → SimUsage; malformed entries are skipped. */
export function parseSimUsage(raw: string | undefined): SimUsage {
  const out: SimUsage = {};
  for (const part of (raw ?? '').split(',')) {
    const m = /^\s*([^:=\s]+):(cpu|memory|gpu)=(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m) continue;
    (out[m[1]!] ??= {})[m[2] as 'cpu'] = Number(m[3]);
  }
  return out;
}

/** The instance with its simulated use at `now`, when the settings give one for its agent. */
export function withSimUsage(inst: ObservedInstance, settings: SimUsage, now: string): ObservedInstance {
  if (inst.usage) return inst;
  const use: ResourceList = {};
  for (const [r, p] of percentsOf(settings, inst.agent)) {
    const req = inst.requests[KEYS[r]];
    if (req !== undefined && Number.isFinite(p)) use[KEYS[r]] = Math.round((req * p) / 100);
  }
  return Object.keys(use).length ? withUsage(inst, { at: now, use }) : inst;
}

/** Per settings object, the merged percentages of each agent (`*` overridden by the agent's own): computed once, not per instance. */
const merged = new WeakMap<SimUsage, Map<string, ['cpu' | 'memory' | 'gpu', number][]>>();

function percentsOf(settings: SimUsage, agent: string): ['cpu' | 'memory' | 'gpu', number][] {
  let byAgent = merged.get(settings);
  if (!byAgent) merged.set(settings, (byAgent = new Map()));
  let list = byAgent.get(agent);
  if (!list) byAgent.set(agent, (list = Object.entries({ ...settings['*'], ...settings[agent] }) as ['cpu' | 'memory' | 'gpu', number][]));
  return list;
}
