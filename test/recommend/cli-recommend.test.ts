/** qm recommend as a real process on a real Git repository and a real SQLite store filled with samples. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { UsageSample } from '../../src/model/usage.js';
import { openStateStore } from '../../src/state/index.js';
import { qm } from '../helpers/cli.js';
import { POOL_YAML, tempRepo, type TempRepo } from '../helpers/repo.js';

const MI = 2 ** 20;
const START = Date.UTC(2026, 10, 28);
const DAYS2 = 2 * 1440;

const CHAT_YAML = `# Sized by hand in 2025.
apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: chat}
spec:
  owner: team-a   # who pays
  replicas: 2
  resources:
    requests: {cpu: 2, memory: "4Gi"}  # generous
---
# embed: tuned last week
apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: embed}
spec:
  owner: team-a
  resources:
    requests:
      cpu: 500m # tuned
      memory: 1Gi
`;

const agentYaml = (name: string) => `apiVersion: quartermaster.dev/v1alpha1\nkind: Agent\nmetadata: {name: ${name}}\nspec:\n  owner: team-b\n  resources:\n    requests: {cpu: 1, memory: 1Gi}\n`;

let repo: TempRepo;

/**
 * chat: 2 instances, 2 days; cpu cycles 100…550m (p90 500m → 580m); memory peaks per day
 * 1200Mi (one spike on the newest day) and 1000Mi on chat-0, 800Mi on chat-1 (p95 1200Mi → 1380Mi).
 * embed: 2 days at 430m and 900Mi: within 10 % of its requests. idle: 10 hours only. new: nothing.
 * And one sample of chat 9 days before, outside the window.
 */
function samples(): UsageSample[] {
  const out: UsageSample[] = [];
  const base = { pool: 'general', node: 'general-0' };
  // Older than any window used here: it must change nothing (its max would show).
  out.push({ ...base, at: new Date(START - 9 * 86_400_000).toISOString(), instance: 'chat-0', agent: 'chat', use: { cpuMillis: 99_999, memoryBytes: 64 * 2 ** 30 } });
  for (let m = 0; m < DAYS2; m++) {
    const at = new Date(START + m * 60_000).toISOString();
    out.push({ ...base, at, instance: 'chat-0', agent: 'chat', use: { cpuMillis: 100 + (m % 10) * 50, memoryBytes: (m === DAYS2 - 30 ? 1200 : 1000) * MI } });
    out.push({ ...base, at, instance: 'chat-1', agent: 'chat', use: { cpuMillis: 100 + ((m + 5) % 10) * 50, memoryBytes: 800 * MI } });
    out.push({ ...base, at, instance: 'embed-0', agent: 'embed', use: { cpuMillis: 430, memoryBytes: 900 * MI } });
    if (m >= DAYS2 - 600) out.push({ ...base, at, instance: 'idle-0', agent: 'idle', use: { cpuMillis: 1, memoryBytes: MI } });
  }
  return out;
}

beforeAll(async () => {
  repo = await tempRepo({ git: true });
  await repo.write('pools/general.yaml', POOL_YAML);
  await repo.write('agents/chat.yaml', CHAT_YAML);
  await repo.write('agents/idle.yaml', agentYaml('idle'));
  await repo.write('agents/new.yaml', agentYaml('new'));
  await repo.commit('fleet');
  const store = await openStateStore(path.join(repo.dir, '.qm', 'state.db'));
  try {
    await store.usage.record(samples());
  } finally {
    await store.close();
  }
}, 60_000);
afterAll(() => repo.cleanup());

const EXPECTED_TEXT = `Requests from observed use over 2026-11-21T23:59Z … 2026-11-29T23:59Z (8d): cpu p90 of per-minute use, memory p95 of daily peaks, + 15 % margin

chat (agents/chat.yaml): change, 2 instances, 2d of history
  cpu     request 2       → 580m        use (5760 samples) p50 300m, p90 500m, max 550m
  memory  request 4Gi     → 1380Mi      daily peak (4 instance-days) p50 800Mi, p95 1.2Gi, max 1.2Gi
embed (agents/chat.yaml): ok, 1 instance, 2d of history
  cpu     request 500m    ok (500m)     use (2880 samples) p50 430m, p90 430m, max 430m
  memory  request 1Gi     ok (1035Mi)   daily peak (2 instance-days) p50 900Mi, p95 900Mi, max 900Mi
idle (agents/idle.yaml): not enough history: 10h of samples, --min-history is 1d
new (agents/new.yaml): no usage recorded

1 agent to change, 1 ok, 1 without enough history, 1 without usage.

The change to the agent files (qm recommend --write makes it):

--- a/agents/chat.yaml
+++ b/agents/chat.yaml
@@ -6,7 +6,7 @@
   owner: team-a   # who pays
   replicas: 2
   resources:
-    requests: {cpu: 2, memory: "4Gi"}  # generous
+    requests: {cpu: 580m, memory: "1380Mi"}  # generous
 ---
 # embed: tuned last week
 apiVersion: quartermaster.dev/v1alpha1
`;

describe('qm recommend (real process)', () => {
  test('text: current request, use percentiles and proposal per agent, then the diff; the same bytes every run', () => {
    const r = qm(['recommend', repo.dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(EXPECTED_TEXT);
    expect(qm(['recommend', repo.dir]).stdout).toBe(r.stdout);
  });

  test('--format json: the same numbers for tools, the diff per file', () => {
    const r = qm(['recommend', repo.dir, '--format', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      window: unknown;
      settings: unknown;
      agents: { agent: string; status: string }[];
      files: { file: string; diff: string }[];
      written: boolean;
    };
    expect(out.window).toEqual({ since: '2026-11-21T23:59:00.000Z', until: '2026-11-29T23:59:00.000Z' });
    expect(out.settings).toEqual({ windowMinutes: 8 * 1440, cpuPercentile: 90, memoryPercentile: 95, margin: 0.15, tolerance: 0.1, minHistoryMinutes: 1440 });
    expect(out.agents.map((a) => `${a.agent} ${a.status}`)).toEqual(['chat change', 'embed ok', 'idle not-enough-history', 'new no-usage']);
    expect(out.agents[0]).toEqual({
      agent: 'chat',
      file: 'agents/chat.yaml',
      instances: 2,
      historyMinutes: DAYS2,
      status: 'change',
      cpuMillis: { current: 2000, use: { p50: 300, p90: 500, max: 550 }, points: 2 * DAYS2, proposed: 580, status: 'change' },
      memoryBytes: { current: 4 * 2 ** 30, use: { p50: 800 * MI, p95: 1200 * MI, max: 1200 * MI }, points: 4, proposed: 1380 * MI, status: 'change' },
    });
    expect(out.agents[2]).toMatchObject({ historyMinutes: 600, cpuMillis: { current: 1000, use: null, proposed: null, status: 'no-data' } });
    expect(out.files).toHaveLength(1);
    expect(out.files[0]!.file).toBe('agents/chat.yaml');
    expect(out.files[0]!.diff).toContain('+    requests: {cpu: 580m, memory: "1380Mi"}  # generous\n');
    expect(out.written).toBe(false);
  });

  // The same history in PostgreSQL gives the same bytes. Skipped without a server outside CI only.
  const pgUrl = process.env.QM_TEST_POSTGRES_URL;
  test.skipIf(!pgUrl && !process.env.CI)('the same output from a PostgreSQL store', async () => {
    expect(pgUrl, 'set QM_TEST_POSTGRES_URL (.ci/run starts a server and sets it)').toMatch(/^postgres(ql)?:\/\//);
    const database = `qm_test_recommend_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${database}`);
      const u = new URL(pgUrl!);
      u.pathname = `/${database}`;
      const store = await openStateStore(u.toString());
      try {
        await store.usage.record(samples());
      } finally {
        await store.close();
      }
      const r = qm(['recommend', repo.dir, '--state', u.toString()]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(EXPECTED_TEXT);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  }, 60_000);

  test('--now bounds the window: a day ago the history was too short for every agent', () => {
    const r = qm(['recommend', repo.dir, '--now', '2026-11-28T20:00:00Z', '--format', 'json']);
    const out = JSON.parse(r.stdout) as { agents: { agent: string; status: string; historyMinutes: number }[]; files: unknown[] };
    expect(out.agents.map((a) => `${a.agent} ${a.status} ${a.historyMinutes}`)).toEqual(['chat not-enough-history 1201', 'embed not-enough-history 1201', 'idle no-usage 0', 'new no-usage 0']);
    expect(out.files).toEqual([]);
  });

  test('a store without usage: every agent without usage, and where usage comes from', async () => {
    const empty = await tempRepo();
    try {
      await empty.write('pools/general.yaml', POOL_YAML);
      await empty.write('agents/idle.yaml', agentYaml('idle'));
      const r = qm(['recommend', empty.dir, '--detailed-exitcode']);
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(r.stdout).toBe(
        'Requests from observed use over the last 8d: cpu p90 of per-minute use, memory p95 of daily peaks, + 15 % margin\n\n' +
          'idle (agents/idle.yaml): no usage recorded\n\n' +
          'The state store holds no usage of these agents yet: qm serve records it every minute from drivers that measure use (docker, kubernetes).\n\n' +
          '0 agents to change, 0 ok, 0 without enough history, 1 without usage.\n',
      );
    } finally {
      await empty.cleanup();
    }
  });

  test('bad options: exit 1 with one sentence and a hint', () => {
    const r = qm(['recommend', repo.dir, '--window', '8 days']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`qm: --window '8 days' is not a duration\nhint: write "8d"\n`);
    const p = qm(['recommend', repo.dir, '--cpu-percentile', '190']);
    expect([p.code, p.stderr]).toEqual([1, 'qm: --cpu-percentile 190 is not a percentile\nhint: write a number in (0, 100], e.g. --cpu-percentile 90\n']);
    const h = qm(['recommend', repo.dir, '--min-history', '9d']);
    expect(h.stderr).toMatch(/^qm: --min-history 9d is longer than the --window 8d\n/);
    expect(qm(['--help']).stdout).toContain('qm recommend [DIR] [--window 8d] [--min-history 24h]');
  });

  test('--detailed-exitcode 2 while there is a change; --write changes only the values, after which all is ok', async () => {
    expect(qm(['recommend', repo.dir, '--detailed-exitcode']).code).toBe(2);
    const w = qm(['recommend', repo.dir, '--write', '--detailed-exitcode']);
    expect(w.code).toBe(0);
    expect(w.stdout).toContain('Wrote agents/chat.yaml:\n');
    expect(await readFile(path.join(repo.dir, 'agents/chat.yaml'), 'utf8')).toBe(CHAT_YAML.replace('requests: {cpu: 2, memory: "4Gi"}', 'requests: {cpu: 580m, memory: "1380Mi"}'));
    expect(await readFile(path.join(repo.dir, 'agents/idle.yaml'), 'utf8')).toBe(agentYaml('idle'));
    expect((await repo.git.status()).modified).toEqual(['agents/chat.yaml']);
    const again = qm(['recommend', repo.dir, '--detailed-exitcode']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('chat (agents/chat.yaml): ok, 2 instances, 2d of history\n');
    expect(again.stdout).not.toContain('---');
    expect(qm(['validate', repo.dir]).code).toBe(0);
  });
});
