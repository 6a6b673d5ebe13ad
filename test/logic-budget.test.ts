/**
 * JSON Logic has a budget (issue #16): steps per evaluation, list and string sizes. A rule that goes
 * over is a JsonLogicBudget diagnostic of qm validate (document, field, limit) and, when only real
 * data makes it expensive, a clear error of qm plan. No timing assertions: the counts bound the work.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateLogic, LOGIC_LIMITS, LogicBudgetError, registerRuleSite } from '../src/model/logic-eval.js';
import { validateFiles } from '../src/config/validate.js';
import { prepareValidators } from '../src/config/schema.js';
import { qm } from './helpers/cli.js';
import { POOL_YAML, agentYaml, tempRepo, type TempRepo } from './helpers/repo.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** `some` over 2,000 × 2,000 literal elements: four million inner evaluations without a budget. */
const nestedSome = { some: [range(2000), { some: [range(2000), { '==': [{ var: '' }, -1] }] }] };

describe('evaluateLogic', () => {
  it('evaluates ordinary rules as json-logic-js does', () => {
    expect(evaluateLogic({ and: [{ '==': [{ var: 'zone' }, 'a'] }, { in: ['gpu', { var: 'tags' }] }] }, { zone: 'a', tags: ['gpu'] })).toBe(true);
    expect(evaluateLogic({ map: [{ var: 'xs' }, { '*': [{ var: '' }, 2] }] }, { xs: [1, 2, 3] })).toEqual([2, 4, 6]);
    expect(evaluateLogic({ reduce: [{ var: 'xs' }, { '+': [{ var: 'current' }, { var: 'accumulator' }] }, 0] }, { xs: range(100) })).toBe(4950);
  });

  it.each([
    ['nested some over two lists of 2,000', nestedSome, {}, 'steps', LOGIC_LIMITS.steps],
    ['a reduce that grows a list with merge (every list built is charged)', { reduce: [range(5000), { merge: [{ var: 'accumulator' }, [{ var: 'current' }, { var: 'current' }, { var: 'current' }]] }, []] }, {}, 'steps', LOGIC_LIMITS.steps],
    ['a merge that builds a list above the element limit', { merge: [{ var: 'xs' }, { var: 'xs' }] }, { xs: range(6000) }, 'items', LOGIC_LIMITS.items],
    ['a reduce that grows a string with cat', { reduce: [range(2000), { cat: [{ var: 'accumulator' }, 'x'.repeat(1000)] }, ''] }, {}, 'steps', LOGIC_LIMITS.steps],
    ['a cat that builds a string above the character limit', { cat: [{ var: 's' }, { var: 's' }] }, { s: 'x'.repeat(60_000) }, 'chars', LOGIC_LIMITS.chars],
    ['a data list above the element limit', { some: [{ var: 'xs' }, { '==': [{ var: '' }, -1] }] }, { xs: range(LOGIC_LIMITS.items + 1) }, 'items', LOGIC_LIMITS.items],
  ])('%s → LogicBudgetError', (_name, rule, data, limit, max) => {
    const err = (() => {
      try {
        evaluateLogic(rule, data);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(LogicBudgetError);
    expect(err).toMatchObject({ limit, max });
  });

  it('names the document and field of a registered rule, and refuses it at once the second time', () => {
    const rule = structuredClone(nestedSome);
    registerRuleSite(rule, { document: "AffinityRule 'x'", field: 'spec.nodeAffinity.required.match', at: () => 'policies/x.yaml:7:15' });
    let first: unknown;
    try {
      evaluateLogic(rule, {});
    } catch (e) {
      first = e;
    }
    expect((first as Error).message).toBe("AffinityRule 'x' spec.nodeAffinity.required.match (policies/x.yaml:7:15) exceeds the budget of 50,000 operations per evaluation, so it is not evaluated");
    expect(() => evaluateLogic(rule, {})).toThrow(first as Error);
  });
});

const policyDoc = (deny: unknown) => `apiVersion: quartermaster.dev/v1alpha1
kind: Policy
metadata: {name: guard}
spec:
  appliesTo: {kinds: [Agent]}
  rules:
    - name: expensive
      message: too expensive
      deny: ${JSON.stringify(deny)}
`;

describe('qm validate reports a rule over budget', () => {
  it('a Policy rule nesting some over lists of 2,000: JsonLogicBudget at the rule, once', async () => {
    await prepareValidators();
    const res = validateFiles([
      { path: 'policies/guard.yaml', text: policyDoc(nestedSome) },
      { path: 'agents/a.yaml', text: agentYaml('a') },
      { path: 'agents/b.yaml', text: agentYaml('b') },
    ]);
    const budget = res.diagnostics.filter((d) => d.code === 'JsonLogicBudget');
    expect(budget).toHaveLength(1);
    expect(budget[0]).toMatchObject({ severity: 'error', file: 'policies/guard.yaml', line: 9, jsonPointer: '/spec/rules/0/deny' });
    expect(budget[0]!.message).toBe("Policy 'guard' spec.rules[0].deny exceeds the budget of 50,000 operations per evaluation, so it is not evaluated");
    expect(res.policy).toBeUndefined();
  });

  it('an ordinary rule over the documents is not refused, and still denies', async () => {
    await prepareValidators();
    const deny = { some: [range(100), { '==': [{ var: '' }, 42] }] };
    const res = validateFiles([{ path: 'policies/guard.yaml', text: policyDoc(deny) }, { path: 'agents/a.yaml', text: agentYaml('a') }]);
    expect(res.diagnostics.map((d) => d.code)).toEqual(['PolicyViolation']);
  });
});

describe('qm plan stops with a clear error when a selector goes over budget on real nodes', () => {
  let repo: TempRepo;
  afterAll(() => repo?.cleanup());
  it('an AffinityRule match cheap on the empty view but not on a node labelled zone=a', async () => {
    repo = await tempRepo();
    await repo.write('pools/general.yaml', POOL_YAML.replace('capacity: {cpu: 8, memory: 32Gi}', 'capacity: {cpu: 8, memory: 32Gi}\n    labels: {zone: a}'));
    await repo.write('agents/chat.yaml', agentYaml('chat', '  replicas: 1\n').replace('metadata: {name: chat}', 'metadata: {name: chat, labels: {app: chat}}'));
    const match = { and: [{ '==': [{ var: 'labels.zone' }, 'a'] }, nestedSome] };
    await repo.write('policies/affinity.yaml', `apiVersion: quartermaster.dev/v1alpha1
kind: AffinityRule
metadata: {name: costly}
spec:
  appliesTo: {matchLabels: {app: chat}}
  nodeAffinity:
    required: {match: ${JSON.stringify(match)}}
`);
    await repo.write('snap.yaml', 'nodes:\n  - {name: general-0, pool: general}\ninstances: []\n');
    const v = qm(['validate', repo.dir]);
    expect(v.code, v.stdout).toBe(0);
    const p = qm(['plan', repo.dir, '--snapshot', path.join(repo.dir, 'snap.yaml'), '--now', '2026-11-27T12:00:00Z']);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/AffinityRule 'costly' spec\.nodeAffinity\.required\.match \(policies\/affinity\.yaml:7:\d+\) exceeds the budget of 50,000 operations per evaluation/);
    expect(p.stderr).not.toMatch(/\n\s+at /);
  });
});
