/** `qm plan [DIR] [--ref REF] [--snapshot FILE] [--now TIME] [--format text|markdown|json] [--out FILE] [--detailed-exitcode]` */
import path from 'node:path';
import { QmError } from '../../model/errors.js';
import { checkOutFile, writeOutFile } from '../../engine/output.js';
import { loadValidPolicy, runPlan } from '../../engine/plan.js';
import { openEnginePort } from '../../engine/store-port.js';
import { paletteFor } from '../../render/color.js';
import { renderPlan } from '../../render/plan/index.js';
import { renderPlanJson } from '../../render/plan/json.js';
import type { CliIo } from '../io.js';
import { clock, policyDir, withPolicyErrors } from './common.js';

export interface PlanArgs {
  dir?: string | undefined;
  ref?: string | undefined;
  snapshot?: string | undefined;
  now?: string | undefined;
  format?: string | undefined;
  out?: string | undefined;
  state?: string | undefined;
  detailedExitcode?: boolean | undefined;
}

export const PLAN_FORMATS = ['text', 'markdown', 'json'] as const;

/** Exit 0 (or with --detailed-exitcode: 0 no changes, 2 changes), 1 on error. */
export async function planCommand(args: PlanArgs, io: CliIo): Promise<number> {
  const format = args.format ?? 'text';
  if (!(PLAN_FORMATS as readonly string[]).includes(format)) throw new QmError('usage', `--format ${format} is not supported by qm plan`, `use one of ${PLAN_FORMATS.join(', ')}`);
  const dir = policyDir(io, args.dir);
  const now = clock(args.now)();
  const out = args.out === undefined ? undefined : path.resolve(io.cwd, args.out);
  if (out !== undefined) await checkOutFile(out, args.out);
  return withPolicyErrors(io, async () => {
    // The policy first: an empty or invalid directory is refused before a state store is opened (or created) in it.
    const loaded = await loadValidPolicy(dir, args.ref, { command: 'plan' });
    const store = args.snapshot === undefined ? await openEnginePort(dir, args.state, io.env) : undefined;
    try {
      const snapshot = args.snapshot === undefined ? undefined : path.resolve(io.cwd, args.snapshot);
      const { plan } = await runPlan({ dir, ref: args.ref, snapshot, now, store, loaded, decisions: false });
      if (out !== undefined) await writeOutFile(out, renderPlanJson(plan), args.out);
      io.stdout.write(renderPlan(plan, format as 'text', { palette: paletteFor(io.stdout, io.env) }));
      if (args.out !== undefined && format === 'text') io.stdout.write(`\nSaved the plan to ${args.out}. Apply exactly this plan with: qm apply ${args.out}\n`);
      return args.detailedExitcode && plan.changes ? 2 : 0;
    } finally {
      await store?.close();
    }
  });
}
