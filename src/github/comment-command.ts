/** `/qm plan`, `/qm apply`, `/qm unlock` in a pull-request comment (pure). */

export type CommentCommand = { name: 'plan' | 'apply' | 'unlock' | 'help' } | { name: 'unknown'; word: string };

/**
 * The command of a comment: its first non-empty line must start with `/qm`; anything else is not
 * for us (undefined), so a comment that merely quotes a command further down is ignored.
 */
export function parseCommentCommand(body: string | null | undefined): CommentCommand | undefined {
  const first = (body ?? '').split(/\r?\n/).find((l) => l.trim() !== '')?.trim();
  if (!first) return undefined;
  const m = /^\/qm(?:\s+(\S+))?(?:\s|$)/i.exec(first);
  if (!m) return undefined;
  const word = (m[1] ?? 'help').toLowerCase();
  if (word === 'plan' || word === 'apply' || word === 'unlock' || word === 'help') return { name: word };
  return { name: 'unknown', word };
}

export const COMMAND_HELP = [
  '`/qm plan` — plan this pull request again',
  '`/qm apply` — apply the plan (approved, mergeable, not from a fork, plan fresh and at the head commit; needs write permission)',
  '`/qm unlock` — release the pools this pull request holds (needs write permission)',
].join('\n');
