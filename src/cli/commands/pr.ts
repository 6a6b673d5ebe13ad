/**
 * `qm pr plan|apply|comment|drift`: the pull-request workflow on GitHub. Thin: reads the context
 * (GitHub Actions environment or flags), opens the state store and GitHub client, and hands over
 * to src/github/.
 */
import path from 'node:path';
import { QmError } from '../../model/errors.js';
import { runPlan } from '../../engine/plan.js';
import { describeDrift } from '../../engine/reconcile.js';
import { StorePort } from '../../engine/store-port.js';
import { checkOutFile } from '../../engine/output.js';
import { parseDuration } from '../../model/quantity.js';
import type { StateStore } from '../../state/store.js';
import { GithubApi } from '../../github/api.js';
import { resolveCommit } from '../../github/changed-files.js';
import { clientTuning, createClient } from '../../github/client.js';
import { parseCommentCommand } from '../../github/comment-command.js';
import { prContext, readEvent } from '../../github/context.js';
import type { PrContext } from '../../github/context.js';
import { driftIssueBody, syncDriftIssue } from '../../github/drift-issue.js';
import { prApply } from '../../github/pr-apply.js';
import { closePullRequest, helpCommand, unlockCommand } from '../../github/pr-events.js';
import { prPlan, REPLAY_WINDOW } from '../../github/pr-plan.js';
import { redact } from '../../github/redact.js';
import type { CliIo } from '../io.js';
import { interruptible } from '../signals.js';
import { clock, policyDir } from './common.js';

export type PrSub = 'plan' | 'apply' | 'comment' | 'drift';
export const PR_SUBCOMMANDS: readonly PrSub[] = ['plan', 'apply', 'comment', 'drift'];

export interface PrArgs {
  dir?: string | undefined;
  repo?: string | undefined;
  pr?: string | undefined;
  base?: string | undefined;
  head?: string | undefined;
  apiUrl?: string | undefined;
  event?: string | undefined;
  state?: string | undefined;
  snapshot?: string | undefined;
  now?: string | undefined;
  out?: string | undefined;
  approvals?: string | undefined;
  maxPlanAge?: string | undefined;
  actor?: string | undefined;
  fullPlanUrl?: string | undefined;
  checkName?: string | undefined;
  concurrency?: string | undefined;
  /** `qm pr plan --replay-window 7d`: how much metric history the replay section covers (0s: none). */
  replayWindow?: string | undefined;
}

interface Session {
  ctx: PrContext;
  api: GithubApi;
  dir: string;
  log: (line: string) => void;
}

async function session(args: PrArgs, io: CliIo): Promise<Session> {
  const event = await readEvent({ event: args.event === undefined ? undefined : path.resolve(io.cwd, args.event) }, io.env);
  const ctx = prContext({ repo: args.repo, pr: args.pr, base: args.base, head: args.head, apiUrl: args.apiUrl, actor: args.actor, fullPlanUrl: args.fullPlanUrl }, io.env, event);
  const log = (line: string) => void io.stderr.write(`qm: ${redact(line, [ctx.token])}\n`);
  const octokit = createClient({ token: ctx.token, baseUrl: ctx.apiUrl, log, ...clientTuning(io.env) });
  return { ctx, api: new GithubApi(octokit, ctx.owner, ctx.repo, ctx.token), dir: policyDir(io, args.dir), log };
}

async function stateLocation(dir: string, args: PrArgs, io: CliIo): Promise<string> {
  const { resolveStateLocation } = await import('../../state/index.js');
  return resolveStateLocation(dir, args.state, io.env);
}

async function openStore(dir: string, args: PrArgs, io: CliIo): Promise<StateStore> {
  const { openStateStore } = await import('../../state/index.js');
  return openStateStore(await stateLocation(dir, args, io));
}

function needPr(ctx: PrContext): number {
  if (ctx.pr === undefined) throw new QmError('usage', 'the pull request is unknown: run in a pull_request or issue_comment workflow, or pass --pr N');
  return ctx.pr;
}

function positiveInt(v: string | undefined, flag: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new QmError('usage', `${flag} ${v} is not a whole number`, `e.g. ${flag} ${dflt}`);
  return n;
}

function seconds(v: string | undefined, flag: string, dflt: number): number {
  if (v === undefined) return dflt;
  const r = parseDuration(v, flag);
  if (!r.ok) throw new QmError('usage', r.message, r.hint);
  return r.value;
}

async function planSub(s: Session, args: PrArgs, io: CliIo): Promise<number> {
  const { ctx, api } = s;
  const now = clock(args.now)();
  const pr = needPr(ctx);
  const out = args.out === undefined ? undefined : path.resolve(io.cwd, args.out);
  if (out !== undefined) await checkOutFile(out, args.out);
  let store: StateStore | undefined;
  try {
    if (args.snapshot === undefined) store = await openStore(s.dir, args, io);
    if (ctx.eventName === 'pull_request' && ctx.event.action === 'closed') {
      const released = await closePullRequest(api, store, pr, ctx.event.pull_request?.merged === true, now);
      io.stdout.write(`#${pr} closed: released ${released.length ? released.join(', ') : 'no locks'}\n`);
      return 0;
    }
    let { baseRef, baseSha, headSha } = ctx;
    // --base/--head are Git revisions: GitHub's APIs need full commit SHAs, so resolve them before any call.
    if (ctx.baseRevision !== undefined) baseSha = await resolveCommit(s.dir, ctx.baseRevision);
    if (ctx.headRevision !== undefined) headSha = await resolveCommit(s.dir, ctx.headRevision);
    if (baseSha === undefined || headSha === undefined || baseRef === undefined) {
      const pull = await api.getPull(pr);
      baseRef ??= pull.base.ref;
      baseSha ??= pull.base.sha;
      headSha ??= pull.head.sha;
    }
    const r = await prPlan({
      api,
      dir: s.dir,
      pr,
      baseRef,
      baseSha,
      headSha,
      now,
      store,
      port: store ? new StorePort(store) : undefined,
      stateLocation: store ? await stateLocation(s.dir, args, io) : undefined,
      snapshot: args.snapshot === undefined ? undefined : path.resolve(io.cwd, args.snapshot),
      out,
      outShown: args.out,
      fullPlanUrl: ctx.runUrl,
      checkName: args.checkName,
      replayWindow: seconds(args.replayWindow, '--replay-window', REPLAY_WINDOW),
      log: s.log,
    });
    io.stdout.write(`${ctx.owner}/${ctx.repo}#${pr}: ${r.outcome} (check ${r.conclusion}${r.comment ? `, comment ${r.comment}` : ''})\n`);
    return r.outcome === 'planned' || r.outcome === 'no-change' ? 0 : 1;
  } finally {
    await store?.close();
  }
}

async function applySub(s: Session, args: PrArgs, io: CliIo, pr: number): Promise<number> {
  if (args.snapshot !== undefined) throw new QmError('usage', 'qm pr apply does not take --snapshot: a snapshot is read-only');
  const actor = s.ctx.actor;
  if (!actor) throw new QmError('usage', 'who asks to apply is unknown: set GITHUB_ACTOR or pass --actor LOGIN');
  const store = await openStore(s.dir, args, io);
  const stop = interruptible(io);
  try {
    const r = await prApply({
      signal: stop.signal,
      api: s.api,
      dir: s.dir,
      pr,
      actor,
      store,
      port: new StorePort(store),
      now: clock(args.now),
      requiredApprovals: positiveInt(args.approvals ?? io.env.QM_REQUIRED_APPROVALS, '--approvals', 1),
      maxPlanAgeSeconds: seconds(args.maxPlanAge ?? io.env.QM_MAX_PLAN_AGE, '--max-plan-age', 3600),
      concurrency: args.concurrency === undefined ? undefined : positiveInt(args.concurrency, '--concurrency', 4),
      log: s.log,
      mergeablePollMs: Number(io.env.QM_GITHUB_MERGEABLE_POLL_MS ?? 2000),
    });
    io.stdout.write(r.outcome ? `#${pr}: apply ${r.outcome.status}\n` : `#${pr}: not applied: ${r.refused ?? r.gate.problems.map((p) => p.code).join(', ')}\n`);
    return r.outcome?.status === 'applied' ? 0 : 1;
  } finally {
    await store.close();
    stop.dispose();
  }
}

async function commentSub(s: Session, args: PrArgs, io: CliIo): Promise<number> {
  const { ctx } = s;
  if (ctx.eventName === 'pull_request') return planSub(s, args, io);
  const c = ctx.event.comment;
  if (ctx.eventName !== 'issue_comment' || !c) throw new QmError('usage', `qm pr comment handles issue_comment events, not ${ctx.eventName ?? 'no event'}`, 'run it from a workflow triggered by issue_comment');
  if (!ctx.event.issue?.pull_request) {
    io.stdout.write(`#${ctx.event.issue?.number ?? '?'} is an issue, not a pull request: nothing to do\n`);
    return 0;
  }
  if (ctx.event.action !== undefined && ctx.event.action !== 'created') {
    io.stdout.write(`comment ${ctx.event.action}: only new comments are commands\n`);
    return 0;
  }
  if (c.user?.type === 'Bot') return 0;
  const cmd = parseCommentCommand(c.body);
  if (!cmd) {
    io.stdout.write('not a /qm command: nothing to do\n');
    return 0;
  }
  const pr = needPr(ctx);
  switch (cmd.name) {
    case 'plan':
      return planSub(s, args, io);
    case 'apply':
      return applySub(s, args, io, pr);
    case 'unlock': {
      const store = await openStore(s.dir, args, io);
      try {
        const r = await unlockCommand(s.api, store, pr, ctx.actor ?? 'unknown', clock(args.now)());
        io.stdout.write(r.ok ? `#${pr}: released ${r.released.length ? r.released.join(', ') : 'nothing'}\n` : `#${pr}: unlock refused\n`);
        return r.ok ? 0 : 1;
      } finally {
        await store.close();
      }
    }
    default:
      await helpCommand(s.api, pr, cmd);
      return cmd.name === 'help' ? 0 : 1;
  }
}

async function driftSub(s: Session, args: PrArgs, io: CliIo): Promise<number> {
  const store = args.snapshot === undefined ? await openStore(s.dir, args, io) : undefined;
  try {
    const now = clock(args.now)();
    const snapshot = args.snapshot === undefined ? undefined : path.resolve(io.cwd, args.snapshot);
    const { plan } = await runPlan({ dir: s.dir, snapshot, now, store: store ? new StorePort(store) : undefined, decisions: false });
    const drift = describeDrift(plan);
    const r = await syncDriftIssue(s.api, drift, driftIssueBody(drift, plan, now, s.ctx.runUrl), now);
    io.stdout.write(`${drift.length ? `drift: ${drift.length} difference(s)` : 'in sync'}; issue ${r.action}${r.issue ? ` #${r.issue.number}` : ''}\n`);
    return 0;
  } finally {
    await store?.close();
  }
}

/** `qm pr SUB`: exit 0 on success (planned, applied, no change), 1 when refused, invalid or failed. */
export async function prCommand(sub: string | undefined, args: PrArgs, io: CliIo): Promise<number> {
  if (sub === undefined || !(PR_SUBCOMMANDS as readonly string[]).includes(sub)) throw new QmError('usage', sub === undefined ? 'qm pr needs a subcommand' : `'qm pr ${sub}' is not a command`, `use qm pr ${PR_SUBCOMMANDS.join('|')}`);
  const s = await session(args, io);
  try {
    switch (sub as PrSub) {
      case 'plan': return await planSub(s, args, io);
      case 'apply': return await applySub(s, args, io, needPr(s.ctx));
      case 'comment': return await commentSub(s, args, io);
      case 'drift': return await driftSub(s, args, io);
    }
  } catch (e) {
    // A message from anywhere below never carries the token.
    if (e instanceof QmError) throw new QmError(e.code, redact(e.message, [s.ctx.token]), e.hint === undefined ? undefined : redact(e.hint, [s.ctx.token]));
    throw e;
  }
}
