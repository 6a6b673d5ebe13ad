/** Synthetic series for the forecasting tests: a seeded PRNG and small builders. */
import type { SeriesPoint } from '../../src/forecast/types.js';

export const T0 = 1_764_000_000; // 2025-11-24T16:00:00Z, a multiple of 300
export const STEP = 300;
export const DAY_STEPS = 288;

/** mulberry32: a tiny deterministic PRNG in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws from a seeded PRNG (Box–Muller). */
export function gaussian(seed: number): () => number {
  const u = prng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** n points every `step` seconds from T0 with values f(i). */
export function series(n: number, f: (i: number) => number, step = STEP): SeriesPoint[] {
  return Array.from({ length: n }, (_, i) => ({ t: T0 + i * step, v: f(i) }));
}

export const daily = (i: number, amplitude = 40, period = DAY_STEPS) => amplitude * Math.sin((2 * Math.PI * i) / period);
