import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES } from '../src/model/diagnostic.js';
import { VERSION } from '../src/cli/version.js';
import { ROOT } from './helpers/cli.js';

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
  it('README shows the two set-up commands', () => {
    const readme = read('README.md');
    expect(readme).toContain('npm ci && npx qm validate');
    expect(readme).toContain('npm test');
  });
});
