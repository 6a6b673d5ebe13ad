import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MaxTree } from '../../../src/scheduler/framework/max-tree.js';
import { PLUGINS, buildRegistry, DuplicatePluginError } from '../../../src/scheduler/registry.js';
import { hash32, mulberry32 } from '../../../src/scheduler/random.js';
import { ordinalOf } from '../../../src/scheduler/framework/workload.js';

describe('registry', () => {
  it('registers every plugin folder', () => {
    const dir = join(import.meta.dirname, '../../../src/scheduler/plugins');
    const folders = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect([...PLUGINS.keys()].sort()).toEqual(folders);
  });
  it('throws on a duplicate name', () => {
    const m = { name: 'x', filters: [], scores: [] };
    expect(() => buildRegistry([m, m])).toThrow(DuplicatePluginError);
  });
});

describe('MaxTree', () => {
  it('tracks the arg-max with lowest index among ties', () => {
    const t = new MaxTree(5);
    expect(t.best()).toBe(-1);
    t.set(3, 10);
    t.set(1, 10);
    expect(t.best()).toBe(1);
    t.set(1, -Infinity);
    expect(t.best()).toBe(3);
    t.fill(Float64Array.from([1, 2, 3, 2, 1]));
    expect(t.best()).toBe(2);
  });
  it('matches a linear scan under random updates', () => {
    const rand = mulberry32(7);
    const n = 37;
    const t = new MaxTree(n);
    const v = new Array(n).fill(-Infinity);
    for (let k = 0; k < 2000; k++) {
      const i = Math.floor(rand() * n);
      const x = rand() < 0.1 ? -Infinity : Math.floor(rand() * 20);
      t.set(i, x);
      v[i] = x;
      let best = -1;
      for (let j = 0; j < n; j++) if (v[j] > -Infinity && (best < 0 || v[j] > v[best])) best = j;
      expect(t.best()).toBe(best);
    }
  });
});

describe('random', () => {
  it('is deterministic per seed', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    for (let i = 0; i < 10; i++) expect(a()).toBe(b());
    expect(hash32('x', 1)).toBe(hash32('x', 1));
    expect(hash32('x', 1)).not.toBe(hash32('x', 2));
  });
});

describe('ordinalOf', () => {
  const cases: [string, string, number][] = [
    ['chat-0', 'chat', 0],
    ['chat-12', 'chat', 12],
    ['chat-012', 'chat', -1],
    ['chat-', 'chat', -1],
    ['chat-x', 'chat', -1],
    ['chatty-1', 'chat', -1],
    ['chat-bot-3', 'chat', -1],
    ['chat-bot-3', 'chat-bot', 3],
  ];
  for (const [inst, agent, want] of cases) it(`${inst} of ${agent}`, () => expect(ordinalOf(inst, agent)).toBe(want));
});
