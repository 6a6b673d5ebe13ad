import { describe, expect, it } from 'vitest';
import { schedule } from '../../src/scheduler/index.js';
import { templateDigest } from '../../src/model/digest.js';
import { makePlan } from '../../src/planner/plan.js';
import { makeAgent, makeInstance, makeNode, makePolicy } from './builders.js';

describe('schedule() result', () => {
  const input = {
    policy: makePolicy({
      agents: [makeAgent('gpu').replicas(2).req({ cpu: 1, memory: '1Gi', gpu: 0.5 }).obj(), makeAgent('big').req({ cpu: 64 }).obj()],
    }),
    nodes: [makeNode('g1').capacity({ cpu: 8, memory: '32Gi' }).gpu(1).obj(), makeNode('c1').obj()],
    instances: [makeInstance('gone-0', 'gone', 'c1')],
  };
  const r = schedule({ ...input, explain: ['gpu-1'] });

  it('places with canonical requests, devices, a 0–100 score and a reason', () => {
    expect(r.placements.map((p) => [p.instance, p.node, p.gpuDevices])).toEqual([
      ['gpu-0', 'g1', [0]],
      ['gpu-1', 'g1', [0]],
    ]);
    const p = r.placements[0]!;
    expect(p.requests).toEqual({ cpuMillis: 1000, memoryBytes: 2 ** 30, gpuMillis: 500 });
    expect(p.score).toBeGreaterThanOrEqual(0);
    expect(p.score).toBeLessThanOrEqual(100);
    expect(p.reason).toMatch(/^new instance; best of 2\/2 nodes its placement rules allow$/);
  });

  it('aggregates blocked reasons kube-scheduler style', () => {
    expect(r.blocked).toHaveLength(1);
    expect(r.blocked[0]!.summary).toBe('0/2 nodes fit: 2 InsufficientResource(cpu)');
    expect(r.blocked[0]!.reasons.map((x) => x.code)).toEqual(['InsufficientResource', 'NoPoolCanFit']);
  });

  it('removes instances of unknown agents', () => {
    expect(r.removals).toEqual([{ instance: 'gone-0', agent: 'gone', node: 'c1', reason: 'agent gone no longer exists' }]);
  });

  it('explains requested instances with candidates and per-plugin scores', () => {
    const d = r.decisions.find((x) => x.instance === 'gpu-1')!;
    expect(d.outcome).toBe('placed');
    expect(d.candidates?.[0]?.node).toBe('g1');
    // A GPU instance under GPU demand: fragmentation and balance pack it, not binpack (see best-fit-decreasing.ts).
    expect(Object.keys(d.candidates?.[0]?.scores ?? {})).toEqual(expect.arrayContaining(['fragmentation', 'balance']));
    expect(Object.keys(d.candidates?.[0]?.scores ?? {})).not.toContain('binpack');
    expect(r.decisions.find((x) => x.instance === 'big-0')).toMatchObject({ outcome: 'blocked', filtered: { 'InsufficientResource(cpu)': 2 } });
  });

  it('warns and falls back when the algorithm needs scheduleAsync', () => {
    const g = schedule({ ...input, policy: makePolicy({ agents: input.policy.agents, profile: { algorithm: 'genetic' } }) });
    expect(g.algorithm).toBe('best-fit-decreasing');
    expect(g.warnings.join(' ')).toMatch(/genetic/);
  });

  it('keeps running instances where they are', () => {
    const kept = schedule({ ...input, instances: [makeInstance('gpu-0', 'gpu', 'g1', { gpuDevices: [0] })], explain: ['gpu-0'] });
    expect(kept.placements.map((p) => p.instance)).toEqual(['gpu-1']);
    expect(kept.decisions.find((d) => d.instance === 'gpu-0')).toMatchObject({ outcome: 'kept', node: 'g1' });
    expect(schedule({ ...input, instances: [makeInstance('gpu-0', 'gpu', 'g1')] }).decisions.map((d) => d.instance)).toEqual(['big-0', 'gpu-1']);
  });
});

describe('blocked reasons: the summary aggregates, each reason says its own thing', () => {
  // 12 nodes: 8 with 2 GPUs (one device taken on each), 3 tainted spot=true, 1 not ready.
  const nodes = [
    ...Array.from({ length: 8 }, (_, i) => makeNode(`g${i}`).capacity({ cpu: 32, memory: '128Gi' }).gpu(2).obj()),
    ...Array.from({ length: 3 }, (_, i) => makeNode(`s${i}`).capacity({ cpu: 32, memory: '128Gi' }).gpu(4).taint('spot', 'true').obj()),
    makeNode('down').capacity({ cpu: 32, memory: '128Gi' }).gpu(4).notReady().obj(),
  ];
  const policy = makePolicy({ agents: [makeAgent('hog').replicas(8).req({ cpu: 1, gpu: 1 }).obj(), makeAgent('trainer').replicas(2).req({ cpu: 4, memory: '16Gi', gpu: 2 }).obj()] });
  const instances = Array.from({ length: 8 }, (_, i) => makeInstance(`hog-${i}`, 'hog', `g${i}`, { gpuDevices: [0] }));
  const r = schedule({ policy, nodes, instances });

  it('keeps the kube-scheduler summary', () => {
    expect(r.blocked.map((b) => b.instance)).toEqual(['trainer-0', 'trainer-1']);
    expect(r.blocked[0]!.summary).toBe('0/12 nodes fit: 8 InsufficientResource(gpu), 3 UntoleratedTaint(spot=true), 1 PoolNotActive(node not ready)');
  });

  it('gives every reason its own sentence, not the summary again', () => {
    const b = r.blocked[0]!;
    expect(b.reasons).toEqual([
      { code: 'InsufficientResource', message: '8 nodes lack gpu: it requests 2 gpu, the most free on one of them is 1 gpu' },
      { code: 'UntoleratedTaint', message: '3 nodes have a NoSchedule taint the instance does not tolerate: spot=true' },
      { code: 'PoolNotActive', message: '1 node is not ready' },
    ]);
    for (const x of b.reasons) expect(x.message).not.toContain(b.summary);
    // The second trainer reuses the diagnosis: nothing in it names the first one.
    expect(r.blocked[1]!.reasons).toEqual(b.reasons);
  });

  it('one node short of two resources', () => {
    const one = schedule({ policy: makePolicy({ agents: [makeAgent('w').replicas(2).req({ cpu: 3, memory: '10Gi' }).obj()] }), nodes: [makeNode('c1').obj()], instances: [] });
    expect(one.blocked.map((b) => [b.instance, b.summary, b.reasons])).toEqual([
      ['w-1', '0/1 nodes fit: 1 InsufficientResource(cpu, memory)', [{ code: 'InsufficientResource', message: '1 node lacks cpu and memory: it requests 3 cpu, the node has 1 cpu free; it requests 10Gi memory, the node has 6Gi memory free' }]],
    ]);
  });

  it('a request no allowed node can hold even when empty names the agent, not one instance', () => {
    const big = schedule({ policy: makePolicy({ agents: [makeAgent('big').replicas(2).req({ cpu: 64, memory: '1Gi' }).obj()] }), nodes: [makeNode('c1').obj(), makeNode('c2').capacity({ cpu: 8, memory: '1Gi' }).obj()], instances: [] });
    expect(big.blocked[1]!.reasons).toEqual([
      { code: 'InsufficientResource', message: '2 nodes lack cpu: it requests 64 cpu, the most free on one of them is 8 cpu' },
      { code: 'NoPoolCanFit', message: "no node that agent big's placement rules allow can hold its requests even when empty" },
    ]);
  });
});

describe('matching observed instances to desired ones', () => {
  const policy = makePolicy({ agents: [makeAgent('web').replicas(3).req({ cpu: 1 }).obj(), makeAgent('web-b').replicas(1).req({ cpu: 1 }).obj()] });
  const nodes = [makeNode('c1').obj(), makeNode('c2').obj()];
  const r = schedule({
    policy,
    nodes,
    instances: [
      makeInstance('web-0', 'web', 'c1'),
      makeInstance('web-0', 'web', 'c2'), // the same name twice
      makeInstance('web-01', 'web', 'c1'), // leading zero: not a canonical ordinal
      makeInstance('web-b-0', 'web', 'c1'), // another agent's name under this agent
      makeInstance('web-5', 'web', 'c2'), // beyond replicas
      makeInstance('web-b-0', 'web-b', 'c2'),
      makeInstance('web-2', 'web', 'lost'), // on a node that is not observed
    ],
  });

  it('keeps each valid instance once and removes the rest with a reason', () => {
    expect(r.removals.map((x) => [x.instance, x.node, x.reason])).toEqual([
      ['web-0', 'c2', 'duplicate of web-0 on c1'],
      ['web-01', 'c1', 'name is not <agent>-<ordinal> of agent web'],
      ['web-5', 'c2', 'replicas 6 → 3'],
      ['web-b-0', 'c1', 'name is not <agent>-<ordinal> of agent web'],
    ]);
  });

  it('an instance under another agent whose name that agent already keeps is a duplicate, in either order', () => {
    for (const order of [0, 1]) {
      const pair = [makeInstance('web-b-0', 'web-b', 'c2'), makeInstance('web-b-0', 'web', 'c1')];
      const x = schedule({ policy, nodes, instances: order ? pair.reverse() : pair });
      expect(x.removals.map((y) => [y.agent, y.reason])).toEqual([['web', order ? 'name is not <agent>-<ordinal> of agent web' : 'duplicate of web-b-0 on c2']]);
    }
  });

  it('places only the missing ordinals, and again those on lost nodes', () => {
    expect(r.placements.map((p) => p.instance).sort()).toEqual(['web-1', 'web-2']);
    expect(r.warnings.join('\n')).toMatch(/instance web-2 runs on node lost, which is not observed; it is placed again/);
    expect(r.decisions.map((d) => d.instance)).toEqual(['web-1', 'web-2']);
  });
});

describe('ordinal order', () => {
  it('places the lowest ordinals first (web-2 before web-10) and lists blocked ones in that order', () => {
    const r = schedule({
      policy: makePolicy({ agents: [makeAgent('bot').replicas(12).req({ cpu: 1 }).obj()] }),
      nodes: [makeNode('c1').capacity({ cpu: 8, memory: '32Gi' }).obj()],
      instances: [],
    });
    expect(r.placements.map((p) => p.instance).sort()).toEqual(['bot-0', 'bot-1', 'bot-2', 'bot-3', 'bot-4', 'bot-5', 'bot-6', 'bot-7']);
    expect(r.blocked.map((b) => b.instance)).toEqual(['bot-8', 'bot-9', 'bot-10', 'bot-11']);
  });
});

describe('instances started from an older agent template', () => {
  const policy = makePolicy({ agents: [makeAgent('w').replicas(4).req({ cpu: 1 }).obj()] });
  const current = templateDigest(policy.agents[0]!);
  const nodes = [makeNode('only').capacity({ cpu: 4, memory: '16Gi' }).obj()];
  const running = (template: string | undefined) => [0, 1, 2, 3].map((i) => makeInstance(`w-${i}`, 'w', 'only', template ? { template } : {}));

  it('are recreated on their node, at most the disruption budget per plan (25 % of 4 = 1), lowest ordinal first', () => {
    const r = schedule({ policy, nodes, instances: running('0123456789abcdef') });
    expect(r.placements).toMatchObject([{ instance: 'w-0', node: 'only', recreate: true }]);
    expect(r.placements[0]!.reason).toBe(`agent w's template (runtime or resources) changed: 0123456789abcdef → ${current}; recreated on only`);
    expect(r.warnings.join('\n')).toContain('4 instances of agent w run an older template; 1 are started anew in this plan where the new one fits');
    // The plan removes the old one first; the new one depends on that.
    const { plan } = makePlan({ policy, observed: { nodes, instances: running('0123456789abcdef'), scalingHistory: [] }, now: '2026-11-28T10:00:00Z', policyDigest: 'sha256:x', gitCommit: null, source: 'test', stateId: null, metrics: {} });
    expect(plan.actions.map((a) => [a.type, 'instance' in a ? a.instance : '', a.dependsOn ?? []])).toEqual([
      ['remove', 'w-0', []],
      ['place', 'w-0', ['a1']],
    ]);
  });

  it('hold their node while new instances are placed: a preemptor evicts one as it would a current one', () => {
    const both = makePolicy({ agents: [makeAgent('w').priority(50).req({ cpu: 2 }).obj(), makeAgent('hi').priority(100).req({ cpu: 3 }).obj()] });
    const r = schedule({ policy: both, nodes, instances: [makeInstance('w-0', 'w', 'only', { template: '0123456789abcdef' })] });
    expect(r.placements.map((p) => [p.instance, p.node])).toEqual([['hi-0', 'only']]);
    expect(r.evictions.map((e) => e.instance)).toEqual(['w-0']);
  });

  it('stay as they are, with a warning, when the new template fits on no node', () => {
    const grown = makePolicy({ agents: [makeAgent('w').replicas(4).req({ cpu: 2 }).obj()] });
    // Four instances of 1 cpu fill the node; the new template asks 2 cpu each.
    const r = schedule({ policy: grown, nodes, instances: running('0123456789abcdef').map((i) => ({ ...i, requests: { cpuMillis: 1000 } })) });
    expect(r.placements).toEqual([]);
    expect(r.moves).toEqual([]);
    expect(r.blocked).toEqual([]);
    expect(r.warnings.join('\n')).toMatch(/w-0 keeps running its older template: .* and the new one fits on no node/);
  });

  it('off a node that is not ready take the current requests, so the scheduler reserves what the driver starts', () => {
    const two = [makeNode('n1').capacity({ cpu: 4, memory: '16Gi' }).notReady().obj(), makeNode('n2').capacity({ cpu: 4, memory: '16Gi' }).obj()];
    const big = makePolicy({ agents: [makeAgent('w').req({ cpu: 3 }).obj(), makeAgent('f').req({ cpu: 2 }).obj()] });
    const r = schedule({ policy: big, nodes: two, instances: [makeInstance('w-0', 'w', 'n1', { template: '0123456789abcdef', requests: { cpuMillis: 1000 } }), makeInstance('f-0', 'f', 'n2')] });
    expect(r.moves).toEqual([]);
    expect(r.blocked.map((b) => b.instance)).toEqual(['w-0']);
  });

  it('are left alone when their template is current or unknown (recorded before templates were)', () => {
    expect(schedule({ policy, nodes, instances: running(current) }).placements).toEqual([]);
    expect(schedule({ policy, nodes, instances: running(undefined) }).placements).toEqual([]);
  });
});

describe('an instance observed on two nodes', () => {
  it('has its duplicate removed first, and a move onto that node waits for it', () => {
    const policy = makePolicy({ agents: [makeAgent('a').req({ cpu: 1 }).obj()] });
    const nodes = [makeNode('n1').notReady().obj(), makeNode('n2').obj()];
    // The first copy is the one kept; it is on a node that is not ready, so it moves — to n2, where the duplicate runs.
    const instances = [makeInstance('a-0', 'a', 'n1'), makeInstance('a-0', 'a', 'n2')];
    const { plan } = makePlan({ policy, observed: { nodes, instances, scalingHistory: [] }, now: '2026-11-28T10:00:00Z', policyDigest: 'sha256:x', gitCommit: null, source: 'test', stateId: null, metrics: {} });
    expect(plan.actions.map((a) => [a.id, a.type, a.type === 'move' ? `${a.fromNode}→${a.toNode}` : 'node' in a ? a.node : '', a.dependsOn ?? []])).toEqual([
      ['a1', 'remove', 'n2', []],
      ['a2', 'move', 'n1→n2', ['a1']],
    ]);
  });
});
