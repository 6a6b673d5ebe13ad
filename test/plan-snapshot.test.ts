/**
 * `qm plan --snapshot FILE` as a user runs it (the real CLI, real files): the utilisation it reports
 * for a pool with a node that is not ready.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { qm } from './helpers/cli.js';
import { tempRepo } from './helpers/repo.js';
import type { TempRepo } from './helpers/repo.js';

const NOW = '2026-11-28T10:00:00Z';

const POOL = `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: general}
spec:
  zones: [z-a, z-b]
  node:
    capacity: {cpu: 4, memory: 16Gi}
  size: {min: 2, max: 6, initial: 2}
`;

const CHAT = `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: chat}
spec:
  owner: team-a
  replicas: 2
  resources:
    requests: {cpu: 1, memory: 1Gi}
`;

let repos: TempRepo[] = [];
afterEach(async () => {
  await Promise.all(repos.map((r) => r.cleanup()));
  repos = [];
});

async function fleet(files: Record<string, string | Uint8Array>): Promise<TempRepo> {
  const r = await tempRepo();
  repos.push(r);
  await r.write('pools/general.yaml', POOL);
  await r.write('agents/chat.yaml', CHAT);
  for (const [p, t] of Object.entries(files)) await r.write(p, t);
  return r;
}

const plan = (r: TempRepo, snapshot: string, ...more: string[]) => qm(['plan', '--snapshot', snapshot, '--now', NOW, ...more], { cwd: r.dir });

describe('utilisation counts every request against the allocatable of ready nodes', () => {
  it('before and after, with one of two nodes not ready', async () => {
    // 2 cpu requested in the pool (one instance stranded on the node that is not ready), 4 cpu ready.
    const r = await fleet({
      'snap.yaml': `nodes:
  - {name: general-0, pool: general, zone: z-a}
  - {name: general-1, pool: general, zone: z-b, ready: false}
instances:
  - {name: chat-0, agent: chat, node: general-0}
  - {name: chat-1, agent: chat, node: general-1}
`,
    });
    const res = plan(r, 'snap.yaml', '--format', 'json');
    expect(res.code, res.stderr).toBe(0);
    const p = JSON.parse(res.stdout) as { actions: { type: string; instance: string }[]; pools: { name: string; utilizationPercent: Record<string, { current: number; planned: number }> }[] };
    expect(p.actions.map((a) => [a.type, a.instance])).toEqual([['move', 'chat-1']]);
    expect(p.pools[0]!.utilizationPercent.cpu).toEqual({ current: 50, planned: 50 });
    expect(p.pools[0]!.utilizationPercent.memory).toEqual({ current: 12.5, planned: 12.5 });
    const text = plan(r, 'snap.yaml');
    expect(text.stdout).toMatch(/cpu\s+\S+\s+50% → \S+\s+50%/);
  });

  it('a pool whose nodes are all ready is unchanged: requested ÷ allocatable', async () => {
    const r = await fleet({
      'snap.yaml': `nodes:
  - {name: general-0, pool: general, zone: z-a}
  - {name: general-1, pool: general, zone: z-b}
instances:
  - {name: chat-0, agent: chat, node: general-0}
`,
    });
    const p = JSON.parse(plan(r, 'snap.yaml', '--format', 'json').stdout) as { pools: { utilizationPercent: Record<string, { current: number; planned: number }> }[] };
    expect(p.pools[0]!.utilizationPercent.cpu).toEqual({ current: 12.5, planned: 25 });
  });
});
