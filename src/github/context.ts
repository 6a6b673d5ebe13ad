/**
 * Where a `qm pr` run is: inside GitHub Actions (GITHUB_EVENT_PATH, GITHUB_REPOSITORY,
 * GITHUB_TOKEN, GITHUB_API_URL, …) or outside with flags. Reads the event file; everything else
 * is a pure function of the environment, the flags and the event.
 */
import { readFile } from 'node:fs/promises';
import { QmError } from '../model/errors.js';

export interface ContextFlags {
  repo?: string | undefined;
  pr?: string | undefined;
  base?: string | undefined;
  head?: string | undefined;
  apiUrl?: string | undefined;
  event?: string | undefined;
  actor?: string | undefined;
  fullPlanUrl?: string | undefined;
}

/** The parts of a webhook payload the workflow reads (pull_request, issue_comment). */
export interface EventPayload {
  action?: string;
  number?: number;
  pull_request?: { number: number; merged?: boolean | null; base: { ref: string; sha: string }; head: { sha: string } };
  issue?: { number: number; pull_request?: unknown };
  comment?: { id: number; body?: string; user?: { login: string; type?: string } | null };
  repository?: { full_name?: string };
  sender?: { login: string; type?: string };
}

export interface PrContext {
  owner: string;
  repo: string;
  token: string;
  apiUrl: string;
  /** The event that started the run, when there is one. */
  eventName: string | undefined;
  event: EventPayload;
  /** The pull request's number, when known. */
  pr: number | undefined;
  /** The base branch's name (pull_request.base.ref, or --base when it names a branch). */
  baseRef: string | undefined;
  /** Full commit SHAs from the event; --base/--head are Git revisions instead (baseRevision, headRevision). */
  baseSha: string | undefined;
  headSha: string | undefined;
  /** --base and --head as given: revisions ("master", "origin/main", "HEAD~1", a SHA) to resolve with Git. */
  baseRevision: string | undefined;
  headRevision: string | undefined;
  /** Who asked: the commenter, else GITHUB_ACTOR, else the sender. */
  actor: string | undefined;
  /** The workflow run, where the plan artifact is: the comment's pointer to the full plan. */
  runUrl: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The event payload: --event FILE, else GITHUB_EVENT_PATH, else none. */
export async function readEvent(flags: ContextFlags, env: Env): Promise<EventPayload> {
  const file = flags.event ?? env.GITHUB_EVENT_PATH;
  if (file === undefined || file === '') return {};
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new QmError('usage', `the GitHub event file ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'GITHUB_EVENT_PATH is set by GitHub Actions; outside Actions pass --repo and --pr instead');
  }
  try {
    return JSON.parse(text) as EventPayload;
  } catch (e) {
    throw new QmError('invalid', `the GitHub event file ${file} is not JSON: ${(e as Error).message}`);
  }
}

/** Infer the event name when GITHUB_EVENT_NAME is not set (tests, replays). */
function eventNameOf(event: EventPayload): string | undefined {
  if (event.comment && event.issue) return 'issue_comment';
  if (event.pull_request) return 'pull_request';
  return undefined;
}

/**
 * The branch a revision names, for the comment: "master" for master, refs/heads/master or
 * origin/master; undefined for a commit SHA or an expression such as HEAD~1 (the pull request says).
 */
export function branchName(rev: string): string | undefined {
  if (/^[0-9a-f]{7,64}$/i.test(rev) || /[~^:@{}]/.test(rev) || rev === 'HEAD') return undefined;
  return rev.replace(/^refs\/heads\//, '').replace(/^(?:refs\/remotes\/)?origin\//, '');
}

/** Combine flags, environment and event; a missing token or repository is a usage error naming the variable. */
export function prContext(flags: ContextFlags, env: Env, event: EventPayload): PrContext {
  const token = env.GITHUB_TOKEN || env.GH_TOKEN;
  if (!token) throw new QmError('usage', 'GITHUB_TOKEN is not set: qm pr needs a token to talk to GitHub', 'in a workflow: env: {GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}}; never pass a token as a flag');
  const full = flags.repo ?? env.GITHUB_REPOSITORY ?? event.repository?.full_name;
  const m = full ? /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(full) : null;
  if (!m) throw new QmError('usage', full ? `--repo ${full} is not OWNER/NAME` : 'the repository is unknown: set GITHUB_REPOSITORY or pass --repo OWNER/NAME');
  let pr: number | undefined;
  if (flags.pr !== undefined) {
    pr = Number(flags.pr);
    if (!Number.isInteger(pr) || pr <= 0) throw new QmError('usage', `--pr ${flags.pr} is not a pull-request number`);
  } else pr = event.pull_request?.number ?? (event.issue?.pull_request ? event.issue.number : undefined) ?? event.number;
  const serverUrl = (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, '');
  const runUrl = flags.fullPlanUrl ?? (env.GITHUB_RUN_ID ? `${serverUrl}/${m[1]}/${m[2]}/actions/runs/${env.GITHUB_RUN_ID}` : undefined);
  return {
    owner: m[1]!,
    repo: m[2]!,
    token,
    apiUrl: flags.apiUrl ?? env.GITHUB_API_URL ?? 'https://api.github.com',
    eventName: env.GITHUB_EVENT_NAME ?? eventNameOf(event),
    event,
    pr,
    baseRef: flags.base !== undefined ? branchName(flags.base) : event.pull_request?.base.ref,
    baseSha: flags.base !== undefined ? undefined : event.pull_request?.base.sha,
    headSha: flags.head !== undefined ? undefined : event.pull_request?.head.sha,
    baseRevision: flags.base,
    headRevision: flags.head,
    actor: flags.actor ?? event.comment?.user?.login ?? env.GITHUB_ACTOR ?? event.sender?.login,
    runUrl,
  };
}
