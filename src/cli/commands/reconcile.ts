/** `qm reconcile [DIR] [--interval 10m] [--mode report|fix] [--state LOC]` */
import { QmError } from '../../model/errors.js';
import { parseDuration } from '../../model/quantity.js';
import { openEnginePort } from '../../engine/store-port.js';
import { isTransient, reconcileOnce } from '../../engine/reconcile.js';
import { loadValidPolicy } from '../../engine/plan.js';
import type { ValidPolicy } from '../../engine/plan.js';
import type { ReconcileMode } from '../../engine/reconcile.js';
import { paletteFor } from '../../render/color.js';
import type { CliIo } from '../io.js';
import { interruptible } from '../signals.js';
import { clock, policyDir, withPolicyErrors } from './common.js';

export interface ReconcileArgs {
  dir?: string | undefined;
  interval?: string | undefined;
  mode?: string | undefined;
  state?: string | undefined;
}

/** Once: exit 0 when in sync or fixed, 1 on drift left (report mode), errors or failures. In a loop: runs until SIGINT/SIGTERM, exit 0. */
export async function reconcileCommand(args: ReconcileArgs, io: CliIo): Promise<number> {
  const mode = (args.mode ?? 'report') as ReconcileMode;
  if (mode !== 'report' && mode !== 'fix') throw new QmError('usage', `--mode ${args.mode} is not supported`, 'use report or fix');
  let intervalMs: number | undefined;
  if (args.interval !== undefined) {
    const d = parseDuration(args.interval, '--interval');
    if (!d.ok) throw new QmError('usage', d.message, d.hint);
    if (d.value < 1) throw new QmError('usage', '--interval must be at least 1s');
    intervalMs = d.value * 1000;
  }
  const dir = policyDir(io, args.dir);
  const c = paletteFor(io.stdout, io.env);
  const now = clock(undefined);
  // Until the last store is closed: a signal finishes the run in progress (its actions in flight, its record, its lock), then stops.
  const stop = interruptible(io, { message: 'stopping: finishing the run in progress, starting no new actions…' });
  try {
    return await withPolicyErrors(io, async () => {
      // Read once before the loop: an empty or invalid directory is refused before a state store is opened in it.
      // Later runs read the policy again (it changes with Git).
      let loaded: ValidPolicy | undefined = await loadValidPolicy(dir, undefined, { command: 'reconcile' });
      let last = 0;
      for (;;) {
        const store = await openEnginePort(dir, args.state, io.env);
        try {
          const preloaded = loaded;
          loaded = undefined;
          const run = await reconcileOnce({ dir, store, mode, now, signal: stop.signal, loaded: preloaded });
          const stamp = c.dim(`[${now()}]`);
          if (run.drift.length === 0) io.stdout.write(`${stamp} ${c.green('in sync')}: no drift${run.plan.summary.blocked ? ` (${run.plan.summary.blocked} blocked)` : ''}\n`);
          else {
            io.stdout.write(`${stamp} ${c.yellow(`drift detected (${run.drift.length})`)}:\n${run.drift.map((d) => `  - ${d}`).join('\n')}\n`);
            if (run.outcome) {
              const failed = run.outcome.results.filter((r) => r.status !== 'ok');
              io.stdout.write(run.outcome.status === 'applied' ? `${stamp} ${c.green('fixed')}: ${run.outcome.results.length} action(s) applied\n` : `${stamp} ${c.red('fix incomplete')}: ${failed.map((r) => `${r.id} ${r.action}: ${r.message}`).join('; ')}\n`);
            }
          }
          last = run.drift.length === 0 || run.outcome?.status === 'applied' ? 0 : 1;
        } catch (e) {
          if (intervalMs === undefined || !isTransient(e)) throw e;
          // A driver down, a lock held, a stale plan: report and wait for the next run.
          io.stderr.write(`[${now()}] qm: reconcile run skipped: ${(e as Error).message}\n`);
          last = 1;
        } finally {
          await store.close();
        }
        if (intervalMs === undefined) return last;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, intervalMs);
          stop.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
        });
        if (stop.signal.aborted) return 0;
      }
    });
  } finally {
    stop.dispose();
  }
}
