/**
 * Request recommendations from observed use (issue #15), the simple honest version of the
 * Kubernetes Vertical Pod Autoscaler's recommender: CPU is a percentile (default p90) of every
 * per-instance, per-minute sample in the window; memory is peak-based, a percentile (default
 * p95) of each instance's daily peaks, because running out of memory kills an instance while
 * running out of CPU only slows it. Both get a safety margin (default 15 %, as VPA) and are
 * rounded up to quantities people write (CPU to 10m, memory to Mi).
 *
 * What VPA does and this does not: no decaying histogram (every sample in the window weighs the
 * same, so the window length is the one knob of how fast old behaviour is forgotten), no
 * confidence-scaled lower/upper bounds, no OOM bump (drivers do not report OOM kills yet). With
 * less than `minHistoryMinutes` of samples it says so instead of guessing. Pure and deterministic.
 */
import type { AgentDoc } from '../model/documents.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const MI = 2 ** 20;
/** Floors so an idle agent is never proposed nothing: one CPU rounding step, and 32Mi. */
export const MIN_CPU_MILLIS = 10;
export const MIN_MEMORY_BYTES = 32 * MI;

export interface RecommendSettings {
  /** Epoch ms: the window is [end − windowMs, end]. */
  end: number;
  windowMs: number;
  cpuPercentile: number;
  memoryPercentile: number;
  /** 0.15 = 15 %. */
  margin: number;
  /** 0.1 = a proposal within 10 % of the current request is "ok". */
  tolerance: number;
  minHistoryMinutes: number;
}

/** One instance's samples of one agent, in the window, oldest first (`at` epoch ms, one per minute). */
export interface InstanceSeries {
  instance: string;
  at: number[];
  /** NaN where the resource was not measured in that sample. */
  cpu: number[];
  memory: number[];
}

export type ResourceStatus = 'ok' | 'change' | 'no-data';

export interface ResourceRecommendation {
  /** The request in the policy, canonical units; absent when the agent declares none. */
  current?: number;
  /** Percentiles of observed use, canonical units (memory: of the daily peaks). */
  use?: { p50: number; pN: number; max: number };
  /** Samples (cpu) or daily peaks (memory) behind the percentiles. */
  points: number;
  proposed?: number;
  status: ResourceStatus;
}

export type AgentStatus = 'ok' | 'change' | 'not-enough-history' | 'no-usage';

export interface AgentRecommendation {
  agent: string;
  file: string;
  /** 0-based document index in the file. */
  document: number;
  instances: number;
  /** Minutes of the window with at least one sample of this agent. */
  historyMinutes: number;
  status: AgentStatus;
  cpu: ResourceRecommendation;
  memory: ResourceRecommendation;
}

/** Nearest-rank percentile of ascending values (deterministic, an observed value). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

const ascending = (values: number[]) => values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);

/** Round up to a multiple of `step` (tiny float noise below a step boundary is not a step). */
const roundUp = (v: number, step: number) => Math.ceil(v / step - 1e-9) * step;

/**
 * Each instance's peak per day of the window (days counted back from the window's end, so the
 * newest day is whole); a day without a memory sample has no peak.
 */
export function dailyPeaks(series: readonly InstanceSeries[], end: number): number[] {
  const peaks: number[] = [];
  for (const s of series) {
    const byDay = new Map<number, number>();
    s.at.forEach((at, i) => {
      const m = s.memory[i]!;
      if (Number.isNaN(m)) return;
      const day = Math.floor((end - at) / DAY);
      byDay.set(day, Math.max(byDay.get(day) ?? 0, m));
    });
    peaks.push(...byDay.values());
  }
  return peaks;
}

function resource(current: number | undefined, points: number[], pN: number, margin: number, tolerance: number, step: number, floor: number): ResourceRecommendation {
  const base = current === undefined ? {} : { current };
  const sorted = ascending(points);
  if (sorted.length === 0) return { ...base, points: 0, status: 'no-data' };
  const use = { p50: percentile(sorted, 50), pN: percentile(sorted, pN), max: sorted[sorted.length - 1]! };
  const proposed = Math.max(floor, roundUp(use.pN * (1 + margin), step));
  const ok = current !== undefined && current > 0 && Math.abs(proposed - current) / current <= tolerance;
  return { ...base, use, points: sorted.length, proposed, status: ok ? 'ok' : 'change' };
}

/** The recommendation for one agent from its instances' series (already cut to the window). */
export function recommendAgent(agent: AgentDoc, series: readonly InstanceSeries[], s: RecommendSettings): AgentRecommendation {
  const requests = agent.spec.resources.requests;
  const minutes = new Set<number>();
  for (const x of series) for (const at of x.at) minutes.add(at);
  const head = { agent: agent.metadata.name, file: agent.source.file, document: agent.source.index, instances: series.length, historyMinutes: minutes.size };
  const cpuNow = requests.cpuMillis;
  const memNow = requests.memoryBytes;
  const current = (v: number | undefined) => (v === undefined ? {} : { current: v });
  if (minutes.size === 0 || minutes.size < s.minHistoryMinutes) {
    const status: AgentStatus = minutes.size === 0 ? 'no-usage' : 'not-enough-history';
    return { ...head, status, cpu: { ...current(cpuNow), points: 0, status: 'no-data' }, memory: { ...current(memNow), points: 0, status: 'no-data' } };
  }
  const cpu = resource(cpuNow, series.flatMap((x) => x.cpu), s.cpuPercentile, s.margin, s.tolerance, 10, MIN_CPU_MILLIS);
  const memory = resource(memNow, dailyPeaks(series, s.end), s.memoryPercentile, s.margin, s.tolerance, MI, MIN_MEMORY_BYTES);
  const status: AgentStatus = cpu.status === 'change' || memory.status === 'change' ? 'change' : cpu.status === 'no-data' && memory.status === 'no-data' ? 'no-usage' : 'ok';
  return { ...head, status, cpu, memory };
}
