/**
 * The pull-request workflow under test: a real Git repository with a main branch and feature
 * branches, a local GitHub (server.ts), a shared SQLite state store, webhook payloads written to
 * files the way GitHub Actions does, and `qm pr` run through prCommand() with a captured CliIo.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { prCommand } from '../../src/cli/commands/pr.js';
import type { PrArgs } from '../../src/cli/commands/pr.js';
import type { CliIo } from '../../src/cli/io.js';
import { tempRepo } from '../helpers/repo.js';
import type { TempRepo } from '../helpers/repo.js';
import { payload, startFakeGithub } from './server.js';
import type { FakeGithub } from './server.js';

export const FLEET: Record<string, string> = {
  'pools/gpu.yaml': `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: gpu-east}
spec:
  tier: gold
  node:
    capacity: {cpu: 16, memory: 64Gi, gpu: 4}
    costPerHour: 3.2
  size: {min: 4, max: 10}
`,
  'pools/general.yaml': `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: general}
spec:
  node:
    capacity: {cpu: 8, memory: 32Gi}
    costPerHour: 0.4
  size: {min: 2, max: 4, initial: 2}
`,
  'policies/quotas.yaml': `apiVersion: quartermaster.dev/v1alpha1
kind: Quota
metadata: {name: ml-team}
spec:
  owner: ml-team
  limits: {gpu: 8}
`,
  'agents/chat.yaml': `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: chat}
spec:
  owner: web
  replicas: 2
  resources:
    requests: {cpu: 1, memory: 1Gi}
  placement:
    pools: [general]
`,
  'agents/research.yaml': researchAgent(2),
};

/** The research agent with n replicas of one GPU each (quota ml-team allows 8). */
export function researchAgent(replicas: number): string {
  return `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: research-bot}
spec:
  owner: ml-team
  replicas: ${replicas}
  priority: 80
  resources:
    requests: {cpu: 2, memory: 8Gi, gpu: 1}
  placement:
    pools: [gpu-east]
`;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Harness {
  repo: TempRepo;
  gh: FakeGithub;
  state: string;
  baseSha: string;
  env: Record<string, string>;
  /** Commit `files` on a new branch from main; returns the head commit. */
  branch(name: string, files: Record<string, string>, remove?: string[]): Promise<string>;
  /** Register pull request `n` for a branch head on the local GitHub. */
  openPull(n: number, headSha: string, extra?: Partial<Parameters<FakeGithub['addPull']>[0]>): void;
  /** Write a pull_request event (from the real payload) for pull request n and return its path. */
  pullRequestEvent(n: number, action: 'opened' | 'synchronize' | 'closed', opts?: { merged?: boolean }): Promise<string>;
  /** Write an issue_comment event (from the real payload) for a comment on pull request n. */
  commentEvent(n: number, body: string, login: string): Promise<string>;
  run(sub: 'plan' | 'apply' | 'comment' | 'drift', event: string | undefined, args?: PrArgs, env?: Record<string, string>): Promise<Run>;
  cleanup(): Promise<void>;
}

let eventCount = 0;

export async function harness(files: Record<string, string> = FLEET): Promise<Harness> {
  const repo = await tempRepo({ git: true });
  for (const [f, text] of Object.entries(files)) await repo.write(f, text);
  await repo.write('README.md', '# fleet\n');
  const baseSha = await repo.commit('fleet');
  const gh = await startFakeGithub();
  // Inside .git: shared by every run of the test, never committed.
  const state = path.join(repo.dir, '.git', 'qm-state.db');
  const env: Record<string, string> = {
    GITHUB_TOKEN: gh.token,
    GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`,
    GITHUB_API_URL: gh.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4242',
    QM_STATE: state,
    QM_GITHUB_RETRY_BASE_MS: '5',
    QM_GITHUB_WRITE_INTERVAL_MS: '0',
    QM_GITHUB_MERGEABLE_POLL_MS: '0',
    NO_COLOR: '1',
  };
  const writeEvent = async (data: unknown) => {
    const f = path.join(repo.dir, '.git', `event-${++eventCount}.json`);
    await writeFile(f, JSON.stringify(data));
    return f;
  };
  const h: Harness = {
    repo,
    gh,
    state,
    baseSha,
    env,
    async branch(name, changes, remove = []) {
      await repo.git.checkout(['-q', '-B', name, baseSha]);
      for (const [f, text] of Object.entries(changes)) await repo.write(f, text);
      if (remove.length) await repo.git.rm(remove);
      const sha = await repo.commit(`change on ${name}`);
      await repo.git.checkout(['-q', 'main']);
      return sha;
    },
    openPull(n, headSha, extra = {}) {
      gh.addPull({ number: n, headSha, baseSha, ...extra });
    },
    async pullRequestEvent(n, action, opts = {}) {
      const ev = payload('pull_request', action);
      const pr = gh.pulls.get(n)!;
      ev.number = n;
      const p = ev.pull_request as Record<string, Record<string, unknown>>;
      Object.assign(p, { number: n, merged: opts.merged ?? false });
      p.head = { ...p.head, sha: (pr.head as { sha: string }).sha, ref: (pr.head as { ref: string }).ref };
      p.base = { ...p.base, sha: baseSha, ref: 'main' };
      (ev.repository as Record<string, unknown>).full_name = `${gh.owner}/${gh.repo}`;
      return writeEvent(ev);
    },
    async commentEvent(n, body, login) {
      const ev = payload('issue_comment', 'created');
      const issue = ev.issue as Record<string, unknown>;
      Object.assign(issue, { number: n, pull_request: { url: `${gh.url}/repos/${gh.owner}/${gh.repo}/pulls/${n}` } });
      const comment = ev.comment as Record<string, unknown>;
      Object.assign(comment, { body, user: { ...(comment.user as object), login, type: 'User' } });
      (ev.sender as Record<string, unknown>).login = login;
      (ev.repository as Record<string, unknown>).full_name = `${gh.owner}/${gh.repo}`;
      return writeEvent(ev);
    },
    async run(sub, event, args = {}, extraEnv = {}) {
      let stdout = '';
      let stderr = '';
      const io: CliIo = {
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: (s: string) => (stderr += s) },
        env: { ...env, ...(event ? { GITHUB_EVENT_PATH: event } : {}), ...extraEnv },
        cwd: repo.dir,
      };
      try {
        const code = await prCommand(sub, args, io);
        return { code, stdout, stderr };
      } catch (e) {
        const err = e as Error & { hint?: string };
        return { code: 1, stdout, stderr: `${stderr}qm: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}` };
      }
    },
    async cleanup() {
      await gh.close();
      await repo.cleanup();
    },
  };
  return h;
}
