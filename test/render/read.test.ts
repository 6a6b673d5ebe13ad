import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateValue } from '../../src/config/schema.js';
import { QmError } from '../../src/model/errors.js';
import { checkPlan, readPlan } from '../../src/render/plan/read.js';
import { ACTION_KEYS, OPTIONAL_ACTION_KEYS } from '../../src/render/plan/types.js';
import { aPlan, hugePlan, realisticPlan } from './builders.js';

const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as Record<string, unknown>;
const messageOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(QmError);
    expect((e as QmError).code).toBe('invalid');
    return (e as QmError).message;
  }
  throw new Error('expected readPlan to throw');
};

describe('readPlan: format version (Terraform semantics)', () => {
  it.each([
    ['1.0', true],
    ['1.1', true],
    ['1.17', true],
  ])('reads format %s', (v, ok) => {
    const plan = json(aPlan().place('chat-0', 'general', 'general-0').build());
    plan.formatVersion = v;
    if (v !== '1.0') plan.addedByANewerMinor = { anything: [1, 2] };
    expect(checkPlan(plan).length === 0).toBe(ok);
    expect(readPlan(plan).formatVersion).toBe(v);
  });

  it.each([
    ['2.0', 'plan format 2.0 is newer than this qm understands (1.x)'],
    ['10.3', 'plan format 10.3 is newer than this qm understands (1.x)'],
    ['0.9', 'plan format 0.9 is older than this qm understands (1.x)'],
    ['1', 'formatVersion "1" is not "<major>.<minor>" such as "1.0"'],
    [1.0, 'formatVersion 1 is not "<major>.<minor>" such as "1.0"'],
    [undefined, 'the plan has no formatVersion, so it is not a Quartermaster plan'],
  ])('refuses format %s', (v, message) => {
    const plan = json(aPlan().build());
    plan.formatVersion = v;
    expect(messageOf(() => readPlan(plan))).toBe(message);
  });

  it('a newer major is refused before anything else is checked, with a hint to upgrade', () => {
    const e = (() => {
      try {
        readPlan({ formatVersion: '2.0', somethingElseEntirely: true }, 'plan.json');
      } catch (err) {
        return err as QmError;
      }
    })();
    expect(e?.message).toBe('plan.json: plan format 2.0 is newer than this qm understands (1.x)');
    expect(e?.hint).toMatch(/upgrade qm/);
  });
});

describe('readPlan: structure', () => {
  const cases: [string, (p: Record<string, unknown>) => void, string][] = [
    ['an action of an unknown type', (p) => ((p.actions as Record<string, unknown>[])[0]!.type = 'restart'), 'actions[0].type is "restart", which is not one of place, move, evict, remove, scalePool, scaleAgent'],
    ['an action missing a field', (p) => delete (p.actions as Record<string, unknown>[])[0]!.node, "actions[0] (place) is missing the required field 'node'"],
    ['a field of the wrong type', (p) => ((p.actions as Record<string, unknown>[])[0]!.node = 5), 'actions[0].node must be a string, not the integer 5'],
    ['a negative request', (p) => (((p.actions as Record<string, unknown>[])[0]!.requests as Record<string, number>).cpuMillis = -1), 'actions[0].requests.cpuMillis is the integer -1 but must be >= 0'],
    ['no actions list', (p) => delete p.actions, "the document is missing the required field 'actions'"],
    ['an unknown blocked reason code', (p) => ((p.blocked as { reasons: { code: string }[] }[])[0]!.reasons[0]!.code = 'Nope'), 'blocked[0].reasons[0].code is the string "Nope", which is not one of'],
    ['a summary that disagrees with the actions', (p) => ((p.summary as Record<string, number>).place = 3), 'summary.place is 3 but the plan has 1 place action'],
    ['a blocked count that disagrees', (p) => ((p.summary as Record<string, number>).blocked = 0), 'summary.blocked is 0 but the plan lists 1 blocked instance'],
    ['changes false with actions', (p) => (p.changes = false), 'changes is false but the plan has 1 action'],
    [
      'a repeated action id',
      (p) => {
        (p.actions as unknown[]).push({ ...(p.actions as Record<string, unknown>[])[0]!, instance: 'chat-1' });
        (p.summary as Record<string, number>).place = 2;
      },
      "actions[1].id 'a1' repeats the id of actions[0]",
    ],
  ];
  it.each(cases)('refuses %s with one clear message', (_, edit, message) => {
    const plan = json(aPlan().place('chat-0', 'general', 'general-0').blocked('batch-9', [['QuotaExceeded', 'quota ml-team is full']]).build());
    edit(plan);
    const msg = messageOf(() => readPlan(plan));
    expect(msg).toContain(message);
    expect(msg.startsWith('not a valid plan: ')).toBe(true);
  });

  it('reports only the branch of the action type, not every oneOf branch', () => {
    const plan = json(aPlan().move('chat-2', 'general-0', 'general-1').build());
    delete (plan.actions as Record<string, unknown>[])[0]!.toNode;
    expect(checkPlan(plan).map((p) => p.message)).toEqual(["actions[0] (move) is missing the required field 'toNode'"]);
  });

  it('refuses what is not an object', () => {
    expect(messageOf(() => readPlan([]))).toBe('a plan must be a JSON object, not a list');
    expect(messageOf(() => readPlan(null))).toBe('a plan must be a JSON object, not null');
  });

  it.each([
    ['the realistic plan', realisticPlan()],
    ['an empty plan', aPlan().build()],
    ['a plan of 3,000 actions', hugePlan(3000, 10)],
  ])('reads %s, which the schema accepts too', (_, plan) => {
    expect(checkPlan(json(plan))).toEqual([]);
    expect(validateValue('plan.schema.json', json(plan))).toEqual([]);
  });
});

describe('ACTION_KEYS follows schemas/plan.schema.json', () => {
  const schema = JSON.parse(readFileSync(path.resolve('schemas/plan.schema.json'), 'utf8')) as { $defs: Record<string, { properties: Record<string, unknown>; required: string[] }> };
  it.each(Object.keys(ACTION_KEYS))('%s: same fields, same order, same optional ones', (type) => {
    const def = schema.$defs[`${type}Action`]!;
    expect([...ACTION_KEYS[type as keyof typeof ACTION_KEYS]]).toEqual(Object.keys(def.properties));
    const optional = Object.keys(def.properties).filter((k) => !def.required.includes(k));
    expect(optional).toEqual([...(OPTIONAL_ACTION_KEYS[type] ?? [])]);
  });
});
