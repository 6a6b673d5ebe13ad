/** Temporary policy repositories on disk, optionally real Git repositories (simple-git). */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import type { SimpleGit } from 'simple-git';

export interface TempRepo {
  dir: string;
  git: SimpleGit;
  write(rel: string, content: string | Uint8Array): Promise<void>;
  commit(message: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** A fresh directory; with `git: true` an initialised repository with a committer identity. */
export async function tempRepo(opts: { git?: boolean } = {}): Promise<TempRepo> {
  const dir = await mkdtemp(path.join(tmpdir(), 'qm-test-'));
  const git = simpleGit({ baseDir: dir });
  if (opts.git) {
    await git.init(['-q', '-b', 'main']);
    await git.addConfig('user.email', 'test@quartermaster.dev');
    await git.addConfig('user.name', 'qm test');
    await git.addConfig('commit.gpgsign', 'false');
  }
  return {
    dir,
    git,
    async write(rel, content) {
      const abs = path.join(dir, rel);
      await mkdir(path.dirname(abs), { recursive: true });
      await writeFile(abs, content);
    },
    async commit(message) {
      await git.add(['-A']);
      await git.commit(message);
      return (await git.revparse(['HEAD'])).trim();
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export const POOL_YAML = `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: general}
spec:
  node:
    capacity: {cpu: 8, memory: 32Gi}
  size: {min: 1, max: 4}
`;

/** A valid Agent document. */
export function agentYaml(name: string, extra = ''): string {
  return `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: ${name}}
spec:
  owner: team-a
  resources:
    requests: {cpu: 1, memory: 1Gi}
${extra}`;
}
