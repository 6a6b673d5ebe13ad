/** Load and validate a policy repository: the front door every command goes through. */
import { loadRepository, POLICY_DIRS } from '../config/load.js';
import type { LoadOptions } from '../config/load.js';
import type { SourceFile } from '../config/parse.js';
import { makeDiagnostic, parsedOf, validateFiles } from '../config/validate.js';
import { checkCommitPath, checkWorkTreePath, repositoryRoot } from '../config/repo-files.js';
import type { RepoPathProblem } from '../config/repo-files.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { sortDiagnostics } from '../model/diagnostic.js';
import { prepareValidators } from '../config/schema.js';
import type { ValidationResult } from '../config/validate.js';
import { digest } from '../model/digest.js';
import { QmError } from '../model/errors.js';

export interface LoadedPolicy extends ValidationResult {
  files: SourceFile[];
  gitCommit: string | null;
}

/**
 * The last validation of a directory's files, kept by a long-running process (qm serve) between
 * loads: while the files read the same, byte for byte, they are not parsed and validated again.
 */
export interface PolicyCache {
  key?: string;
  result?: ValidationResult;
}

/** Read the files (work tree or Git ref) and validate them; with `cache`, reuse the last validation of the same files. */
export async function loadPolicy(dir: string, opts: LoadOptions = {}, cache?: PolicyCache): Promise<LoadedPolicy> {
  const [loaded] = await Promise.all([loadRepository(dir, opts), prepareValidators()]);
  let result: ValidationResult;
  // Validation is a pure function of the files and the loader's diagnostics (the file system checks come after).
  const key = cache ? digest([loaded.files.map((f) => [f.path, f.text]), loaded.diagnostics]) : undefined;
  if (cache?.result && cache.key === key) result = { ...cache.result };
  else {
    result = validateFiles(loaded.files, loaded.diagnostics);
    if (cache) Object.assign(cache, { key, result: { ...result } });
  }
  const outside = await metricPathProblems(dir, result, opts.ref !== undefined ? loaded.gitCommit : null);
  if (outside.length) {
    result.diagnostics = sortDiagnostics([...result.diagnostics, ...outside]);
    delete result.policy;
  }
  return { ...result, files: loaded.files, gitCommit: loaded.gitCommit };
}

/**
 * MetricSource file paths that leave the repository (absolute, `..`, symbolic links out), as
 * errors at spec.file.path: validation needs the file system for this, so it runs after the pure rules.
 */
async function metricPathProblems(dir: string, result: ValidationResult, commit: string | null): Promise<Diagnostic[]> {
  const sources = result.documents.filter((d) => d.kind === 'MetricSource' && d.spec.file !== undefined);
  if (sources.length === 0) return [];
  const root = commit ? undefined : await repositoryRoot(dir);
  const out: Diagnostic[] = [];
  for (const doc of sources) {
    if (doc.kind !== 'MetricSource' || !doc.spec.file) continue;
    const rel = doc.spec.file.path;
    let problem: RepoPathProblem | undefined;
    if (commit) problem = await checkCommitPath(dir, commit, rel);
    else {
      const r = await checkWorkTreePath(dir, rel, root);
      problem = r.ok ? undefined : r.problem;
    }
    const parsed = parsedOf(doc);
    if (problem && parsed) out.push(makeDiagnostic(parsed, '/spec/file/path', problem.reason === 'invalid' ? 'InvalidValue' : 'PathOutsideRepository', `MetricSource '${doc.metadata.name}': spec.file.path ${problem.message}`, { hint: problem.hint }));
  }
  return out;
}

/**
 * True when the loaded directory holds no policy at all: not one document and nothing wrong with
 * its files. Usually the wrong directory; planning it would mean "remove everything".
 */
export function isEmptyPolicy(loaded: Pick<LoadedPolicy, 'documentCount' | 'diagnostics'>): boolean {
  return loaded.documentCount === 0 && !loaded.diagnostics.some((d) => d.severity === 'error');
}

/** The error for an empty policy directory (see isEmptyPolicy), naming the directory and the folders looked in. */
export function emptyPolicyError(dir: string, loaded: Pick<LoadedPolicy, 'files'>, opts: { ref?: string | undefined; command?: string | undefined } = {}): QmError {
  const { ref } = opts;
  const folders = POLICY_DIRS.map((d) => `${d}/`).join(', ');
  const where = ref === undefined ? dir : `${dir} at ${ref}`;
  const n = loaded.files.length;
  const message = n === 0
    ? `no policy files in ${where}: there is no *.yaml or *.yml file under ${folders.replace(/, (?=[^,]*$)/, ' or ')}`
    : `no policy documents in ${where}: its ${n} YAML file${n === 1 ? '' : 's'} under ${folders.replace(/, (?=[^,]*$)/, ' or ')} hold${n === 1 ? 's' : ''} no document`;
  const example = opts.command === 'apply' ? 'qm apply --dir path/to/fleet' : `qm ${opts.command ?? 'plan'} path/to/fleet`;
  return new QmError('invalid', message, `run qm in the policy repository (the folder with ${folders}), or pass its path, e.g. ${example}`);
}
