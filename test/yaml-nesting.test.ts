/** YAML nested thousands deep (issue #16): one sentence naming the limit at file:line:column, never "maximum call stack size exceeded". */
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_NESTING_DEPTH, parseYaml } from '../src/config/parse.js';
import { qm } from './helpers/cli.js';
import { POOL_YAML, tempRepo, type TempRepo } from './helpers/repo.js';

const DEEP = 5000;
const flow = `apiVersion: quartermaster.dev/v1alpha1\nkind: Agent\nmetadata: {name: deep}\nspec:\n  owner: ${'['.repeat(DEEP)}${']'.repeat(DEEP)}\n`;
// Indented block styles grow quadratically: 1,000 levels stay under the loader's 1 MiB per file.
const block = Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n';
const seq = Array.from({ length: 700 }, (_, i) => `${'  '.repeat(i)}-`).join('\n') + ' 1\n';
const justOver = `a: ${'['.repeat(MAX_NESTING_DEPTH)}${']'.repeat(MAX_NESTING_DEPTH)}\n`;
const atLimit = `a: ${'['.repeat(MAX_NESTING_DEPTH - 1)}${']'.repeat(MAX_NESTING_DEPTH - 1)}\n`;

describe('parseYaml: nesting depth', () => {
  it.each([
    // The mapping `a:`/`spec:` levels count: the first collection past the limit is where the message points.
    { name: 'flow lists', text: flow, line: 5, column: 10 + MAX_NESTING_DEPTH - 2 },
    { name: 'block mappings', text: block, line: MAX_NESTING_DEPTH + 1, column: MAX_NESTING_DEPTH + 1 },
    { name: 'block sequences', text: seq, line: MAX_NESTING_DEPTH + 1, column: 2 * MAX_NESTING_DEPTH + 1 },
    { name: 'one level over', text: justOver, line: 1, column: 4 + MAX_NESTING_DEPTH - 1 },
  ])('$name: NestingTooDeep at $line:$column', ({ text, line, column }) => {
    const r = parseYaml({ path: 'x.yaml', text });
    expect(r.documents).toEqual([]);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: 'NestingTooDeep', line, column });
    expect(r.diagnostics[0]!.message).toContain(`more than ${MAX_NESTING_DEPTH} levels`);
    expect(r.diagnostics[0]!.message).not.toMatch(/call stack/i);
  });
  it('the limit itself is accepted', () => {
    const r = parseYaml({ path: 'x.yaml', text: atLimit });
    expect(r.diagnostics).toEqual([]);
    expect(r.documents).toHaveLength(1);
  });
});

describe('qm validate on files nested 5,000 (flow) and 1,000 (block) deep', () => {
  let repo: TempRepo;
  afterAll(() => repo?.cleanup());
  it('exits 1 with file:line:column and the limit', async () => {
    repo = await tempRepo();
    await repo.write('pools/general.yaml', POOL_YAML);
    await repo.write('agents/deep.yaml', flow);
    await repo.write('agents/block.yaml', block);
    const r = qm(['validate', repo.dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^agents/deep\\.yaml:5:${10 + MAX_NESTING_DEPTH - 2} - error NestingTooDeep: the YAML nests lists and mappings more than ${MAX_NESTING_DEPTH} levels deep here`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^agents/block\\.yaml:${MAX_NESTING_DEPTH + 1}:${MAX_NESTING_DEPTH + 1} - error NestingTooDeep`, 'm'));
    expect(r.stdout + r.stderr).not.toMatch(/call stack/i);
  });
});
