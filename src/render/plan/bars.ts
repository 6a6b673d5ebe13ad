/** Fixed-width utilisation bars for terminals: `[████████░░]  80%`. */
import type { Palette } from '../color.js';

export const BAR_WIDTH = 10;
const FULL = '█';
const EMPTY = '░';

const safe = (pct: number) => (Number.isFinite(pct) && pct > 0 ? pct : Number.isNaN(pct) || pct <= 0 ? 0 : Infinity);

/**
 * Filled cells for a percentage: 0 only at 0 %, all only at 100 % or more, so that a little use
 * is never drawn as none and 99.6 % is never drawn as full.
 */
export function barCells(pct: number, width = BAR_WIDTH): number {
  const p = safe(pct);
  if (p <= 0) return 0;
  if (p >= 100) return width;
  return Math.min(width - 1, Math.max(1, Math.round((p / 100) * width)));
}

/** A percentage as a whole number, with the same rule at the ends: "<1%", "99%" for 99.6 %, "130%". */
export function percentText(pct: number): string {
  const p = safe(pct);
  if (p === Infinity) return '∞%';
  if (p <= 0) return '0%';
  if (p < 1) return '<1%';
  if (p < 100) return `${Math.min(99, Math.round(p))}%`;
  return `${Math.round(p)}%`;
}

/** The colour a level deserves: red above 100 % (overcommitted), yellow from 90 %, green below. */
export function levelColour(pct: number, c: Palette): (s: string) => string {
  const p = safe(pct);
  return p > 100 ? c.red : p >= 90 ? c.yellow : c.green;
}

/** `[████████░░]  80%`: always BAR_WIDTH cells plus a percentage padded to 4 characters. */
export function bar(pct: number, c: Palette, width = BAR_WIDTH): string {
  const n = barCells(pct, width);
  const paint = levelColour(pct, c);
  const filled = n > 0 ? paint(FULL.repeat(n)) : '';
  const empty = n < width ? c.dim(EMPTY.repeat(width - n)) : '';
  return `[${filled}${empty}] ${paint(percentText(pct).padStart(4))}`;
}
