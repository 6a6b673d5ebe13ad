/** Validation diagnostics as check-run annotations at file:line (pure). */
import type { Diagnostic } from '../model/diagnostic.js';

/** GitHub accepts at most 50 annotations per create/update call. */
export const ANNOTATIONS_PER_CALL = 50;

/** The shape of `output.annotations[]` in the Checks API. */
export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  title: string;
  message: string;
}

/**
 * One annotation per diagnostic. `prefix` is the policy directory's path inside the repository
 * ("" at the root, "fleet/" in a subfolder), because GitHub wants repository-relative paths.
 * Columns are only sent for single-line ranges, as the API requires.
 */
export function toAnnotations(diags: readonly Diagnostic[], prefix = ''): CheckAnnotation[] {
  return diags.map((d) => {
    const endLine = d.endLine !== undefined && d.endLine >= d.line ? d.endLine : d.line;
    const a: CheckAnnotation = {
      path: prefix + d.file,
      start_line: Math.max(1, d.line),
      end_line: Math.max(1, endLine),
      annotation_level: d.severity === 'error' ? 'failure' : 'warning',
      title: d.code,
      message: d.hint ? `${d.message}\nhint: ${d.hint}` : d.message,
    };
    if (endLine === d.line && d.column > 0) {
      a.start_column = d.column;
      a.end_column = d.endColumn !== undefined && d.endColumn >= d.column ? d.endColumn : d.column;
    }
    return a;
  });
}

/** Split into chunks of at most `size` (50 for the Checks API); always at least one chunk. */
export function batches<T>(items: readonly T[], size = ANNOTATIONS_PER_CALL): T[][] {
  if (items.length === 0) return [[]];
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
