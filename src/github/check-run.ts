/** The check run of a plan: started, then completed with a conclusion and every annotation, 50 per call. */
import type { CheckAnnotation } from './annotations.js';
import { batches } from './annotations.js';
import type { CheckConclusion, GithubApi } from './api.js';

export const CHECK_NAME = 'quartermaster/plan';

/** GitHub's limit on a check run's output.summary and output.text. */
export const CHECK_TEXT_LIMIT = 65535;

const cut = (s: string) => (s.length <= CHECK_TEXT_LIMIT ? s : `${s.slice(0, CHECK_TEXT_LIMIT - 40)}\n\n… (cut; see the pull-request comment)`);

/** A check run in progress at `headSha`. */
export async function startCheck(api: GithubApi, headSha: string, name = CHECK_NAME): Promise<number> {
  const { id } = await api.createCheck(name, headSha, { status: 'in_progress', output: { title: 'Planning…', summary: 'Quartermaster is validating and planning this pull request.' } });
  return id;
}

/**
 * Complete it. The Checks API takes at most 50 annotations per request and appends those of each
 * update, so the first batch goes with the conclusion and the rest follow in further updates.
 */
export async function completeCheck(api: GithubApi, id: number, conclusion: CheckConclusion, title: string, summary: string, annotations: readonly CheckAnnotation[] = []): Promise<void> {
  const [first = [], ...rest] = batches(annotations);
  const output = { title: cut(title).slice(0, 255), summary: cut(summary) };
  await api.updateCheck(id, { status: 'completed', conclusion, output: { ...output, ...(first.length ? { annotations: first } : {}) } });
  for (const b of rest) await api.updateCheck(id, { output: { ...output, annotations: b } });
}
