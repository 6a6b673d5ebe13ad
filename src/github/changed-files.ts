/** The policy files a pull request changes: between the merge base and the head, through Git (simple-git). */
import { QmError } from '../model/errors.js';
import { POLICY_DIRS } from '../config/load.js';

export interface ChangedFiles {
  mergeBase: string;
  /** Paths relative to the policy directory, sorted: added, modified, deleted or renamed (both names). */
  files: string[];
  /** The policy directory's path inside the repository ("" or "fleet/"), for annotations. */
  prefix: string;
}

const isYaml = (p: string) => /\.ya?ml$/i.test(p);

/** Resolve a revision to a commit, or say how to make it available. */
export async function resolveCommit(dir: string, ref: string): Promise<string> {
  const { simpleGit } = await import('simple-git');
  const git = simpleGit({ baseDir: dir });
  const sha = (await git.revparse(['--verify', '-q', `${ref}^{commit}`]).catch(() => '')).trim();
  if (!sha) throw new QmError('usage', `Git revision ${ref} is not in the repository at ${dir}`, 'check out with the full history (actions/checkout with fetch-depth: 0) or git fetch the pull request first');
  return sha;
}

/** Policy files changed between merge-base(base, head) and head. */
export async function changedPolicyFiles(dir: string, base: string, head: string): Promise<ChangedFiles> {
  const { simpleGit } = await import('simple-git');
  const git = simpleGit({ baseDir: dir });
  const [b, h] = await Promise.all([resolveCommit(dir, base), resolveCommit(dir, head)]);
  const mergeBase = (await git.raw(['merge-base', b, h]).catch(() => '')).trim();
  if (!mergeBase) throw new QmError('usage', `the base ${base} and the head ${head} have no common history`, 'check out with the full history (actions/checkout with fetch-depth: 0)');
  const prefix = (await git.revparse(['--show-prefix'])).trim();
  const out = await git.raw(['diff', '--name-only', '-z', '--no-renames', mergeBase, h, '--', ...POLICY_DIRS.map((d) => `${prefix}${d}`)]);
  const files = out
    .split('\0')
    .filter((p) => p !== '' && isYaml(p) && p.startsWith(prefix))
    .map((p) => p.slice(prefix.length))
    .sort();
  return { mergeBase, files, prefix };
}
