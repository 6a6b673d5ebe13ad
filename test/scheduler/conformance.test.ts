/**
 * The conformance suite: scenarios re-expressing kube-scheduler's plugin unit tests (and our own
 * SPEC rules) as data in test/scheduler/conformance/*.yaml, run through schedule().
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkResult } from './check.js';
import { parse } from 'yaml';
import { schedule } from '../../src/scheduler/index.js';
import { toInput, type PlainScenario } from './plain.js';

const dir = join(import.meta.dirname, 'conformance');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

export function checkScenario(s: PlainScenario): void {
  checkResult(s, schedule(toInput(s)));
}

describe('conformance', () => {
  it('has at least 40 scenarios', () => {
    const n = files.reduce((s, f) => s + (parse(readFileSync(join(dir, f), 'utf8')) as { scenarios: unknown[] }).scenarios.length, 0);
    expect(n).toBeGreaterThanOrEqual(40);
  });
  for (const f of files) {
    const doc = parse(readFileSync(join(dir, f), 'utf8')) as { scenarios: PlainScenario[] };
    describe(f, () => {
      for (const s of doc.scenarios) it(s.name, () => checkScenario(s));
    });
  }
});
