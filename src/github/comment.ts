/** One comment per pull request, found by its hidden marker and updated in place. */
import type { GithubApi, CommentInfo } from './api.js';
import { PLAN_MARKER, sameComment } from './comment-sections.js';

/** Our comment on the pull request, if there is one (the oldest with the marker, so duplicates never multiply). */
export async function findPlanComment(api: GithubApi, pr: number, marker = PLAN_MARKER): Promise<CommentInfo | undefined> {
  const comments = await api.listComments(pr);
  return comments.find((c) => typeof c.body === 'string' && c.body.startsWith(marker));
}

/**
 * Create the comment, or update the existing one when it says something else: a body that differs
 * only in what changes on every run (the time, the plan id: see sealComment) is left alone.
 */
export async function upsertPlanComment(api: GithubApi, pr: number, body: string, marker = PLAN_MARKER): Promise<{ comment: CommentInfo; action: 'created' | 'updated' | 'unchanged' }> {
  const existing = await findPlanComment(api, pr, marker);
  if (!existing) return { comment: await api.createComment(pr, body), action: 'created' };
  if (sameComment(existing.body, body)) return { comment: existing, action: 'unchanged' };
  return { comment: await api.updateComment(existing.id, body), action: 'updated' };
}
