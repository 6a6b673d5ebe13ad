/**
 * The new user's path of the plan → apply issue with QM_STATE=postgres://…: plan, apply, status,
 * explain on a real PostgreSQL server (.ci/run starts one). Outside CI without a server it is skipped.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QM, qm } from './helpers/cli.js';
import { tempRepo } from './helpers/repo.js';
import type { TempRepo } from './helpers/repo.js';

const url = process.env.QM_TEST_POSTGRES_URL;

if (!url && process.env.CI) {
  describe('plan → apply on PostgreSQL', () => {
    it('CI provides QM_TEST_POSTGRES_URL', () => expect(url, '.ci/run starts PostgreSQL and sets QM_TEST_POSTGRES_URL').toBeDefined());
  });
}

describe.skipIf(!url)('plan → apply on PostgreSQL (QM_STATE=postgres://…)', () => {
  const db = `qm_e2e_${randomBytes(4).toString('hex')}`;
  let location = '';
  let repo: TempRepo;
  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${db}`);
    await admin.end();
    const u = new URL(url!);
    u.pathname = `/${db}`;
    location = u.toString();
    repo = await tempRepo({ git: true });
    await repo.write('pools/general.yaml', `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: general}
spec:
  node: {capacity: {cpu: 4, memory: 8Gi}}
  size: {min: 2, max: 4}
`);
    await repo.write('agents/chat.yaml', `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: chat}
spec:
  owner: support
  replicas: 3
  resources: {requests: {cpu: 1, memory: 1Gi}}
`);
    await repo.commit('fleet');
  });
  afterAll(async () => {
    await repo?.cleanup();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  });

  it('plans, applies, reports status and explains, all with state in PostgreSQL', () => {
    const env = { QM_STATE: location };
    const plan = qm(['plan', '--detailed-exitcode'], { cwd: repo.dir, env });
    expect(plan.code, plan.stderr).toBe(2);
    const apply = qm(['apply', '--auto-approve'], { cwd: repo.dir, env });
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/Apply complete: 3 succeeded/);
    const status = JSON.parse(qm(['status', '--format', 'json'], { cwd: repo.dir, env }).stdout) as { instances: { name: string }[]; drift: { inSync: boolean } };
    expect(status.instances.map((i) => i.name)).toEqual(['chat-0', 'chat-1', 'chat-2']);
    expect(status.drift.inSync).toBe(true);
    const explain = qm(['explain', 'chat-1'], { cwd: repo.dir, env });
    expect(explain.code).toBe(0);
    expect(explain.stdout).toMatch(/^chat-1 \(agent chat\): runs on (general-\d)\nplaced on \1 by plan sha256:\w+…, applied /);
    // Nothing was written next to the repository: the state is in PostgreSQL.
    expect(qm(['status'], { cwd: repo.dir }).stdout).toMatch(/0 instances/);
  });
});

describe.skipIf(!url)('PostgreSQL dropping the connection mid-apply', () => {
  const db = `qm_drop_${randomBytes(4).toString('hex')}`;
  let location = '';
  let repo: TempRepo;
  let admin: pg.Client;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${db}`);
    const u = new URL(url!);
    u.pathname = `/${db}`;
    location = u.toString();
    repo = await tempRepo({ git: true });
    await repo.write('pools/general.yaml', 'apiVersion: quartermaster.dev/v1alpha1\nkind: Pool\nmetadata: {name: general}\nspec:\n  node: {capacity: {cpu: 64, memory: 256Gi}}\n  size: {min: 12, max: 12}\n');
    await repo.write('agents/chat.yaml', 'apiVersion: quartermaster.dev/v1alpha1\nkind: Agent\nmetadata: {name: chat}\nspec:\n  owner: support\n  replicas: 700\n  resources: {requests: {cpu: 1, memory: 1Gi}}\n');
    await repo.commit('fleet');
  });
  afterAll(async () => {
    await repo?.cleanup();
    await admin?.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin?.end();
  });

  it('the session killed under an apply: exit 1, one sentence, no stack trace, lock released, audit written', async () => {
    const env = { QM_STATE: location };
    const plan = qm(['plan', '--out', 'plan.json'], { cwd: repo.dir, env });
    expect(plan.code, plan.stderr).toBe(0);
    const child = spawn(process.execPath, [QM, 'apply', 'plan.json', '--auto-approve'], {
      cwd: repo.dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    let notify = () => {};
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      notify();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let done = false;
    void exited.then(() => (done = true));
    /** Resolves once stdout shows `text` or qm exited; with `paceMs`, also after that long. */
    const seen = (text: string, paceMs?: number) =>
      new Promise<void>((resolve) => {
        const check = () => (stdout.includes(text) || done ? resolve() : undefined);
        notify = check;
        void exited.then(() => resolve());
        if (paceMs !== undefined) setTimeout(resolve, paceMs).unref();
        check();
      });
    try {
      await seen('✓');
      // Kill qm's sessions (as a DBA or a failover would) until one dies under a running action.
      // Pacing only: nothing below is asserted on time.
      while (!done && !stdout.includes('✗')) {
        await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'quartermaster'", [db]);
        await seen('✗', 200);
      }
      const code = await exited;
      expect(stdout).toMatch(/✗ a\d+ place chat-\d+ on general-\d+: the state database at [^ ]+ stopped answering \(/);
      expect(stdout.match(/✗/g)?.length ?? 0).toBeLessThanOrEqual(4);
      expect(stdout).not.toMatch(/not started/);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^qm: the state database at \S+ stopped answering \([^\n]*\), so the apply stopped starting actions\nhint: [^\n]+\n$/);
      expect(stderr).not.toMatch(/\n\s+at |Unhandled|node:events/);
    } finally {
      child.kill();
    }
    // The server kept running, so the apply could still write its audit record and release its lock.
    const scoped = new pg.Client({ connectionString: location });
    await scoped.connect();
    try {
      expect((await scoped.query('SELECT count(*)::int AS n FROM qm_locks')).rows[0].n).toBe(0);
      expect((await scoped.query('SELECT status FROM qm_applied_plans ORDER BY seq DESC LIMIT 1')).rows).toEqual([{ status: 'partial' }]);
    } finally {
      await scoped.end();
    }
  }, 60_000);
});
