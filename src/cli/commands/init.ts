/**
 * `qm init [DIR] [--force] [--action OWNER/NAME@REF]`: scaffold a policy repository from the
 * templates that ship inside the package (templates/policy-repo and templates/workflows, read
 * relative to this module so an installed package finds its own copy).
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QmError } from '../../model/errors.js';
import type { CliIo } from '../io.js';
import { policyDir } from './common.js';

/** The Action the workflow templates use until the user names another one. */
export const DEFAULT_ACTION = 'quartermaster-dev/quartermaster@v0';

/** dist/cli/commands (or src/cli/commands) → the package root's templates/. */
export const TEMPLATES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'templates');

export interface ScaffoldFile {
  /** Path inside the new repository, with '/' separators. */
  target: string;
  content: string;
}

/**
 * Every file qm init writes, in a fixed order. npm leaves `.gitignore` files out of packages, so
 * the template is called `gitignore` and gets its dot here.
 */
export function scaffoldFiles(action: string = DEFAULT_ACTION, root: string = TEMPLATES): ScaffoldFile[] {
  const files: ScaffoldFile[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const to = rel ? `${rel}/${name}` : name;
      if (statSync(full).isDirectory()) walk(full, to);
      else files.push({ target: to === 'gitignore' ? '.gitignore' : to, content: readFileSync(full, 'utf8') });
    }
  };
  try {
    walk(path.join(root, 'policy-repo'), '');
    for (const name of readdirSync(path.join(root, 'workflows')).sort()) {
      const content = readFileSync(path.join(root, 'workflows', name), 'utf8');
      files.push({ target: `.github/workflows/${name}`, content: content.split(DEFAULT_ACTION).join(action) });
    }
  } catch (e) {
    throw new QmError('io', `the templates of qm init are missing from ${root} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'reinstall quartermaster: its package ships a templates/ folder');
  }
  return files.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

const ACTION_REF = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_./-]+)?@[A-Za-z0-9_./-]+$/;

/** What is in DIR that makes it "not empty": everything but a bare `.git` (a fresh clone or git init). */
function entriesOf(dir: string): string[] {
  return readdirSync(dir).filter((e) => e !== '.git').sort();
}

export async function initCommand(args: { dir?: string | undefined; force: boolean; action?: string | undefined }, io: CliIo): Promise<number> {
  const dir = policyDir(io, args.dir);
  const shown = args.dir ?? '.';
  const action = args.action ?? DEFAULT_ACTION;
  if (!ACTION_REF.test(action)) throw new QmError('usage', `--action '${action}' is not an action reference`, `write OWNER/NAME@REF, e.g. ${DEFAULT_ACTION}`);
  const files = scaffoldFiles(action);

  let existing: string[] = [];
  const st = statIfAny(dir);
  if (st && !st.isDirectory()) throw new QmError('usage', `${shown} is a file, not a directory`, 'give qm init the directory to create the policy repository in, e.g. qm init fleet');
  if (st) existing = entriesOf(dir);
  if (existing.length > 0 && !args.force) {
    const some = existing.slice(0, 3).join(', ') + (existing.length > 3 ? ', …' : '');
    throw new QmError('usage', `${shown} is not empty (${some}), so qm init did not write anything there`, `choose a new directory (qm init fleet), or add the example files with qm init ${shown === '.' ? '' : `${shown} `}--force, which never deletes anything and lists what it overwrites`);
  }

  // With --force, only regular files are overwritten: a directory or a symbolic link in the way
  // (which could lead outside DIR) stops qm init before it writes anything.
  const overwritten: string[] = [];
  const unchanged: string[] = [];
  const inTheWay = (rel: string, what: string) => new QmError('io', `${path.join(shown, rel)} exists and is ${what}, so qm init did not write anything`, 'move it out of the way and run qm init again');
  for (const f of files) {
    const parts = f.target.split('/');
    for (let i = 1; i < parts.length; i++) {
      const sub = parts.slice(0, i).join('/');
      const d = lstatIfAny(path.join(dir, ...parts.slice(0, i)));
      if (d && !d.isDirectory()) throw inTheWay(sub, d.isSymbolicLink() ? 'a symbolic link, not a directory' : 'a file, not a directory');
    }
    const where = path.join(dir, ...parts);
    const t = lstatIfAny(where);
    if (!t) continue;
    if (!t.isFile()) throw inTheWay(f.target, t.isSymbolicLink() ? 'a symbolic link' : 'not a regular file');
    if (readFileSync(where, 'utf8') === f.content) unchanged.push(f.target);
    else overwritten.push(f.target);
  }

  for (const f of files) {
    if (unchanged.includes(f.target)) continue;
    const where = path.join(dir, ...f.target.split('/'));
    try {
      mkdirSync(path.dirname(where), { recursive: true });
      writeFileSync(where, f.content);
    } catch (e) {
      throw new QmError('io', `cannot write ${path.join(shown, f.target)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'check that the directory is writable and the disk not full');
    }
  }

  const written = files.filter((f) => !unchanged.includes(f.target)).length;
  io.stdout.write(`Created a policy repository in ${shown}: ${written} file${written === 1 ? '' : 's'} written${unchanged.length ? `, ${unchanged.length} already up to date` : ''}.\n`);
  for (const f of files) io.stdout.write(`  ${overwritten.includes(f.target) ? 'overwrote' : unchanged.includes(f.target) ? 'unchanged' : 'created  '} ${f.target}\n`);
  const cd = shown === '.' ? '' : `cd ${shown} && `;
  io.stdout.write(
    // `npx quartermaster`, not `npx qm`: outside a project that installed it, npx looks a bin name
    // up as a package name, and the npm package called qm is not this one.
    `\nNext: ${cd}npx quartermaster validate && npx quartermaster plan, then push it to GitHub, set the secret QM_STATE,\n` +
      `and open a pull request: the plan workflow comments its plan. ${path.join(shown, 'README.md')} says more.\n`,
  );
  return 0;
}

function statIfAny(p: string) {
  try {
    return statSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new QmError('io', `cannot read ${p} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'check the path and its permissions');
  }
}

function lstatIfAny(p: string) {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new QmError('io', `cannot read ${p} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'check the path and its permissions');
  }
}
