// The packing benchmark's repository writer (bench/scheduler/fleet-repo.ts): identical pods become
// one Agent, GPU models become required node affinity, and the repository plans through the real
// CLI (`qm plan DIR --snapshot FILE --format json`) the way the benchmark runs it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { arrivals, groupAgents, repoFiles, snapshotOf, writeRepo, type NodeRow } from '../../bench/scheduler/fleet-repo.js';
import { gpuRequestMilli, type PodRow } from '../../bench/scheduler/variants.js';
import { qm } from '../helpers/cli.js';

const pod = (name: string, cpuMilli: number, memoryMib: number, numGpu: number, gpuMilli: number, gpuSpec = ''): PodRow => ({ name, cpuMilli, memoryMib, numGpu, gpuMilli, gpuSpec });

const nodes: NodeRow[] = [
  { name: 'openb-node-0000', cpuMilli: 64000, memoryMib: 262144, gpus: 2, model: 'T4' },
  { name: 'openb-node-0001', cpuMilli: 96000, memoryMib: 786432, gpus: 8, model: 'V100M32' },
  { name: 'openb-node-0002', cpuMilli: 64000, memoryMib: 262144, gpus: 2, model: 'P100' },
];

const pods: PodRow[] = [
  pod('a', 6000, 12288, 1, 460),
  pod('b', 6000, 12288, 1, 460),
  pod('c', 6000, 12288, 1, 460, 'T4'),
  pod('d', 6000, 12288, 1, 460, 'T4'),
  pod('e', 12000, 16384, 1, 1000, 'V100M32|V100M16|V100M32'),
  pod('f', 12000, 16384, 1, 1000, 'V100M16|V100M32'),
  pod('g', 40000, 327680, 4, 1000),
  pod('h', 4000, 8192, 0, 0),
  pod('i', 8000, 16384, 1, 1000, 'G3'),
];

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('packing benchmark repository', () => {
  it('groups identical pods into one Agent each, a repeated GPU model being the same constraint', () => {
    const agents = groupAgents(pods);
    expect(agents.map((a) => [a.name, a.replicas])).toEqual([
      ['g0-c4000-m8192', 1],
      ['g1000-c12000-m16384-v100m16-v100m32', 2],
      ['g1000-c8000-m16384-g3', 1],
      ['g4000-c40000-m327680', 1],
      ['g460-c6000-m12288', 2],
      ['g460-c6000-m12288-t4', 2],
      
    ]);
    expect(agents.reduce((s, a) => s + a.replicas, 0)).toBe(pods.length);
  });

  it('names Agents by first arrival on request, so name order is arrival order', () => {
    const agents = groupAgents([pods[7]!, ...pods], 'arrival');
    expect(agents.map((a) => a.name).slice(0, 3)).toEqual(['a0000-g0-c4000-m8192', 'a0001-g460-c6000-m12288', 'a0002-g460-c6000-m12288-t4']);
    expect(agents.find((a) => a.name === 'a0000-g0-c4000-m8192')?.replicas).toBe(2);
  });

  it('writes the same bytes for the same batch', () => {
    const a = repoFiles(pods, nodes, { algorithm: 'greedy', seed: 3 });
    const b = repoFiles([...pods].reverse(), nodes, { algorithm: 'greedy', seed: 3 });
    expect([...b.entries()]).toEqual([...a.entries()]);
    expect(a.get('policies/scheduling-profile.yaml')).toContain('algorithm: "greedy"');
  });

  it('plans through qm plan --snapshot: GPU models respected, the unplaceable one blocked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qm-fleet-repo-'));
    dirs.push(dir);
    writeRepo(dir, repoFiles(pods, nodes, { algorithm: 'best-fit-decreasing', seed: 42 }));
    writeFileSync(join(dir, 'snapshot.json'), snapshotOf(nodes));
    const r = qm(['plan', dir, '--snapshot', join(dir, 'snapshot.json'), '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as {
      summary: { place: number; blocked: number };
      actions: { type: string; agent: string; node: string; requests: { gpuMillis?: number } }[];
      pools: { gpu?: { capacityMillis: number; freeMillis: number } }[];
    };
    const model = new Map(nodes.map((n) => [n.name, n.model]));
    const places = plan.actions.filter((a) => a.type === 'place');
    // Everything fits but the G3 pod (no G3 node).
    expect(plan.summary).toMatchObject({ place: pods.length - 1, blocked: 1 });
    for (const a of places.filter((x) => x.agent.endsWith('-t4'))) expect(model.get(a.node)).toBe('T4');
    for (const a of places.filter((x) => x.agent.endsWith('-v100m32'))) expect(model.get(a.node)).toBe('V100M32');
    const allocated = places.reduce((s, a) => s + (a.requests.gpuMillis ?? 0), 0);
    expect(allocated).toBe(pods.filter((p) => p.gpuSpec !== 'G3').reduce((s, p) => s + gpuRequestMilli(p), 0));
    expect(plan.pools[0]?.gpu).toMatchObject({ capacityMillis: 12000, freeMillis: 12000 - allocated });
  });

  it('picks a batch until arriving GPU demand reaches the capacity, in further passes when needed', () => {
    const batch = arrivals(pods, 42, 30000);
    const demand = batch.reduce((s, p) => s + gpuRequestMilli(p), 0);
    expect(demand).toBeGreaterThanOrEqual(30000);
    expect(demand - gpuRequestMilli(batch.at(-1)!)).toBeLessThan(30000);
    expect(batch.length).toBeGreaterThan(pods.length); // one pass asks for 13.8 GPUs
    expect(arrivals(pods, 42, 30000)).toEqual(batch);
    expect(arrivals(pods, 43, 30000).map((p) => p.name)).not.toEqual(batch.map((p) => p.name));
  });
});
