/** Load and validate a policy repository: the front door every command goes through. */
import { loadRepository } from '../config/load.js';
import type { LoadOptions } from '../config/load.js';
import type { SourceFile } from '../config/parse.js';
import { validateFiles } from '../config/validate.js';
import { prepareValidators } from '../config/schema.js';
import type { ValidationResult } from '../config/validate.js';

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
