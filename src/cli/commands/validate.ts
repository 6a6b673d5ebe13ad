/** `qm validate [DIR] [--ref REF] [--format text|json|github|sarif]` */
import path from 'node:path';
import { emptyPolicyError, isEmptyPolicy, loadPolicy } from '../../engine/policy.js';
import { paletteFor } from '../../render/color.js';
import { renderText } from '../../render/diagnostics/text.js';
import { renderGithub, renderJson, renderSarif } from '../../render/diagnostics/machine.js';
import { QmError } from '../../model/errors.js';
import type { CliIo } from '../io.js';
import { VERSION } from '../version.js';

export interface ValidateArgs {
  dir?: string | undefined;
  ref?: string | undefined;
  format?: string | undefined;
}

export const VALIDATE_FORMATS = ['text', 'json', 'github', 'sarif'] as const;

/** Returns the exit code: 0 valid (warnings allowed), 1 invalid or empty (no policy document at all). */
export async function validateCommand(args: ValidateArgs, io: CliIo): Promise<number> {
  const format = args.format ?? 'text';
  if (!(VALIDATE_FORMATS as readonly string[]).includes(format)) throw new QmError('usage', `--format ${format} is not supported by qm validate`, `use one of ${VALIDATE_FORMATS.join(', ')}`);
  const dir = path.resolve(io.cwd, args.dir ?? '.');
  const opts = args.ref !== undefined ? { ref: args.ref } : {};
  const result = await loadPolicy(dir, opts);
  // Nothing to validate is not "valid": a CI job run in the wrong directory must not go green.
  if (isEmptyPolicy(result)) throw emptyPolicyError(dir, result, { ref: args.ref, command: 'validate' });
  const diags = result.diagnostics;
  switch (format) {
    case 'json': io.stdout.write(renderJson(diags)); break;
    case 'github': io.stdout.write(renderGithub(diags)); break;
    case 'sarif': io.stdout.write(renderSarif(diags, VERSION)); break;
    default: {
      const sources = new Map(result.files.map((f) => [f.path, f.text]));
      io.stdout.write(renderText(diags, sources, paletteFor(io.stdout, io.env), result.files.length, result.documentCount));
    }
  }
  return diags.some((d) => d.severity === 'error') ? 1 : 0;
}
