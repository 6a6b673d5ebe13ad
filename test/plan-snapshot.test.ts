/**
 * `qm plan --snapshot FILE` as a user runs it (the real CLI, real files): the utilisation it reports
 * for a pool with a node that is not ready, and how it reports a snapshot with problems, or a file
 * that is not a snapshot at all.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { qm, ROOT } from './helpers/cli.js';
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

describe('duplicates: the same instance on two nodes (an engine that came back)', () => {
  type Pools = { actions: { type: string; instance: string; node: string }[]; pools: { name: string; utilizationPercent: Record<string, { current: number; planned: number }> }[] };
  it('removing the duplicate leaves the kept copy counted in its pool', async () => {
    // chat-0 runs on general-1 (listed first, kept) and on general-0; chat-1 on general-1: 3 of 8 cpu.
    const r = await fleet({
      'snap.yaml': `nodes:
  - {name: general-0, pool: general, zone: z-a}
  - {name: general-1, pool: general, zone: z-b}
instances:
  - {name: chat-0, agent: chat, node: general-1, startedAt: "2026-11-28T09:00:00Z"}
  - {name: chat-0, agent: chat, node: general-0, startedAt: "2026-11-27T09:00:00Z"}
  - {name: chat-1, agent: chat, node: general-1}
`,
    });
    const res = plan(r, 'snap.yaml', '--format', 'json');
    expect(res.code, res.stderr).toBe(0);
    const p = JSON.parse(res.stdout) as Pools;
    expect(p.actions.map((a) => [a.type, a.instance, a.node])).toEqual([['remove', 'chat-0', 'general-0']]);
    expect(p.pools[0]!.utilizationPercent.cpu).toEqual({ current: 37.5, planned: 25 });
    expect(plan(r, 'snap.yaml').stdout).toMatch(/cpu\s+\S+\s+38% → \S+\s+25%/);
  });

  it('a duplicate in another pool changes only that pool', async () => {
    const r = await fleet({
      'pools/batch.yaml': POOL.replace('name: general', 'name: batch').replace('min: 2, max: 6, initial: 2', 'min: 1, max: 2, initial: 1'),
      'snap.yaml': `nodes:
  - {name: general-0, pool: general, zone: z-a}
  - {name: general-1, pool: general, zone: z-b}
  - {name: batch-0, pool: batch, zone: z-a}
instances:
  - {name: chat-0, agent: chat, node: general-0}
  - {name: chat-0, agent: chat, node: batch-0}
  - {name: chat-1, agent: chat, node: general-1}
`,
    });
    const res = plan(r, 'snap.yaml', '--format', 'json');
    expect(res.code, res.stderr).toBe(0);
    const p = JSON.parse(res.stdout) as Pools;
    expect(p.actions.map((a) => [a.type, a.instance, a.node])).toEqual([['remove', 'chat-0', 'batch-0']]);
    const cpu = Object.fromEntries(p.pools.map((x) => [x.name, x.utilizationPercent.cpu]));
    expect(cpu).toEqual({ batch: { current: 25, planned: 0 }, general: { current: 25, planned: 25 } });
  });

  it('the same instance twice on one node is still a mistake in the file', async () => {
    const r = await fleet({ 'snap.yaml': 'nodes:\n  - {name: general-0, pool: general}\ninstances:\n  - {name: chat-0, agent: chat, node: general-0}\n  - {name: chat-0, agent: chat, node: general-0}\n' });
    const res = plan(r, 'snap.yaml');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^snap\.yaml:5:\d+ - error DuplicateName: snapshot: instance 'chat-0' is listed twice on node 'general-0'/m);
  });
});

describe('a snapshot with problems', () => {
  it('prints every problem with file:line:column and a code frame, as qm validate does', async () => {
    const r = await fleet({
      'snap.yaml': `nodes:
  - {name: general-0, pool: general}
  - {name: x-0, pool: nope}
  - {name: y-0, pool: other}
instances:
  - {name: chat-0, agent: chat, node: z-9}
`,
    });
    const res = plan(r, 'snap.yaml');
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^snap\.yaml:3:23 - error UnknownReference: snapshot: node 'x-0' belongs to pool 'nope'/m);
    expect(res.stderr).toMatch(/^snap\.yaml:4:23 - error UnknownReference: snapshot: node 'y-0' belongs to pool 'other'/m);
    expect(res.stderr).toMatch(/^snap\.yaml:6:39 - error UnknownReference: snapshot: instance 'chat-0' runs on node 'z-9'/m);
    expect(res.stderr).toContain('> 4 |   - {name: y-0, pool: other}');
    expect(res.stderr).toMatch(/qm: the snapshot \S*snap\.yaml has 3 problems; nothing was planned\n$/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('schema problems of a JSON snapshot all come at once', async () => {
    const r = await fleet({ 'snap.json': '{"nodes": 3, "instances": [{"name": "chat-0", "agent": "chat"}]}\n' });
    const res = plan(r, 'snap.json');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^snap\.json:1:11 - error InvalidType: snapshot: nodes must be a list/m);
    expect(res.stderr).toMatch(/^snap\.json:1:\d+ - error MissingField: snapshot: instances\[0\] is missing the required field 'node'/m);
    expect(res.stderr).toMatch(/has 2 problems; nothing was planned/);
  });
});

describe('a file that is not a snapshot', () => {
  const notASnapshot = /a snapshot is a YAML or JSON mapping with nodes and instances/;

  it('Markdown (this repository\'s README) gets one sentence, not YAML advice', async () => {
    const r = await fleet({ 'README.md': await readFile(path.join(ROOT, 'README.md')) });
    const res = plan(r, 'README.md');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^README\.md:\d+:\d+ - error NotAMapping: not a snapshot: the file is neither YAML nor JSON$/m);
    expect(res.stderr).toMatch(notASnapshot);
    expect(res.stderr).not.toMatch(/write '\|/);
    expect(res.stderr).not.toMatch(/multi-line key/);
    expect(res.stderr).toMatch(/qm: the snapshot \S*README\.md has 1 problem; nothing was planned/);
  });

  it('plain text, a list, a mapping without nodes or instances, an empty file, binary data', async () => {
    const r = await fleet({
      'notes.txt': 'hello world\n',
      'list.yaml': '- a\n- b\n',
      'config.yaml': 'foo: 1\nbar: [2]\n',
      'empty.yaml': '',
      'data.bin': Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe, 0x00, 0x01]),
    });
    const cases: [string, RegExp][] = [
      ['notes.txt', /^notes\.txt:1:1 - error NotAMapping: not a snapshot: the file holds a single line of text, not a mapping with nodes and instances$/m],
      ['list.yaml', /^list\.yaml:1:1 - error NotAMapping: not a snapshot: the file holds a list, not a mapping with nodes and instances$/m],
      ['config.yaml', /^config\.yaml:1:1 - error NotAMapping: not a snapshot: the mapping has neither nodes nor instances \(it has 2 other keys\)$/m],
      ['empty.yaml', /^empty\.yaml:1:1 - error NotAMapping: not a snapshot: the file is empty$/m],
      ['data.bin', /^data\.bin:1:1 - error InvalidEncoding: not a snapshot: the file is not UTF-8 text$/m],
    ];
    for (const [file, message] of cases) {
      const res = plan(r, file);
      expect(res.code, file).toBe(1);
      expect(res.stdout, file).toBe('');
      expect(res.stderr, file).toMatch(message);
      expect(res.stderr, file).toMatch(/a snapshot is a YAML or JSON (mapping|file) with nodes and instances/);
      expect(res.stderr, file).not.toMatch(/\n\s+at /);
      expect(res.stderr, file).not.toMatch(/hello|foo|bar/);
    }
  });

  it('a directory or a missing file is named as such', async () => {
    const r = await fleet({ 'snaps/a.yaml': 'nodes: []\n' });
    const dir = plan(r, 'snaps');
    expect(dir.code).toBe(1);
    expect(dir.stderr).toMatch(/^qm: snapshot \S*snaps cannot be read: it is a directory$/m);
    const missing = plan(r, 'nope.yaml');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^qm: snapshot \S*nope\.yaml cannot be read: it does not exist$/m);
  });

  it('the output of qm status --format json is a snapshot', async () => {
    const r = await fleet({ 'snap.yaml': 'nodes:\n  - {name: general-0, pool: general}\n  - {name: general-1, pool: general}\ninstances: []\n' });
    const status = qm(['status', '--format', 'json', '--now', NOW], { cwd: r.dir });
    expect(status.code, status.stderr).toBe(0);
    await r.write('status.json', status.stdout);
    const res = plan(r, 'status.json', '--format', 'json');
    expect(res.code, res.stderr).toBe(0);
    expect((JSON.parse(res.stdout) as { summary: { place: number } }).summary.place).toBe(2);
  });
});
