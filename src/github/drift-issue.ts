/**
 * Scheduled reconcile: one "drift detected" issue, opened when the fleet has drifted from the
 * policy, updated while it stays, closed with a comment when the drift is gone.
 */
import type { Plan } from '../model/plan.js';
import { codeSpan, escapeMd, thousands } from '../render/plan/markdown-escape.js';
import type { GithubApi, IssueInfo } from './api.js';

export const DRIFT_LABEL = 'quartermaster-drift';
export const DRIFT_MARKER = '<!-- quartermaster:drift -->';
export const DRIFT_TITLE = 'Quartermaster: drift detected';

/** The issue body: what differs, one line each (the first `max`), and how to fix it. Pure. */
export function driftIssueBody(drift: readonly string[], plan: Plan, now: string, runUrl?: string, max = 200): string {
  const items = drift.slice(0, max).map((d) => `- ${escapeMd(d)}`);
  if (drift.length > max) items.push(`- … and ${thousands(drift.length - max)} more`);
  const where = runUrl ? ` ([run](${runUrl}))` : '';
  return [
    DRIFT_MARKER,
    `The fleet differs from the policy on the default branch in ${thousands(drift.length)} way${drift.length === 1 ? '' : 's'}, found by the scheduled reconcile at ${escapeMd(now)}${where}:`,
    '',
    ...items,
    '',
    `Plan ${codeSpan(plan.planId.replace(/^sha256:/, '').slice(0, 12))} would fix it. Run \`qm reconcile --mode fix\` (or the reconcile workflow with mode fix), or change the policy in a pull request.`,
    '',
    'This issue is kept up to date by Quartermaster and closed when the drift is gone.',
  ].join('\n') + '\n';
}

export type DriftIssueAction = 'opened' | 'updated' | 'unchanged' | 'closed' | 'none';

/** Open, update or close the single drift issue. */
export async function syncDriftIssue(api: GithubApi, drift: readonly string[], body: string, now: string): Promise<{ action: DriftIssueAction; issue?: IssueInfo }> {
  const open = (await api.listIssues(DRIFT_LABEL, 'open')).filter((i) => typeof i.body === 'string' && i.body.startsWith(DRIFT_MARKER));
  const [current, ...duplicates] = open.sort((a, b) => a.number - b.number);
  // Someone opened a second one by hand or two runs raced: keep the oldest.
  for (const d of duplicates) await api.updateIssue(d.number, { state: 'closed', state_reason: 'completed' });
  if (drift.length === 0) {
    if (!current) return { action: 'none' };
    await api.createComment(current.number, `The drift is gone: the scheduled reconcile at ${escapeMd(now)} found the fleet in line with the policy. Closing.`);
    return { action: 'closed', issue: await api.updateIssue(current.number, { state: 'closed', state_reason: 'completed' }) };
  }
  if (!current) return { action: 'opened', issue: await api.createIssue(DRIFT_TITLE, body, [DRIFT_LABEL]) };
  if (current.body === body) return { action: 'unchanged', issue: current };
  return { action: 'updated', issue: await api.updateIssue(current.number, { body }) };
}
