/**
 * The conformance scenarios through `qm plan --snapshot`: each scenario is written out as a policy
 * repository and a snapshot file, and planned by the engine exactly as the CLI does (loader,
 * validator, snapshot reader, planner); a few also run as real `qm` processes.
 */
import { mkdtemp, mkdir, readdirSync, readFileSync, rm, writeFile } from 'node:fs';
import { mkdtemp as mkdtempP, mkdir as mkdirP, rm as rmP, writeFile as writeFileP } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { InvalidPolicyError, runPlan } from '../../src/engine/plan.js';
import type { Plan } from '../../src/model/plan.js';
import type { Decision } from '../../src/scheduler/index.js';
import { qm } from '../helpers/cli.js';
import { checkResult, type ScenarioResult } from './check.js';
import type { PlainScenario } from './plain.js';
import { scenarioToRepo } from './to-repo.js';

void [mkdtemp, mkdir, rm, writeFile];
const dir = join(import.meta.dirname, 'conformance');
const scenarios: { file: string; s: PlainScenario }[] = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .flatMap((f) => (parse(readFileSync(join(dir, f), 'utf8')) as { scenarios: PlainScenario[] }).scenarios.map((s) => ({ file: f, s })));

/** The plan (and decisions) as the scheduler result the scenario's expectations read. */
function asResult(plan: Plan, decisions: Decision[]): ScenarioResult {
  const placements = plan.actions.flatMap((a) => (a.type === 'place' ? [{ instance: a.instance, agent: a.agent, pool: a.pool, node: a.node, requests: a.requests, score: a.score, reason: a.reason }] : []));
  return {
    placements,
    moves: plan.actions.flatMap((a) => (a.type === 'move' ? [{ instance: a.instance, agent: a.agent, fromNode: a.fromNode, toNode: a.toNode, reason: a.reason }] : [])),
    // A preempted instance placed again elsewhere is one move in a plan (started there, then stopped here).
    evictions: plan.actions.flatMap((a) => (a.type === 'evict' ? [{ instance: a.instance, agent: a.agent, node: a.node, reason: a.reason, by: '' }] : a.type === 'move' && a.reason.startsWith('preempted by') ? [{ instance: a.instance, agent: a.agent, node: a.fromNode, reason: a.reason, by: '' }] : [])),
    removals: plan.actions.flatMap((a) => (a.type === 'remove' ? [{ instance: a.instance, agent: a.agent, node: a.node, reason: a.reason }] : [])),
    blocked: plan.blocked.map((b) => ({ instance: b.instance, agent: b.agent, reasons: b.reasons as ScenarioResult['blocked'][number]['reasons'], ...(b.summary ? { summary: b.summary } : {}) })),
    decisions,
  };
}

async function writeRepo(s: PlainScenario): Promise<string> {
  const root = await mkdtempP(path.join(tmpdir(), 'qm-conf-'));
  const { files, snapshot } = scenarioToRepo(s);
  for (const f of files) {
    await mkdirP(path.dirname(path.join(root, f.path)), { recursive: true });
    await writeFileP(path.join(root, f.path), f.text);
  }
  await writeFileP(path.join(root, 'snapshot.yaml'), snapshot);
  return root;
}

/** Scenarios the validator refuses before planning, and why: a request no node of its pools can ever hold is an error of the policy itself. */
const refusedByValidation: string[] = [];

describe('a preempted instance that fits elsewhere', () => {
  it('is one move that the preemptor waits for, not an eviction and a move of an instance no longer running', async () => {
    const s = scenarios.find((x) => x.s.name === 'an evicted instance is placed again where it fits')!.s;
    const root = await writeRepo(s);
    try {
      const { plan } = await runPlan({ dir: root, snapshot: path.join(root, 'snapshot.yaml'), now: '2026-11-28T10:00:00Z' });
      const of = (instance: string) => plan.actions.filter((a) => 'instance' in a && a.instance === instance);
      expect(of('low-0').map((a) => a.type)).toEqual(['move']);
      const move = of('low-0')[0]!;
      expect(move).toMatchObject({ fromNode: 'node1', toNode: 'node2' });
      expect(move.reason).toMatch(/^preempted by high-0 on node1/);
      const [evictFiller] = of('filler-0');
      expect(evictFiller!.type).toBe('evict');
      expect(of('high-0')[0]!.dependsOn).toEqual([evictFiller!.id, move.id].sort());
      expect(plan.summary).toMatchObject({ evict: 1, move: 1, place: 1 });
    } finally {
      await rmP(root, { recursive: true, force: true });
    }
  });
});

describe('conformance through qm plan --snapshot', () => {
  for (const { file, s } of scenarios) {
    // A node without a zone cannot be written in a snapshot (an absent zone means the pool's).
    const expressible = s.nodes.every((n) => n.zone !== '');
    it.skipIf(!expressible)(`${file}: ${s.name}`, async () => {
      const root = await writeRepo(s);
      try {
        const run = await runPlan({ dir: root, snapshot: path.join(root, 'snapshot.yaml'), now: '2026-11-28T10:00:00Z' }).catch((e: unknown) => e);
        if (run instanceof InvalidPolicyError) {
          const codes = [...new Set(run.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code))];
          // The only acceptable refusals: the scenario's point is a request that can never fit, or a
          // dependsOn cycle — both errors of the policy itself, which qm validate reports first.
          expect(codes.length, run.diagnostics.map((d) => `${d.file}:${d.line} ${d.code} ${d.message}`).join('\n')).toBe(1);
          expect(['UnsatisfiableRequest', 'DependencyCycle']).toContain(codes[0]);
          refusedByValidation.push(s.name);
          return;
        }
        if (run instanceof Error) throw run;
        const { plan, decisions } = run as Awaited<ReturnType<typeof runPlan>>;
        checkResult(s, asResult(plan, decisions));
      } finally {
        await rmP(root, { recursive: true, force: true });
      }
    });
  }

  it('runs at least 40 scenarios end to end (the rest are refused earlier, by qm validate)', () => {
    expect(scenarios.length - refusedByValidation.length).toBeGreaterThanOrEqual(40);
  });

  it('the real qm binary gives the same placements for a sample of scenarios', async () => {
    const sample = scenarios.filter(({ s }) => s.expect.placements && !s.expect.feasible).slice(0, 5);
    expect(sample.length).toBe(5);
    for (const { s } of sample) {
      const root = await writeRepo(s);
      try {
        const r = qm(['plan', root, '--snapshot', path.join(root, 'snapshot.yaml'), '--now', '2026-11-28T10:00:00Z', '--format', 'json']);
        if (r.code !== 0 && /UnsatisfiableRequest/.test(r.stderr)) continue;
        expect(r.code, r.stderr).toBe(0);
        const plan = JSON.parse(r.stdout) as Plan;
        checkResult({ ...s, expect: { ...s.expect, feasible: {} } }, asResult(plan, []));
      } finally {
        await rmP(root, { recursive: true, force: true });
      }
    }
  });
});
