/**
 * Files a policy names by path (a MetricSource's `spec.file.path`) are confined to the repository,
 * like the policy files themselves: a pull request must not be able to make `qm plan` read a file
 * of the machine it runs on (/etc/passwd, /proc/self/environ, a runner's credentials) into its output.
 *
 * "The repository" is the Git work tree that holds the policy directory (so a fleet in a
 * subdirectory may share `common/metrics.csv`), or the policy directory itself outside Git. A path
 * is refused when it is absolute, when `..` leads out, or when a symbolic link on the way (the file
 * or any parent folder, in the work tree or inside a commit) resolves outside. File I/O; used by
 * `qm validate` (as diagnostics) and by the metric reader (at read time, again).
 */
import { lstat, readFile, realpath, stat } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { QmError } from '../model/errors.js';

export type RepoPathReason = 'absolute' | 'parent' | 'symlink' | 'invalid';

/** A path a policy may not use, and why; never carries file content. */
export interface RepoPathProblem {
  reason: RepoPathReason;
  message: string;
  hint: string;
}

/** Thrown by readRepoFile: the path leaves the repository (reason) or cannot be read (errno code). */
export class RepoPathError extends QmError {
  constructor(
    message: string,
    hint: string,
    readonly reason: RepoPathReason | 'unreadable',
    readonly errno?: string,
  ) {
    super('io', message, hint);
    this.name = 'RepoPathError';
  }
}

const COPY_HINT = 'copy the file into the repository and give its path relative to the policy directory, e.g. metrics/requests.csv';

function problem(reason: RepoPathReason, rel: string, what: string): RepoPathProblem {
  return { reason, message: `'${rel}' ${what}, and files outside the repository are never read`, hint: COPY_HINT };
}

/** Checks that need no file system: absolute paths (POSIX or Windows), NUL bytes. */
export function lexicalProblem(rel: string): RepoPathProblem | undefined {
  if (rel === '') return { reason: 'invalid', message: 'is empty', hint: 'give the path of a CSV file relative to the policy directory' };
  if (rel.includes('\0')) return { reason: 'invalid', message: 'contains a NUL character', hint: 'give the path of a CSV file relative to the policy directory' };
  if (path.posix.isAbsolute(rel) || path.win32.isAbsolute(rel)) return problem('absolute', rel, 'is an absolute path');
  return undefined;
}

const inside = (root: string, p: string) => p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/** Run git with `args` in `cwd`; stdout, or undefined when git fails (not a repository, no git). */
function git(cwd: string, args: string[], input?: string): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const child = spawn('git', args, { cwd, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => resolve(code === 0 ? Buffer.concat(chunks) : undefined));
    if (child.stdin) {
      // git may exit before reading (a bad revision): that is its answer, not a crash.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    }
  });
}

/** The real path of the repository holding `dir`: its Git work tree's top level, or `dir` outside Git. */
export async function repositoryRoot(dir: string): Promise<string> {
  const realDir = await realpath(dir);
  const top = (await git(realDir, ['rev-parse', '--show-toplevel']))?.toString().trim();
  if (!top) return realDir;
  const realTop = await realpath(top).catch(() => realDir);
  return inside(realTop, realDir) ? realTop : realDir;
}

/** The nearest existing ancestor of `p` (itself if it exists). */
async function existingAncestor(p: string): Promise<string> {
  let cur = p;
  for (;;) {
    try {
      await lstat(cur);
      return cur;
    } catch {
      const up = path.dirname(cur);
      if (up === cur) return cur;
      cur = up;
    }
  }
}

export type WorkTreeCheck = { ok: true; real: string } | { ok: true; missing: true } | { ok: false; problem: RepoPathProblem };

/** Where `rel` (relative to `dir`) really is in the work tree, or why it may not be read. */
export async function checkWorkTreePath(dir: string, rel: string, root?: string): Promise<WorkTreeCheck> {
  const lexical = lexicalProblem(rel);
  if (lexical) return { ok: false, problem: lexical };
  const repo = root ?? (await repositoryRoot(dir));
  const realDir = await realpath(dir);
  const target = path.resolve(realDir, rel);
  if (!inside(repo, target)) return { ok: false, problem: problem('parent', rel, 'leads out of the repository with ..') };
  let real: string;
  try {
    real = await realpath(target);
  } catch {
    // Missing: still refuse a parent folder that is a link out (no probing of outside paths).
    const anc = await realpath(await existingAncestor(target)).catch(() => repo);
    if (!inside(repo, anc)) return { ok: false, problem: problem('symlink', rel, 'goes through a symbolic link that points outside the repository') };
    return { ok: true, missing: true };
  }
  if (!inside(repo, real)) return { ok: false, problem: problem('symlink', rel, 'is or goes through a symbolic link that points outside the repository') };
  return { ok: true, real };
}

export type CommitLookup = { kind: 'blob'; data: Buffer } | { kind: 'outside' } | { kind: 'absent' };

/**
 * `rel` (relative to the policy directory `dir`) as committed in `commit`. Symbolic links are
 * followed inside the commit (`git cat-file --follow-symlinks`): one that resolves outside the
 * repository is 'outside'; a path the commit does not hold as a file is 'absent'.
 */
export async function lookupAtCommit(dir: string, commit: string, rel: string): Promise<CommitLookup | { kind: 'refused'; problem: RepoPathProblem }> {
  const lexical = lexicalProblem(rel);
  if (lexical) return { kind: 'refused', problem: lexical };
  const root = path.resolve(dir);
  const prefix = (await git(root, ['rev-parse', '--show-prefix']))?.toString().trim() ?? '';
  const full = path.posix.normalize(prefix + rel.split(path.sep).join('/'));
  if (full === '..' || full.startsWith('../')) return { kind: 'refused', problem: problem('parent', rel, 'leads out of the repository with ..') };
  const out = await git(root, ['cat-file', '--batch', '--follow-symlinks'], `${commit}:${full}\n`);
  if (!out) return { kind: 'absent' };
  const nl = out.indexOf(0x0a);
  const head = out.subarray(0, nl < 0 ? out.length : nl).toString();
  // "symlink <size>": the link resolves outside the repository's tree (git does not follow it).
  if (/^symlink \d+$/.test(head)) return { kind: 'outside' };
  const m = /^[0-9a-f]+ blob (\d+)$/.exec(head);
  return m ? { kind: 'blob', data: out.subarray(nl + 1, nl + 1 + Number(m[1])) } : { kind: 'absent' };
}

/** The problem with `rel` under `--ref commit`: in the commit, or in the work tree for a file the commit does not track. */
export async function checkCommitPath(dir: string, commit: string, rel: string): Promise<RepoPathProblem | undefined> {
  const found = await lookupAtCommit(dir, commit, rel);
  if (found.kind === 'refused') return found.problem;
  if (found.kind === 'outside') return problem('symlink', rel, 'is, in the revision, a symbolic link that points outside the repository');
  if (found.kind === 'blob') return undefined;
  const wt = await checkWorkTreePath(dir, rel);
  return wt.ok ? undefined : wt.problem;
}

/**
 * Read `rel` (relative to the policy directory `dir`), confined to the repository; with a commit,
 * as committed there (a file the commit does not track is read from the work tree, confined too).
 * Throws RepoPathError, whose message names the path and never the content.
 */
export async function readRepoFile(dir: string, rel: string, opts: { commit?: string | null } = {}): Promise<Buffer> {
  const refuse = (p: RepoPathProblem) => new RepoPathError(p.message, p.hint, p.reason);
  if (opts.commit) {
    const found = await lookupAtCommit(dir, opts.commit, rel);
    if (found.kind === 'refused') throw refuse(found.problem);
    if (found.kind === 'outside') throw refuse(problem('symlink', rel, 'is, in the revision, a symbolic link that points outside the repository'));
    if (found.kind === 'blob') return found.data;
  }
  const wt = await checkWorkTreePath(dir, rel);
  if (!wt.ok) throw refuse(wt.problem);
  if ('missing' in wt) throw new RepoPathError(`cannot read ${rel}: no such file`, 'the path is relative to the policy directory', 'unreadable', 'ENOENT');
  try {
    // A FIFO or device inside the repository would hang or stream forever: regular files only.
    if (!(await stat(wt.real)).isFile()) throw new RepoPathError(`cannot read ${rel}: it is not a regular file`, 'give the path of a CSV file', 'unreadable', 'EINVAL');
    // The resolved path, so a link swapped in after the check is not followed.
    return await readFile(wt.real);
  } catch (e) {
    if (e instanceof RepoPathError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new RepoPathError(`cannot read ${rel}: ${code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (code ?? 'read error')}`, 'the path is relative to the policy directory', 'unreadable', code);
  }
}
