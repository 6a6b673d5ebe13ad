/** Expectations of a conformance scenario, checked against a scheduler result (shared by the plan --snapshot runner). */
import { expect } from 'vitest';
import type { ScheduleResult } from '../../src/scheduler/index.js';
import type { PlainScenario } from './plain.js';

export type ScenarioResult = Pick<ScheduleResult, 'placements' | 'blocked' | 'evictions' | 'moves' | 'removals' | 'decisions'>;

export function checkResult(s: PlainScenario, r: ScenarioResult): void {
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
  for (const [inst, plugins] of Object.entries(e.scores ?? {})) {
    const d = r.decisions.find((x) => x.instance === inst);
    expect(d, `no decision for ${inst}`).toBeDefined();
    for (const [plugin, nodes] of Object.entries(plugins)) {
      for (const [node, want] of Object.entries(nodes)) {
        const c = (d!.candidates ?? []).find((x) => x.node === node);
        expect(c?.scores?.[plugin], `${plugin} score of ${node} for ${inst}: ${JSON.stringify(d!.candidates)}`).toBe(want);
      }
    }
  }
  if (e.evictions) expect(r.evictions.map((x) => x.instance).sort()).toEqual([...e.evictions].sort());
  for (const [inst, node] of Object.entries(e.moves ?? {})) expect(r.moves.find((m) => m.instance === inst)?.toNode).toBe(node);
  if (e.moveCount !== undefined) expect(r.moves.length, JSON.stringify(r.moves)).toBe(e.moveCount);
  if (e.removals) expect(r.removals.map((x) => x.instance).sort()).toEqual([...e.removals].sort());
  if (e.placedCount !== undefined) expect(r.placements.length + r.moves.length).toBe(e.placedCount);
  if (e.blockedCount !== undefined) expect(r.blocked.length).toBe(e.blockedCount);
}
