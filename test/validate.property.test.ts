/**
 * Property: whatever the YAML, the validator never throws, never hangs, and every diagnostic points
 * at a position that exists in its file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateFiles } from '../src/config/validate.js';
import type { SourceFile } from '../src/config/parse.js';
import { ROOT } from './helpers/cli.js';

function fleetFiles(): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(ROOT, rel)).sort()) {
      const r = `${rel}/${name}`;
      if (statSync(path.join(ROOT, r)).isDirectory()) walk(r);
      else if (/\.ya?ml$/.test(name)) out.push({ path: r, text: readFileSync(path.join(ROOT, r), 'utf8') });
    }
  };
  for (const d of ['pools', 'policies', 'agents']) walk(d);
  return out;
}

const FLEET = fleetFiles();
const TOKENS = [':', '-', '[', ']', '{', '}', '&a', '*a', '!!str', '|', '>', "'", '"', '#', '\n', '\t', ' ', '---', '0.5', '-1', 'null', '~', '4GB', 'gpu: 1.5', 'dependsOn: [x]', '{"var": 1}', '<<: *a', '?', ',', '%YAML 1.1\n', '\u00e9', '\ud83d\ude80'];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), token: fc.constantFrom(...TOKENS) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('dupLine' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swapLines' as const), at: fc.nat(), with: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(text: string, muts: Mutation[]): string {
  let t = text;
  for (const m of muts) {
    const lines = t.split('\n');
    switch (m.kind) {
      case 'insert': { const i = m.at % (t.length + 1); t = t.slice(0, i) + m.token + t.slice(i); break; }
      case 'delete': { const i = m.at % (t.length + 1); t = t.slice(0, i) + t.slice(i + m.len); break; }
      case 'dupLine': { const i = m.at % lines.length; lines.splice(i, 0, lines[i]!); t = lines.join('\n'); break; }
      case 'swapLines': { const i = m.at % lines.length; const j = m.with % lines.length; [lines[i], lines[j]] = [lines[j]!, lines[i]!]; t = lines.join('\n'); break; }
    }
  }
  return t;
}

function assertPositionsExist(files: SourceFile[]): void {
  const result = validateFiles(files);
  const byPath = new Map(files.map((f) => [f.path, f.text.split(/\r?\n|\r/)]));
  for (const d of result.diagnostics) {
    const lines = byPath.get(d.file);
    expect(lines, `diagnostic for unknown file ${d.file}`).toBeDefined();
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.line, `${d.file}:${d.line} ${d.code}`).toBeLessThanOrEqual(lines!.length);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.column, `${d.file}:${d.line}:${d.column} ${d.code}`).toBeLessThanOrEqual(lines![d.line - 1]!.length + 1);
    expect(d.message.length).toBeGreaterThan(0);
  }
}

describe('validator robustness (fast-check)', () => {
  it('never throws on mutated fleet files and points only at real positions', () => {
    fc.assert(
      fc.property(fc.nat({ max: FLEET.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 }), (idx, muts) => {
        const files = FLEET.map((f, i) => (i === idx ? { path: f.path, text: mutate(f.text, muts) } : f));
        assertPositionsExist(files);
      }),
      { numRuns: 300, seed: 20261128 },
    );
  });

  it('never throws on random text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...TOKENS, 'a', 'kind', 'Agent', 'spec', 'apiVersion', 'quartermaster.dev/v1alpha1', '  ') , maxLength: 80 }), (text) => {
        assertPositionsExist([{ path: 'agents/random.yaml', text }]);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('never throws on random JSON values as documents', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom('Pool', 'Agent', 'Quota', 'AffinityRule', 'ScalingPolicy', 'SchedulingProfile', 'Policy', 'MetricSource', 'Driver'), (spec, kind) => {
        const text = JSON.stringify({ apiVersion: 'quartermaster.dev/v1alpha1', kind, metadata: { name: 'x' }, spec }, null, 1);
        assertPositionsExist([{ path: 'policies/random.yaml', text }]);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('finishes a pathological alias document quickly instead of expanding it', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill('*' + 'abcdefghi'[i]).join(',')}]`)].join('\n');
    const r = validateFiles([{ path: 'agents/bomb.yaml', text: bomb }]);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['AliasLimit']);
  });
});
