/**
 * The GPU packing line of a pool: shown only when the pool has GPUs and some of the free ones are
 * stranded or fragmented, or GPU instances that may use it are blocked, so a reviewer sees why a GPU
 * instance is blocked in a pool that looks half empty (definitions in docs/plan-output.md).
 */
import type { PoolSummary } from './types.js';

export interface PoolGpu {
  capacityMillis: number;
  freeMillis: number;
  strandedMillis: number;
  fragmentedMillis: number;
  blockedInstances: number;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** The pool's GPU figures when worth showing (a plan from another qm may lack or garble them). */
export function gpuToShow(pool: PoolSummary): PoolGpu | undefined {
  const g = pool.gpu;
  if (!g || typeof g !== 'object') return undefined;
  const { capacityMillis, freeMillis, strandedMillis, fragmentedMillis } = g;
  const blockedInstances = g.blockedInstances ?? 0;
  if (!isCount(capacityMillis) || !isCount(freeMillis) || !isCount(strandedMillis) || !isCount(fragmentedMillis) || !isCount(blockedInstances)) return undefined;
  if (capacityMillis <= 0 || strandedMillis + fragmentedMillis + blockedInstances <= 0) return undefined;
  return { capacityMillis, freeMillis, strandedMillis, fragmentedMillis, blockedInstances };
}

/** Millis as GPUs, up to two decimals: 2500 → "2.5". */
export function gpus(millis: number): string {
  return String(Math.round(millis / 10) / 100);
}

/** "GPU 3.5 of 8 free after the plan: 2 stranded (node CPU or memory full), 0.6 fragmented (free shares too small); 2 GPU instances blocked". */
export function gpuSentence(g: PoolGpu): string {
  const parts = [];
  if (g.strandedMillis > 0) parts.push(`${gpus(g.strandedMillis)} stranded (node CPU or memory full)`);
  if (g.fragmentedMillis > 0) parts.push(`${gpus(g.fragmentedMillis)} fragmented (free shares too small)`);
  let s = `GPU ${gpus(g.freeMillis)} of ${gpus(g.capacityMillis)} free after the plan`;
  if (parts.length > 0) s += `: ${parts.join(', ')}`;
  if (g.blockedInstances > 0) s += `; ${g.blockedInstances} GPU instance${g.blockedInstances === 1 ? '' : 's'} blocked`;
  return s;
}
