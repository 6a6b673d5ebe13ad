/**
 * The conformance suite: scenarios re-expressing kube-scheduler's plugin unit tests (and our own
 * SPEC rules) as data in test/scheduler/conformance/*.yaml, run through schedule().
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { schedule } from '../../src/scheduler/index.js';
import { toInput, type PlainScenario } from './plain.js';

const dir = join(import.meta.dirname, 'conformance');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

export function checkScenario(s: PlainScenario): void {
  const r = schedule(toInput(s));
  const where = new Map(r.placements.map((p) => [p.instance, p.node]));
  for (const m of r.moves) where.set(m.instance, m.toNode);
  const e = s.expect;
  for (const [inst, node] of Object.entries(e.placements ?? {})) {
    const got = where.get(inst);
    if (Array.isArray(node)) expect(node, `${inst} placed on ${got}`).toContain(got);
    else expect(got, `${inst}: ${JSON.stringify(r.blocked.find((b) => b.instance === inst))}`).toBe(node);
  }
  for (const inst of e.unplaced ?? []) expect(where.get(inst), `${inst} should not be placed`).toBeUndefined();
  for (const [inst, codes] of Object.entries(e.blocked ?? {})) {
    const b = r.blocked.find((x) => x.instance === inst);
    expect(b, `${inst} should be blocked, placed on ${where.get(inst)}`).toBeDefined();
    const got = b!.reasons.map((x) => x.code);
    for (const c of codes) expect(got, `${inst}: ${b!.summary ?? JSON.stringify(b!.reasons)}`).toContain(c);
  }
  for (const [inst, parts] of Object.entries(e.messages ?? {})) {
    const b = r.blocked.find((x) => x.instance === inst);
    const text = `${b?.summary ?? ''} ${b?.reasons.map((x) => x.message).join(' ') ?? ''}`;
    for (const p of parts) expect(text).toContain(p);
  }
  for (const [inst, nodes] of Object.entries(e.feasible ?? {})) {
    const d = r.decisions.find((x) => x.instance === inst);
    expect(d, `no decision for ${inst}`).toBeDefined();
    expect((d!.candidates ?? []).map((c) => c.node).sort(), `feasible nodes of ${inst}: ${JSON.stringify(d)}`).toEqual([...nodes].sort());
  }
  if (e.evictions) expect(r.evictions.map((x) => x.instance).sort()).toEqual([...e.evictions].sort());
  for (const [inst, node] of Object.entries(e.moves ?? {})) expect(r.moves.find((m) => m.instance === inst)?.toNode).toBe(node);
  if (e.moveCount !== undefined) expect(r.moves.length, JSON.stringify(r.moves)).toBe(e.moveCount);
  if (e.removals) expect(r.removals.map((x) => x.instance).sort()).toEqual([...e.removals].sort());
  if (e.placedCount !== undefined) expect(r.placements.length + r.moves.length).toBe(e.placedCount);
  if (e.blockedCount !== undefined) expect(r.blocked.length).toBe(e.blockedCount);
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
