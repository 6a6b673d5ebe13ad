import { describe, expect, it } from 'vitest';
import { asForecast, blockedView, gpuDevicesText, horizonText, quantity, quotaCell, requestsText, shortDigest, summaryPhrase } from '../../src/render/plan/describe.js';
import { actionPool, groupByPool, nodePools, phases } from '../../src/render/plan/groups.js';
import { aPlan, GiB, realisticPlan } from './builders.js';

describe('words', () => {
  it.each([
    [{ place: 3, move: 1, evict: 1, remove: 0, scalePool: 1, scaleAgent: 0, blocked: 2 }, '3 to place, 1 to move, 1 to evict, 0 to remove, 1 pool to scale, 0 agents to scale; 2 blocked'],
    [{ place: 0, move: 0, evict: 0, remove: 0, scalePool: 2, scaleAgent: 1, blocked: 0 }, '0 to place, 0 to move, 0 to evict, 0 to remove, 2 pools to scale, 1 agent to scale; 0 blocked'],
  ])('summary phrase %#', (s, text) => expect(summaryPhrase(s)).toBe(text));

  it.each([
    ['cpuMillis', 96000, '96'],
    ['cpuMillis', 6500, '6.5'],
    ['cpuMillis', 500, '500m'],
    ['cpuMillis', 0, '0'],
    ['memoryBytes', 8 * GiB, '8Gi'],
    ['memoryBytes', 1536 * 2 ** 20, '1.5Gi'],
    ['networkMbps', 10000, '10Gbps'],
    ['gpuMillis', 250, '0.25'],
    ['gpuMillis', 2000, '2'],
    ['agents', 31, '31'],
    ['example.com/fpga', 2, '2'],
  ])('quantity(%s, %s) = %s', (k, v, text) => expect(quantity(k, v)).toBe(text));

  it('writes requests in human units, well-known first, zeros left out', () => {
    expect(requestsText({ 'example.com/fpga': 1, gpuMillis: 250, memoryBytes: 8 * GiB, cpuMillis: 2000, storageBytes: 0 })).toBe('2 cpu, 8Gi memory, 0.25 gpu, 1 example.com/fpga');
    expect(requestsText({})).toBe('no requests');
  });

  it.each([
    [[3], 1000, 'GPU device 3'],
    [[0, 1], 2000, 'GPU devices 0, 1'],
    [[2], 250, 'GPU device 2, shared'],
    [[], 0, undefined],
    [undefined, 1000, undefined],
  ])('GPU devices %j for %s millis', (devices, millis, text) => expect(gpuDevicesText(devices, millis)).toBe(text));

  it.each([
    ['cpuMillis', 96000, 128000, '96/128 (75%)'],
    ['gpuMillis', 3000, 2000, '3/2 (150%)'],
    ['cpuMillis', 1000, undefined, '1 (no limit)'],
    ['agents', 1, 0, '1/0 (over)'],
  ])('quota cell %s %s/%s', (k, used, limit, text) => expect(quotaCell(k, used, limit)).toBe(text));

  it.each([
    [3600, '1h'],
    [5400, '90m'],
    [86400, '1d'],
    [45, '45s'],
    ['2h', '2h'],
    [undefined, undefined],
  ])('horizon %s → %s', (h, text) => expect(horizonText(h)).toBe(text));

  it('shortens digests to 12 hex digits and leaves other ids alone', () => {
    expect(shortDigest(`sha256:${'ab'.repeat(32)}`)).toBe('sha256:abababababab');
    expect(shortDigest('plan-7')).toBe('plan-7');
  });
});

describe('blocked reasons, folded kube-scheduler style', () => {
  it('says the shared node summary once, then what each code adds', () => {
    const v = blockedView({
      instance: 'trainer-0', agent: 'trainer',
      reasons: [
        { code: 'InsufficientResource', message: '0/12 nodes fit: 8 InsufficientResource(gpu), 4 UntoleratedTaint(dedicated=ml); needs 4 gpu' },
        { code: 'UntoleratedTaint', message: '0/12 nodes fit: 8 InsufficientResource(gpu), 4 UntoleratedTaint(dedicated=ml)' },
      ],
    });
    expect(v).toEqual({ headline: '0/12 nodes fit: 8 InsufficientResource(gpu), 4 UntoleratedTaint(dedicated=ml)', details: [{ code: 'InsufficientResource', message: 'needs 4 gpu' }] });
  });

  it('a plan with a summary: the summary once, then every reason\'s own sentence', () => {
    const reasons = [
      { code: 'InsufficientResource', message: '8 nodes lack gpu: it requests 4 gpu, the most free on one of them is 2 gpu' },
      { code: 'UntoleratedTaint', message: '4 nodes have a NoSchedule taint the instance does not tolerate: dedicated=ml' },
    ];
    const summary = '0/12 nodes fit: 8 InsufficientResource(gpu), 4 UntoleratedTaint(dedicated=ml)';
    expect(blockedView({ instance: 'trainer-0', agent: 'trainer', reasons, summary })).toEqual({ headline: summary, details: reasons });
    // A plan of an older qm, whose reasons repeat the summary: still said once.
    const old = reasons.map((r, i) => ({ code: r.code, message: i === 0 ? `${summary}; needs 4 gpu` : summary }));
    expect(blockedView({ instance: 'trainer-0', agent: 'trainer', reasons: old, summary })).toEqual({ headline: summary, details: [{ code: 'InsufficientResource', message: 'needs 4 gpu' }] });
  });

  it('keeps reasons without a shared summary as they are', () => {
    const reasons = [{ code: 'QuotaExceeded', message: 'quota ml-team is full' }, { code: 'DependencyNotPlaced', message: 'db-0 is not placed' }];
    expect(blockedView({ instance: 'a-0', agent: 'a', reasons })).toEqual({ headline: undefined, details: reasons });
  });
});

describe('loose forecasts', () => {
  it('keeps the fields of the expected types and skips bad points', () => {
    expect(asForecast({ target: { kind: 'Pool', name: 'p', x: 1 }, series: 5, model: 'naive', horizon: '1h', points: [{ timestamp: 't1', value: 1, upper: 2 }, { timestamp: 't2', value: 'x' }, 7], capacity: [{ timestamp: 't1', value: 3 }] })).toEqual({
      target: { kind: 'Pool', name: 'p' }, model: 'naive', horizon: '1h', points: [{ timestamp: 't1', value: 1, upper: 2 }], capacity: [{ timestamp: 't1', value: 3 }],
    });
    expect(asForecast(null)).toEqual({});
    expect(asForecast({ capacity: 24, points: 'nope' })).toEqual({ capacity: 24 });
  });
});

describe('grouping', () => {
  it('groups consecutive actions into phases in apply order', () => {
    const plan = aPlan().scalePool('a', 1, 2).place('x-0', 'a', 'a-1').place('x-1', 'a', 'a-1').evict('y-0', 'a-0').scalePool('b', 3, 2).build();
    expect(phases(plan.actions).map((p) => [p.label, p.actions.map((a) => a.id)])).toEqual([
      ['Scale up pools', ['a1']],
      ['Place', ['a2', 'a3']],
      ['Evict', ['a4']],
      ['Scale down pools', ['a5']],
    ]);
  });

  it('finds a node’s pool from placements, scaled nodes, then the longest pool name it starts with', () => {
    const plan = aPlan().place('x-0', 'gpu', 'odd-node').scalePool('gpu', 1, 2, { add: ['fresh'] }).pool('gpu', [1, 2]).pool('gpu-east', [1, 1]).build();
    const poolOf = nodePools(plan);
    expect(['odd-node', 'fresh', 'gpu-east-3', 'gpu-7', 'cpu-1'].map(poolOf)).toEqual(['gpu', 'gpu', 'gpu-east', 'gpu', undefined]);
  });

  it('puts a move in the pool it moves to', () => {
    const plan = aPlan().pool('a', [1, 1]).pool('b', [1, 1]).move('x-0', 'a-0', 'b-0').build();
    expect(actionPool(plan.actions[0]!, nodePools(plan))).toBe('b');
  });

  it('orders groups: plan pools, pools only actions name, unknown nodes, agent replicas', () => {
    const plan = aPlan().pool('general', [1, 1]).scaleAgent('chat', 1, 2).evict('x-0', 'mystery').place('y-0', 'new', 'new-0').build();
    expect(groupByPool(plan).map((g) => [g.kind, g.name, g.actions.length])).toEqual([
      ['pool', 'general', 0],
      ['pool', 'new', 1],
      ['unknown', 'Nodes of no known pool', 1],
      ['agents', 'Agent replicas', 1],
    ]);
  });

  it('groups the realistic plan into its three pools and agent replicas', () => {
    expect(groupByPool(realisticPlan()).map((g) => `${g.name}:${g.actions.map((a) => a.id).join(',')}`)).toEqual(['gpu-east:a1,a2,a3,a4,a7', 'general:a5,a6', 'batch-spot:a8', 'Agent replicas:a9']);
  });
});
