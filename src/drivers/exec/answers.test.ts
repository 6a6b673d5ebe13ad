import { describe, expect, it } from 'vitest';
import { validateFiles } from '../../config/validate.js';
import { AnswerProblem, healthAnswer, initializeAnswer, observeAnswer } from './answers.js';

const policy = validateFiles([
  { path: 'pools/work.yaml', text: 'apiVersion: quartermaster.dev/v1alpha1\nkind: Pool\nmetadata: {name: work}\nspec:\n  zones: [z-a, z-b]\n  node:\n    capacity: {cpu: 4, memory: 8Gi}\n    labels: {disk: ssd}\n  size: {min: 1, max: 4}\n' },
]).policy!;

const problem = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof AnswerProblem) return e.message;
    throw e;
  }
  throw new Error('no problem found');
};

describe('exec answers', () => {
  it('observe: defaults from the pool, quantities parsed, providerId kept', () => {
    const a = observeAnswer({ nodes: [{ name: 'work-0', pool: 'work', capacity: { cpu: '3500m', memory: '4Gi', gpu: 1 }, providerId: 'x:///1' }, { name: 'work-1', pool: 'work', ready: false }], instances: [{ name: 'a-0', agent: 'a', node: 'work-0', requests: { cpu: 1 } }] }, policy.pools);
    expect(a.nodes[0]).toMatchObject({ zone: 'z-a', labels: { disk: 'ssd' }, ready: true, capacity: { cpuMillis: 3500, memoryBytes: 4 * 2 ** 30, gpuMillis: 1000 }, providerId: 'x:///1' });
    expect(a.nodes[1]).toMatchObject({ ready: false, capacity: { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30 } });
    expect(a.instances).toEqual([{ name: 'a-0', agent: 'a', node: 'work-0', requests: { cpuMillis: 1000 } }]);
    expect(a.warnings).toEqual([]);
  });

  it.each([
    [null, 'the answer should be an object {nodes, instances, warnings}, not null'],
    [{ nodes: {} }, 'nodes should be a list, not an object'],
    [{ nodes: [{ pool: 'work' }] }, 'nodes[0].name is missing (it should be a non-empty string)'],
    [{ nodes: [{ name: 'n', pool: 'gpu' }] }, "nodes[0].pool is 'gpu', which is not a pool this driver serves (work)"],
    [{ nodes: [{ name: 'n', pool: 'work' }, { name: 'n', pool: 'work' }] }, "nodes[1].name 'n' is listed twice"],
    [{ nodes: [{ name: 'n', pool: 'work', ready: 'yes' }] }, 'nodes[0].ready should be true or false, not the text "yes"'],
    [{ nodes: [{ name: 'n', pool: 'work', labels: { a: 1 } }] }, 'nodes[0].labels.a should be a string, not the number 1'],
    [{ nodes: [], instances: [{ name: 'i', agent: 'a', node: 'gone' }] }, "instances[0].node is 'gone', which the answer's nodes do not list"],
    [{ nodes: [], warnings: [3] }, 'warnings[0] should be a string, not the number 3'],
  ])('observe refuses %j: %s', (answer, message) => {
    expect(problem(() => observeAnswer(answer, policy.pools))).toBe(message);
  });

  it('initialize and health', () => {
    expect(initializeAnswer({ name: 'x', capabilities: { scaleNodes: true, placeOnNode: false } })).toEqual({ name: 'x', capabilities: { scaleNodes: true, placeOnNode: false } });
    expect(problem(() => initializeAnswer({ capabilities: { scaleNodes: 1 } }))).toBe('capabilities.scaleNodes should be true or false, not the number 1');
    expect(healthAnswer({ ok: false })).toEqual({ ok: false, message: 'unhealthy' });
    expect(problem(() => healthAnswer({ ok: 'yes' }))).toBe('ok should be true or false, not the text "yes"');
  });
});
