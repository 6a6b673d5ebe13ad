/**
 * Property tests: on random small clusters and policies, no placement violates a required
 * constraint, a capacity or a quota, and the same input (in any node order) gives the same output.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AgentDoc } from '../../src/model/documents.js';
import type { ObservedNode } from '../../src/model/state.js';
import { schedule, type ScheduleInput, type ScheduleResult } from '../../src/scheduler/index.js';
import { tolerates } from '../../src/scheduler/plugins/taint-toleration/taint-toleration.js';
import { makeAgent, makeNode, makePolicy, makeQuota } from './builders.js';

const ALGOS = ['best-fit-decreasing', 'greedy', 'spread', 'round-robin', 'consistent-hash'] as const;

const nodeArb = fc.record({
  cpu: fc.integer({ min: 2, max: 16 }),
  memGi: fc.integer({ min: 4, max: 32 }),
  gpus: fc.integer({ min: 0, max: 4 }),
  zone: fc.constantFrom('z1', 'z2', 'z3', ''),
  disk: fc.constantFrom('ssd', 'hdd'),
  tainted: fc.constantFrom(false, false, false, true),
});
const agentArb = fc.record({
  replicas: fc.integer({ min: 1, max: 5 }),
  cpuMillis: fc.integer({ min: 100, max: 2000 }),
  memGi: fc.integer({ min: 0, max: 2 }),
  gpu: fc.constantFrom(0, 0, 250, 500, 700, 1000, 2000),
  priority: fc.integer({ min: 0, max: 100 }),
  owner: fc.constantFrom('a', 'b'),
  ssdOnly: fc.constantFrom(false, false, true),
  tolerates: fc.boolean(),
  anti: fc.constantFrom('none', 'node', 'zone'),
  spread: fc.boolean(),
});
const scenarioArb = fc.record({
  nodes: fc.array(nodeArb, { minLength: 1, maxLength: 8 }),
  agents: fc.array(agentArb, { minLength: 1, maxLength: 5 }),
  quotaCpu: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
  algorithm: fc.constantFrom(...ALGOS),
  preemption: fc.boolean(),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function toInput(s: Scenario): ScheduleInput {
  const nodes: ObservedNode[] = s.nodes.map((n, i) => {
    const b = makeNode(`n${i}`).capacity({ cpu: n.cpu, memory: `${n.memGi}Gi` }).zone(n.zone).label('disk', n.disk);
    if (n.gpus) b.gpu(n.gpus);
    if (n.tainted) b.taint('dedicated', 'ml');
    return b.obj();
  });
  const agents: AgentDoc[] = s.agents.map((a, i) => {
    const b = makeAgent(`ag${i}`)
      .replicas(a.replicas)
      .req({ cpuMillis: a.cpuMillis, memoryBytes: a.memGi * 2 ** 30, ...(a.gpu ? { gpuMillis: a.gpu } : {}) })
      .priority(a.priority)
      .owner(a.owner)
      .label('app', `ag${i}`);
    if (a.ssdOnly) b.nodeSelector({ disk: 'ssd' });
    if (a.tolerates) b.tolerate({ key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' });
    const placement: AgentDoc['spec']['placement'] = {};
    if (a.anti !== 'none') placement.agentAntiAffinity = [{ selector: { matchLabels: { app: `ag${i}` } }, topologyKey: a.anti, required: true, weight: 1 }];
    if (a.spread) placement.topologySpread = [{ topologyKey: 'zone', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' }];
    b.placement(placement);
    return b.obj();
  });
  const quotas = s.quotaCpu ? [makeQuota('qa', { owner: 'a', limits: { cpu: s.quotaCpu } })] : [];
  return { policy: makePolicy({ agents, quotas, profile: { algorithm: s.algorithm, preemption: s.preemption } }), nodes, instances: [] };
}

function checkInvariants(input: ScheduleInput, r: ScheduleResult): void {
  const nodes = new Map(input.nodes.map((n) => [n.name, n]));
  const agents = new Map(input.policy.agents.map((a) => [a.metadata.name, a]));
  const where = new Map<string, { node: string; agent: string; devices: number[] }>();
  for (const p of r.placements) where.set(p.instance, { node: p.node, agent: p.agent, devices: p.gpuDevices ?? [] });
  // Capacity, per resource and per GPU device.
  const used = new Map<string, Record<string, number>>();
  const devices = new Map<string, number[]>();
  for (const [, w] of where) {
    const a = agents.get(w.agent)!;
    const u = used.get(w.node) ?? {};
    for (const [k, v] of Object.entries(a.spec.resources.requests)) u[k] = (u[k] ?? 0) + v;
    used.set(w.node, u);
    const g = a.spec.resources.requests.gpuMillis ?? 0;
    const d = devices.get(w.node) ?? new Array(Math.floor((nodes.get(w.node)!.capacity.gpuMillis ?? 0) / 1000)).fill(0);
    expect(w.devices.length).toBe(g === 0 ? 0 : Math.max(1, g / 1000));
    for (const x of w.devices) d[x] += g < 1000 ? g : 1000;
    devices.set(w.node, d);
  }
  for (const [node, u] of used) {
    const cap = nodes.get(node)!.capacity;
    for (const [k, v] of Object.entries(u)) expect(v, `${k} on ${node}`).toBeLessThanOrEqual(cap[k] ?? 0);
  }
  for (const [node, d] of devices) for (const x of d) expect(x, `device on ${node}`).toBeLessThanOrEqual(1000);
  // Node constraints.
  for (const [inst, w] of where) {
    const a = agents.get(w.agent)!;
    const n = nodes.get(w.node)!;
    const sel = a.spec.placement.nodeSelector ?? {};
    for (const [k, v] of Object.entries(sel)) expect(n.labels[k], `${inst} selector`).toBe(v);
    for (const t of n.taints) if (t.effect === 'NoSchedule') expect((a.spec.placement.tolerations ?? []).some((x) => tolerates(x, t)), `${inst} taint`).toBe(true);
  }
  // Required anti-affinity to the own agent: no two instances share a domain that has the key.
  const domain = (node: string, key: string) => (key === 'node' ? node : nodes.get(node)!.zone || undefined);
  for (const a of input.policy.agents) {
    for (const term of a.spec.placement.agentAntiAffinity ?? []) {
      const seen = new Set<string>();
      for (const [, w] of where) {
        if (w.agent !== a.metadata.name) continue;
        const d = domain(w.node, term.topologyKey);
        if (d === undefined) continue;
        expect(seen.has(d), `${a.metadata.name} twice in ${term.topologyKey} ${d}`).toBe(false);
        seen.add(d);
      }
    }
    // Spread: skew over eligible zones stays within maxSkew.
    for (const c of a.spec.placement.topologySpread ?? []) {
      const eligible = input.nodes.filter((n) => n.zone && Object.entries(a.spec.placement.nodeSelector ?? {}).every(([k, v]) => n.labels[k] === v));
      const counts = new Map<string, number>(eligible.map((n) => [n.zone, 0]));
      for (const [, w] of where) if (w.agent === a.metadata.name) counts.set(nodes.get(w.node)!.zone, (counts.get(nodes.get(w.node)!.zone) ?? 0) + 1);
      const values = [...counts.values()];
      if (values.length > 0) expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(c.maxSkew);
    }
  }
  // Quotas.
  for (const q of input.policy.quotas) {
    let cpu = 0;
    for (const [, w] of where) if (agents.get(w.agent)!.spec.owner === q.spec.owner) cpu += agents.get(w.agent)!.spec.resources.requests.cpuMillis ?? 0;
    expect(cpu).toBeLessThanOrEqual(q.spec.limits.cpuMillis!);
  }
  // Every desired instance is either placed or blocked, never both.
  const blocked = new Set(r.blocked.map((b) => b.instance));
  for (const a of input.policy.agents) {
    for (let i = 0; i < a.spec.replicas; i++) {
      const name = `${a.metadata.name}-${i}`;
      expect(where.has(name) !== blocked.has(name), `${name} placed xor blocked`).toBe(true);
    }
  }
}

describe('scheduler properties', () => {
  it('never violates capacity, required constraints or quotas', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const input = toInput(s);
        checkInvariants(input, schedule(input));
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it('is deterministic, whatever the order of nodes', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const input = toInput(s);
        const a = JSON.stringify(schedule(input));
        expect(JSON.stringify(schedule(input))).toBe(a);
        expect(JSON.stringify(schedule({ ...input, nodes: [...input.nodes].reverse() }))).toBe(a);
      }),
      { numRuns: 100, seed: 7 },
    );
  });
});

describe('generator sanity', () => {
  it('produces scenarios that place many instances and block some for every reason', () => {
    let placed = 0;
    let blocked = 0;
    const codes: Record<string, number> = {};
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const r = schedule(toInput(s));
        placed += r.placements.length;
        blocked += r.blocked.length;
        for (const b of r.blocked) for (const x of b.reasons) codes[x.code] = (codes[x.code] ?? 0) + 1;
      }),
      { numRuns: 100, seed: 3 },
    );
    expect(placed).toBeGreaterThan(blocked / 2);
    // Every kind of required constraint gets exercised.
    for (const c of ['InsufficientResource', 'UntoleratedTaint', 'NodeSelectorMismatch', 'AgentAntiAffinityConflict', 'TopologySpreadViolation', 'QuotaExceeded']) expect(codes[c], c).toBeGreaterThan(0);
    expect(blocked).toBeGreaterThan(0);
  });
});
