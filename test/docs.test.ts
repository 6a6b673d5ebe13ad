import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES } from '../src/model/diagnostic.js';
import { VERSION } from '../src/cli/version.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { qm, ROOT } from './helpers/cli.js';

const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');

describe('documentation stays in step with the code', () => {
  it('docs/diagnostics.md lists every diagnostic code, and no code that does not exist', () => {
    const doc = read('docs/diagnostics.md');
    const listed = [...doc.matchAll(/^\| `([A-Z][A-Za-z]+)` \|/gm)].map((m) => m[1]);
    expect([...listed].sort()).toEqual(Object.keys(DIAGNOSTIC_CODES).sort());
  });
  it('the CLI version equals package.json', () => {
    expect(VERSION).toBe((JSON.parse(read('package.json')) as { version: string }).version);
  });
  it('the README\'s main job works on the example fleet: qm plan with the built-in sim driver', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'qm-readme-'));
    try {
      const r = qm(['plan', '--state', path.join(dir, 'state.db')]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Plan: \d+ to place, 0 to move, 0 to evict, 0 to remove, \d+ pools? to scale, \d+ agents? to scale; 0 blocked\./);
      // A clean first run (#16): no warnings about services nobody started or history that ended days ago.
      expect(r.stdout).not.toMatch(/warning/i);
      expect(r.stderr).toBe('');
      // The recording is replayed as of now, so the GPU pool's forecast is made.
      expect(r.stdout).toContain('Forecasts:');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('README shows the two set-up commands', () => {
    const readme = read('README.md');
    expect(readme).toContain('npm ci && npx qm plan');
    expect(readme).toContain('npm test');
  });
});

describe('the plan schema and the code agree', () => {
  it('blocked reason codes: schemas/plan.schema.json enum equals REASON_CODES', async () => {
    const { REASON_CODES } = await import('../src/model/plan.js');
    const schema = JSON.parse(read('schemas/plan.schema.json')) as { $defs: { blockedReason: { properties: { code: { enum: string[] } } } } };
    expect([...schema.$defs.blockedReason.properties.code.enum].sort()).toEqual([...REASON_CODES].sort());
  });
});
