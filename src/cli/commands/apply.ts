/** `qm apply [PLANFILE] [--dir DIR] [--auto-approve] [--concurrency N] [--state LOC]` */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { QmError } from '../../model/errors.js';
import type { Plan, PlanAction } from '../../model/plan.js';
import { defaultActor, runApply, takeApplyLock } from '../../engine/apply.js';
import type { ActionResult, ApplyOutcome, HeldLock } from '../../engine/apply.js';
import { loadValidPolicy, runPlan } from '../../engine/plan.js';
import { openEnginePort } from '../../engine/store-port.js';
import type { EnginePort } from '../../engine/ports.js';
import { paletteFor } from '../../render/color.js';
import type { Palette } from '../../render/color.js';
import { renderPlan } from '../../render/plan/index.js';
import { readPlan } from '../../render/plan/read.js';
import type { CliIo } from '../io.js';
import { clock, policyDir, withPolicyErrors } from './common.js';

export interface ApplyArgs {
  planFile?: string | undefined;
  dir?: string | undefined;
  autoApprove?: boolean | undefined;
  concurrency?: string | undefined;
  state?: string | undefined;
  now?: string | undefined;
}

async function readPlanFile(file: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new QmError('usage', `plan file ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new QmError('invalid', `plan file ${file} is not JSON: ${(e as Error).message}`, 'qm apply takes a file written by qm plan --out');
  }
  try {
    return readPlan(json) as unknown as Plan;
  } catch (e) {
    throw new QmError('invalid', `plan file ${file}: ${(e as Error).message}`, 'qm apply takes a file written by qm plan --out');
  }
}

async function confirm(io: CliIo): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question('\nDo you want to apply these actions? Only \'yes\' will be accepted: ');
    return answer.trim() === 'yes';
  } finally {
    rl.close();
    io.stdout.write('\n');
  }
}

/** Progress: a bar that redraws on a TTY, one line per action otherwise. */
function progress(io: CliIo, c: Palette, total: number) {
  const tty = Boolean(io.stdout.isTTY);
  let finished = 0;
  const line = (a: PlanAction, r: ActionResult) => {
    const mark = r.status === 'ok' ? c.green('✓') : r.status === 'failed' ? c.red('✗') : c.yellow('–');
    const note = r.status === 'ok' && r.message !== 'done' ? `: ${r.message}` : '';
    return `${mark} ${a.id} ${r.action}${r.status === 'ok' ? c.dim(` (${r.ms.toFixed(0)} ms)`) + note : `: ${r.message}`}`;
  };
  return {
    start() {},
    finish(a: PlanAction, r: ActionResult) {
      finished++;
      if (tty) {
        const width = 30;
        const fill = Math.round((finished / Math.max(1, total)) * width);
        io.stdout.write(`\r\x1b[2K${line(a, r)}\n\x1b[2K[${'█'.repeat(fill)}${'░'.repeat(width - fill)}] ${finished}/${total}`);
      } else io.stdout.write(line(a, r) + '\n');
    },
    end() {
      if (tty) io.stdout.write('\r\x1b[2K');
    },
  };
}

function summary(o: ApplyOutcome, c: Palette): string {
  const n = (s: ActionResult['status']) => o.results.filter((r) => r.status === s).length;
  const text = `${n('ok')} succeeded, ${n('failed')} failed, ${n('skipped')} skipped, ${n('cancelled')} not started`;
  const pending = n('pending');
  if (o.status === 'applied' && pending) {
    return c.yellow(`Apply complete: ${text}; ${pending} pending on nodes that have not registered yet.`) + '\nThe next qm reconcile (or qm plan and qm apply) places them once the nodes are ready.\n';
  }
  if (o.status === 'applied') return c.green(`Apply complete: ${text}.`) + '\n';
  return c.red(`Apply ${o.status === 'failed' ? 'failed' : 'incomplete'}: ${text}.`) + '\nRe-run qm plan and qm apply: the fleet converges from where it stopped.\n';
}

/** Exit 0 when every action succeeded, 1 otherwise (refused, failed, interrupted). */
export async function applyCommand(args: ApplyArgs, io: CliIo): Promise<number> {
  const dir = policyDir(io, args.dir);
  const concurrency = args.concurrency === undefined ? 4 : Number(args.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new QmError('usage', `--concurrency ${args.concurrency} is not a positive whole number`);
  const c = paletteFor(io.stdout, io.env);
  const now = clock(args.now);
  return withPolicyErrors(io, async () => {
    // Without a plan file the policy is read first: an empty or invalid directory is refused before a state store is opened in it.
    const loaded = args.planFile === undefined ? await loadValidPolicy(dir, undefined, { command: 'apply' }) : undefined;
    const store: EnginePort = await openEnginePort(dir, args.state, io.env);
    const abort = new AbortController();
    const onSigint = () => {
      if (!abort.signal.aborted) io.stderr.write('\nqm: interrupted: finishing the actions in flight, starting no new ones…\n');
      abort.abort();
    };
    process.on('SIGINT', onSigint);
    const actor = defaultActor();
    let held: HeldLock | undefined;
    try {
      let plan: Plan;
      if (args.planFile !== undefined) {
        plan = await readPlanFile(path.resolve(io.cwd, args.planFile));
      } else {
        // The lock first, as Terraform does: a second apply fails at once naming the holder, before planning or printing anything.
        held = await takeApplyLock(store, actor);
        plan = (await runPlan({ dir, now: now(), store, loaded })).plan;
        io.stdout.write(renderPlan(plan, 'text', { palette: c }));
        if (!plan.changes) return 0;
        if (!args.autoApprove) {
          if (!process.stdin.isTTY || !io.stdout.isTTY) throw new QmError('usage', 'qm apply without a plan file asks for confirmation, and there is no terminal to ask on', 'pass --auto-approve, or save a plan with qm plan --out FILE and apply that file');
          if (!(await confirm(io))) {
            io.stdout.write('Apply cancelled.\n');
            return 1;
          }
        }
      }
      if (!plan.changes) {
        io.stdout.write(c.green('No changes. The fleet matches the policy.') + '\n');
        return 0;
      }
      const bar = progress(io, c, plan.actions.length);
      const outcome = await runApply({ plan, dir, store, now, concurrency, signal: abort.signal, events: bar, actor, lockHeld: held !== undefined });
      bar.end();
      io.stdout.write(summary(outcome, c));
      return outcome.status === 'applied' ? 0 : 1;
    } finally {
      process.off('SIGINT', onSigint);
      await held?.release();
      await store.close();
    }
  });
}
