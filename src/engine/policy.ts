/** Load and validate a policy repository: the front door every command goes through. */
import { loadRepository, POLICY_DIRS } from '../config/load.js';
import type { LoadOptions } from '../config/load.js';
import type { SourceFile } from '../config/parse.js';
import { validateFiles } from '../config/validate.js';
import { prepareValidators } from '../config/schema.js';
import type { ValidationResult } from '../config/validate.js';
import { QmError } from '../model/errors.js';

export interface LoadedPolicy extends ValidationResult {
  files: SourceFile[];
  gitCommit: string | null;
}

/** Read the files (work tree or Git ref) and validate them. */
export async function loadPolicy(dir: string, opts: LoadOptions = {}): Promise<LoadedPolicy> {
  const [loaded] = await Promise.all([loadRepository(dir, opts), prepareValidators()]);
  const result = validateFiles(loaded.files, loaded.diagnostics);
  return { ...result, files: loaded.files, gitCommit: loaded.gitCommit };
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
