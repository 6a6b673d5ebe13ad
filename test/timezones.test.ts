import { describe, expect, it } from 'vitest';
import { IANA_ZONES } from '../src/config/rules/timezones.js';
import { isTimeZone } from '../src/config/rules/schedules.js';

describe('the built-in IANA zone list', () => {
  it('agrees with the runtime: every listed zone is accepted by Intl', () => {
    for (const z of IANA_ZONES) expect(() => new Intl.DateTimeFormat('en-US', { timeZone: z }), z).not.toThrow();
    expect(IANA_ZONES).toContain('Europe/Berlin');
  });
  it('accepts aliases the runtime knows and refuses what is not a zone', () => {
    expect(isTimeZone('Asia/Calcutta')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Europe/Berlln')).toBe(false);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
