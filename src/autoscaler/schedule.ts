/**
 * Cron windows (schedules that raise floors or lower caps, and windows that allow or deny
 * disruption): a window opens when its cron fires, in its IANA time zone, and stays open for its
 * duration. croner does the calendar arithmetic (DST included). Pure: the clock is an argument.
 */
import { Cron } from 'croner';
import type { CronWindow, ScalingPolicySpec } from '../model/documents.js';
import { duration, iso } from './series.js';

const crons = new Map<string, Cron | string>();

/** A paused croner job for the window, or why it cannot be made (bad expression or zone). */
function cronOf(w: CronWindow): Cron | string {
  const key = `${w.cron}\u0000${w.timezone}`;
  let c = crons.get(key);
  if (c === undefined) {
    try {
      c = new Cron(w.cron, { timezone: w.timezone, paused: true });
    } catch (e) {
      c = (e as Error).message.replace(/^CronPattern:\s*/, '');
    }
    crons.set(key, c);
  }
  return c;
}

export type WindowState = { open: true; since: number; until: number } | { open: false } | { problem: string };

/** Whether the window is open at t (unix seconds): its cron fired within the last `duration` seconds. */
export function windowAt(w: CronWindow, t: number): WindowState {
  const c = cronOf(w);
  if (typeof c === 'string') return { problem: `cron '${w.cron}' in ${w.timezone} cannot be evaluated: ${c}` };
  let last: Date | undefined;
  try {
    // previousRuns is much cheaper than nextRun in croner; nextRun only tells "never" from "not yet".
    last = c.previousRuns(1, new Date((t + 1) * 1000))[0];
    if (last === undefined && c.nextRun(new Date(t * 1000)) === null) return { problem: `cron '${w.cron}' in ${w.timezone} never fires` };
  } catch (e) {
    return { problem: `cron '${w.cron}' in ${w.timezone} cannot be evaluated: ${(e as Error).message}` };
  }
  if (last !== undefined) {
    const since = last.getTime() / 1000;
    if (t - since < w.duration) return { open: true, since, until: since + w.duration };
  }
  return { open: false };
}

/** "schedules[0] (0 8 * * 1-5 Europe/Berlin, 10h, open since 2026-11-27T07:00:00Z)". */
export function windowText(kind: string, i: number, w: CronWindow, s?: WindowState): string {
  const open = s && 'open' in s && s.open ? `, open since ${iso(s.since)}` : '';
  return `${kind}[${i}] ('${w.cron}' ${w.timezone}, ${duration(w.duration)}${open})`;
}

export interface Bounds {
  min: number;
  max: number;
  /** Where each bound comes from, for reasons: "spec.min 1", "schedules[0].min 2". */
  minFrom: string;
  maxFrom: string;
  /** The active schedules' floors and caps conflict: min > max. */
  conflict?: string;
  problems: string[];
}

/**
 * The bounds at t: the policy's [min, max] within the hard bounds (a pool's size), raised by the
 * floors and lowered by the caps of every open schedule.
 */
export function boundsAt(spec: ScalingPolicySpec, t: number, hard: { min: number; max: number; what: string }): Bounds {
  const problems: string[] = [];
  let min = spec.min;
  let minFrom = `spec.min ${spec.min}`;
  let max = spec.max;
  let maxFrom = `spec.max ${spec.max}`;
  if (hard.min > min) [min, minFrom] = [hard.min, `${hard.what} min ${hard.min}`];
  if (hard.max < max) [max, maxFrom] = [hard.max, `${hard.what} max ${hard.max}`];
  spec.schedules.forEach((w, i) => {
    const s = windowAt(w, t);
    if ('problem' in s) {
      problems.push(`schedules[${i}]: ${s.problem}; the schedule is ignored`);
      return;
    }
    if (!s.open) return;
    if (w.min !== undefined && w.min > min) [min, minFrom] = [w.min, `${windowText('schedules', i, w, s)} min ${w.min}`];
    if (w.max !== undefined && w.max < max) [max, maxFrom] = [w.max, `${windowText('schedules', i, w, s)} max ${w.max}`];
  });
  const out: Bounds = { min, max, minFrom, maxFrom, problems };
  if (min > max) out.conflict = `the floor ${minFrom} is above the cap ${maxFrom}`;
  return out;
}

/**
 * Whether disruptive actions (scale-down) may run at t: no deny window open, and when allow
 * windows exist, one of them open. Returns the reason when they may not.
 */
export function disruptionBlocked(windows: ScalingPolicySpec['windows'], t: number): { blocked?: string; problems: string[] } {
  const problems: string[] = [];
  const allows: number[] = [];
  let allowOpen = false;
  for (const [i, w] of windows.entries()) {
    const s = windowAt(w, t);
    if ('problem' in s) {
      // A deny window we cannot evaluate denies: the safe side of a broken rule is no disruption.
      problems.push(`windows[${i}]: ${s.problem}; ${w.deny ? 'treated as open (no scale-down)' : 'ignored'}`);
      if (w.deny) return { blocked: `deny ${windowText('windows', i, w)} cannot be evaluated`, problems };
      continue;
    }
    if (w.deny && s.open) return { blocked: `deny ${windowText('windows', i, w, s)} until ${iso(s.until)}`, problems };
    if (!w.deny) {
      allows.push(i);
      if (s.open) allowOpen = true;
    }
  }
  if (allows.length && !allowOpen) return { blocked: `no allow window open (windows[${allows.join('], windows[')}])`, problems };
  return { problems };
}
