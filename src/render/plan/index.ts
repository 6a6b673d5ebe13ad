/** Plan renderers: each reads the plan JSON only (STYLE rule 6). This file only wires them. */
import type { Palette } from '../color.js';
import { PLAIN } from '../color.js';
import { renderPlanJson } from './json.js';
import { renderMarkdown, type MarkdownOptions } from './markdown.js';
import { renderText, type TextOptions } from './text.js';
import type { Plan } from './types.js';

export type PlanFormat = 'text' | 'markdown' | 'json';
export const PLAN_FORMATS: readonly PlanFormat[] = ['text', 'markdown', 'json'];

export interface RenderPlanOptions extends TextOptions, MarkdownOptions {
  /** Colours for text (default none). */
  palette?: Palette;
}

/** The plan in one of the formats of `qm plan --format`. */
export function renderPlan(plan: Plan, format: PlanFormat, opts: RenderPlanOptions = {}): string {
  switch (format) {
    case 'text': return renderText(plan, opts.palette ?? PLAIN, opts.width === undefined ? {} : { width: opts.width });
    case 'markdown': return renderMarkdown(plan, { ...(opts.maxLength !== undefined ? { maxLength: opts.maxLength } : {}), ...(opts.fullPlanUrl !== undefined ? { fullPlanUrl: opts.fullPlanUrl } : {}) });
    case 'json': return renderPlanJson(plan);
  }
}

export { readPlan, checkPlan, type PlanProblem } from './read.js';
export { renderText, type TextOptions } from './text.js';
export { renderMarkdown, GITHUB_COMMENT_LIMIT, type MarkdownOptions } from './markdown.js';
export { renderPlanJson, canonicalPlan } from './json.js';
export * from './types.js';
export { anomaliesOf, anomaliesMarkdownSection, anomaliesTextSection } from './anomalies.js';
