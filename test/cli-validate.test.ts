/* eslint-disable no-control-regex -- the tests look for ANSI escape sequences on purpose */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qm, ROOT } from './helpers/cli.js';
import { agentYaml, POOL_YAML, tempRepo } from './helpers/repo.js';
import type { TempRepo } from './helpers/repo.js';

const BROKEN_AGENT = `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: chat}
spec:
  owner: team-a
  replicas: 2
  resources:
    requests: {cpu: 1, memory: "4GB "}
  placement:
    pools: [generl]
`;

let broken: TempRepo;
beforeAll(async () => {
  broken = await tempRepo({ git: true });
  await broken.write('pools/general.yaml', POOL_YAML);
  await broken.write('agents/ok.yaml', agentYaml('ok'));
  await broken.commit('valid');
  await broken.write('agents/chat.yaml', BROKEN_AGENT);
});
afterAll(() => broken.cleanup());

describe('qm validate (real process)', () => {
  it('passes on the example fleet with exit 0', () => {
    const r = qm(['validate']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✓ \d+ documents in \d+ files: valid/);
  });

  it('reports every problem with file:line:column, a code frame and a hint, exit 1', () => {
    const r = qm(['validate', broken.dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`agents/chat.yaml:8:32 - error InvalidQuantity: Agent 'chat': memory '4GB ' is not a quantity`);
    expect(r.stdout).toContain('hint: write 4Gi or 4G');
    expect(r.stdout).toContain(`agents/chat.yaml:10:13 - error UnknownReference: Agent 'chat': pool 'generl' does not exist`);
    expect(r.stdout).toContain("hint: did you mean 'general'?");
    expect(r.stdout).toMatch(/> {1,2}8 \|.*requests: \{cpu: 1, memory: "4GB "\}\n\s+\|\s+\^+/);
    expect(r.stdout).toMatch(/✗ 2 errors/);
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });

  it('colours only when asked (FORCE_COLOR) and never with NO_COLOR', () => {
    expect(qm(['validate', broken.dir], { env: { FORCE_COLOR: '1', NO_COLOR: '' } }).stdout).toMatch(/\x1b\[31m/);
    expect(qm(['validate', broken.dir], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } }).stdout).not.toMatch(/\x1b\[/);
  });

  it('--format json is SPEC §6: a sorted array with severity, code, file, line, column, jsonPointer, message, hint', () => {
    const r = qm(['validate', broken.dir, '--format', 'json']);
    expect(r.code).toBe(1);
    const diags = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(diags).toEqual([
      { severity: 'error', code: 'InvalidQuantity', file: 'agents/chat.yaml', line: 8, column: 32, jsonPointer: '/spec/resources/requests/memory', message: "Agent 'chat': memory '4GB ' is not a quantity", hint: 'write 4Gi or 4G' },
      { severity: 'error', code: 'UnknownReference', file: 'agents/chat.yaml', line: 10, column: 13, jsonPointer: '/spec/placement/pools/0', message: "Agent 'chat': pool 'generl' does not exist", hint: "did you mean 'general'?" },
    ]);
  });

  it('--format github prints workflow commands', () => {
    const r = qm(['validate', broken.dir, '--format', 'github']);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^::error file=agents\/chat\.yaml,line=8,col=32,endLine=8,endColumn=38,title=InvalidQuantity::Agent 'chat'%3A|^::error file=agents\/chat\.yaml,line=8,col=32,.*::Agent 'chat': memory '4GB ' is not a quantity \(write 4Gi or 4G\)$/);
  });

  it('--format sarif is SARIF 2.1.0 with rules and regions', () => {
    const r = qm(['validate', broken.dir, '--format', 'sarif']);
    const sarif = JSON.parse(r.stdout) as { version: string; runs: { tool: { driver: { name: string; rules: { id: string }[] } }; results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }[] }[] }[] };
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0]!;
    expect(run.tool.driver.name).toBe('quartermaster');
    expect(run.tool.driver.rules.map((x) => x.id)).toEqual(['InvalidQuantity', 'UnknownReference']);
    expect(run.results.map((x) => [x.ruleId, x.level, x.locations[0]!.physicalLocation.artifactLocation.uri, x.locations[0]!.physicalLocation.region.startLine])).toEqual([
      ['InvalidQuantity', 'error', 'agents/chat.yaml', 8],
      ['UnknownReference', 'error', 'agents/chat.yaml', 10],
    ]);
  });

  it('--ref validates a Git revision, not the working tree', () => {
    const r = qm(['validate', broken.dir, '--ref', 'HEAD']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2 documents in 2 files: valid/);
  });

  it('gives one clear sentence, no stack trace, for usage errors', () => {
    for (const [args, msg] of [
      [['validate', '/nonexistent/fleet'], /qm: policy directory '\/nonexistent\/fleet' does not exist/],
      [['validate', '--format', 'xml'], /--format xml is not supported by qm validate/],
      [['validate', '--colour'], /qm validate: Unknown option '--colour'/],
      [['valdate'], /'valdate' is not a qm command/],
      [['validate', ROOT, '--ref', 'no-such-ref'], /Git revision 'no-such-ref' does not exist/],
    ] as const) {
      const r = qm([...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('refuses a directory without policy files (a CI job in the wrong folder must not go green), naming it and the folders', async () => {
    const empty = await tempRepo({ git: true });
    try {
      await empty.write('README.md', '# not a policy repository\n');
      await empty.write('docs/pools.yaml', POOL_YAML); // YAML, but not under pools/, policies/ or agents/
      for (const format of ['text', 'json', 'github', 'sarif']) {
        const r = qm(['validate', '--format', format], { cwd: empty.dir });
        expect(r.code, format).toBe(1);
        expect(r.stdout, format).toBe('');
        expect(r.stderr).toContain(`qm: no policy files in ${empty.dir}: there is no *.yaml or *.yml file under pools/, policies/ or agents/`);
        expect(r.stderr).toMatch(/\nhint: run qm in the policy repository .*qm validate path\/to\/fleet\n$/);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
      // Files that hold no document at all are no policy either.
      await empty.write('pools/general.yaml', '# to do\n');
      const comments = qm(['validate', empty.dir]);
      expect(comments.code).toBe(1);
      expect(comments.stderr).toContain(`qm: no policy documents in ${empty.dir}: its 1 YAML file under pools/, policies/ or agents/ holds no document`);
      // And a revision without policy files, with --ref.
      await empty.commit('readme only');
      const atRef = qm(['validate', empty.dir, '--ref', 'HEAD~0']);
      expect(atRef.code).toBe(1);
      expect(atRef.stderr).toContain(`no policy documents in ${empty.dir} at HEAD~0`);
      // One document is enough to be valid again.
      await empty.write('pools/general.yaml', POOL_YAML);
      expect(qm(['validate', empty.dir]).stdout).toContain('✓ 1 document in 1 file: valid');
    } finally {
      await empty.cleanup();
    }
  });
});
