/**
 * Events other than a push to a pull request: comment commands (/qm plan, /qm apply, /qm unlock)
 * and a pull request closed or merged (its locks and stored plan are released).
 */
import { escapeMd } from '../render/plan/markdown-escape.js';
import type { StateStore } from '../state/store.js';
import type { GithubApi } from './api.js';
import type { CommentCommand } from './comment-command.js';
import { COMMAND_HELP } from './comment-command.js';
import { prHolder, releasePrLocks } from './pool-locks.js';
import { deleteStoredPlan } from './stored-plan.js';

const WRITE = new Set(['admin', 'maintain', 'write']);

/** Release everything a closed or merged pull request held. */
export async function closePullRequest(api: GithubApi, store: StateStore | undefined, pr: number, merged: boolean, now: string): Promise<string[]> {
  if (!store) return [];
  const released = await releasePrLocks(store.locks, prHolder(api.fullName, pr), new Date(now));
  await deleteStoredPlan(store.meta, api.fullName, pr);
  if (released.length) await api.createComment(pr, `🔓 Quartermaster released the lock${released.length === 1 ? '' : 's'} on ${released.map((p) => `\`${p}\``).join(', ')}: the pull request was ${merged ? 'merged' : 'closed'}.`);
  return released;
}

/** `/qm unlock`: only someone with write permission may free the pools. */
export async function unlockCommand(api: GithubApi, store: StateStore, pr: number, actor: string, now: string): Promise<{ ok: boolean; released: string[] }> {
  const permission = await api.permission(actor);
  if (!WRITE.has(permission)) {
    await api.createComment(pr, `🚫 @${escapeMd(actor).replace(/^@&#8203;/, '')} has ${permission} permission on ${api.fullName}; \`/qm unlock\` needs write, maintain or admin.`);
    return { ok: false, released: [] };
  }
  const released = await releasePrLocks(store.locks, prHolder(api.fullName, pr), new Date(now));
  await api.createComment(pr, released.length ? `🔓 Released the lock${released.length === 1 ? '' : 's'} on ${released.map((p) => `\`${p}\``).join(', ')}. The next plan of this pull request takes them again.` : 'This pull request holds no locks.');
  return { ok: true, released };
}

/** The reply to `/qm help` or an unknown command. */
export async function helpCommand(api: GithubApi, pr: number, cmd: CommentCommand): Promise<void> {
  const lead = cmd.name === 'unknown' ? `\`/qm ${escapeMd(cmd.word)}\` is not a Quartermaster command. ` : '';
  await api.createComment(pr, `${lead}Quartermaster understands:\n\n${COMMAND_HELP}\n`);
}
