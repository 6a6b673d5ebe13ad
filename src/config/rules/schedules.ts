/** Cron expressions parse and fire; time zones are IANA zones. */
import { Cron } from 'croner';
import type { CronWindow } from '../../model/documents.js';
import type { Rule } from './context.js';
import { docName, entriesOf } from './context.js';
import { didYouMean } from '../../model/diagnostic.js';
import { IANA_ZONES } from './timezones.js';

const zoneCache = new Map<string, boolean>();
let knownZones: Set<string> | undefined;

/** True when the zone is a canonical IANA zone, or an alias the runtime's ICU knows. */
export function isTimeZone(tz: string): boolean {
  knownZones ??= new Set(IANA_ZONES);
  if (knownZones.has(tz)) return true;
  let ok = zoneCache.get(tz);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      ok = true;
    } catch {
      ok = false;
    }
    zoneCache.set(tz, ok);
  }
  return ok;
}

let zones: string[] | undefined;

/** The IANA zones the runtime knows, for "did you mean". */
function zoneNames(): string[] {
  zones ??= [...IANA_ZONES];
  return zones;
}

/**
 * A problem with a cron expression, or undefined. Evaluated in UTC from a fixed origin: whether a
 * cron can fire at all does not depend on the zone (and UTC needs no ICU time-zone data).
 */
export function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  if (!expr.startsWith('@') && fields.length !== 5) return `has ${fields.length} field${fields.length === 1 ? '' : 's'}; write five: minute hour day-of-month month day-of-week`;
  try {
    const next = new Cron(expr, { utcOffset: 0, paused: true }).nextRun(new Date('2024-01-01T00:00:00Z'));
    if (next === null) return 'never fires: no date matches it';
    return undefined;
  } catch (e) {
    const m = (e as Error).message.replace(/^CronPattern:\s*/, '').replace(/\.$/, '');
    return `is not valid: ${m.charAt(0).toLowerCase()}${m.slice(1)}`;
  }
}

function checkWindows(ctx: Parameters<Rule['check']>[0], e: Parameters<Parameters<Rule['check']>[0]['report']>[0], list: readonly CronWindow[], field: string): void {
  list.forEach((w, i) => {
    const zoneOk = isTimeZone(w.timezone);
    if (!zoneOk) {
      const guess = didYouMean(w.timezone, zoneNames());
      ctx.report(e, `/spec/${field}/${i}/timezone`, 'InvalidTimeZone', `${docName(e.doc)}: spec.${field}[${i}].timezone '${w.timezone}' is not an IANA time zone`, { hint: guess ? `did you mean '${guess}'?` : 'write a zone such as UTC, Europe/Berlin or America/New_York' });
    }
    const problem = cronProblem(w.cron);
    if (problem) ctx.report(e, `/spec/${field}/${i}/cron`, 'InvalidCron', `${docName(e.doc)}: spec.${field}[${i}].cron '${w.cron}' ${problem}`, { hint: 'write five fields, minute hour day-of-month month day-of-week: "0 8 * * 1-5" fires at 08:00 on weekdays' });
    // (A duration that did not parse is already reported, and normalises to 0.)
    if (w.duration <= 0 && !e.partial) ctx.report(e, `/spec/${field}/${i}/duration`, 'InvalidValue', `${docName(e.doc)}: spec.${field}[${i}].duration is zero, so the ${field === 'windows' ? 'window' : 'schedule'} is never open`, { hint: 'set a duration such as "10h"' });
  });
}

export const schedules: Rule = {
  name: 'schedules',
  description: 'schedules and windows have valid cron expressions that fire, IANA time zones and a duration',
  check(ctx) {
    for (const e of entriesOf(ctx, 'ScalingPolicy')) {
      checkWindows(ctx, e, e.doc.spec.schedules, 'schedules');
      checkWindows(ctx, e, e.doc.spec.windows, 'windows');
    }
  },
};
