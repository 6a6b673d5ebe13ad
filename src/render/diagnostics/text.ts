/** Diagnostics for terminals: file:line:col, a code frame with a caret, as the TypeScript compiler prints. */
import type { Diagnostic } from '../../model/diagnostic.js';
import type { Palette } from '../color.js';

/** Three lines of context around the offending line with a caret under the value. */
export function codeFrame(text: string, d: Diagnostic, c: Palette): string {
  const lines = text.split(/\r?\n/);
  const line = d.line;
  const first = Math.max(1, line - 1);
  const last = Math.min(lines.length, line + 1);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const src = (lines[n - 1] ?? '').replace(/\t/g, ' ');
    const gutter = String(n).padStart(width);
    out.push(`${n === line ? c.bold('>') : ' '} ${c.dim(gutter + ' |')} ${src}`);
    if (n === line) {
      const end = d.endLine === line && d.endColumn !== undefined && d.endColumn > d.column ? d.endColumn : d.column + 1;
      const len = Math.max(1, Math.min(end - d.column, src.length - d.column + 1));
      const mark = (d.severity === 'error' ? c.red : c.yellow)(' '.repeat(Math.max(0, d.column - 1)) + '^'.repeat(len));
      out.push(`  ${c.dim(' '.repeat(width) + ' |')} ${mark}`);
    }
  }
  return out.join('\n');
}

/** The whole report: every diagnostic with its frame, then a summary line. */
export function renderText(diags: readonly Diagnostic[], sources: ReadonlyMap<string, string>, c: Palette, fileCount: number, docCount: number): string {
  const out: string[] = [];
  for (const d of diags) {
    const sev = d.severity === 'error' ? c.red(c.bold('error')) : c.yellow(c.bold('warning'));
    out.push(`${c.cyan(d.file)}:${c.yellow(String(d.line))}:${c.yellow(String(d.column))} - ${sev} ${c.dim(d.code + ':')} ${d.message}`);
    const text = sources.get(d.file);
    if (text !== undefined && d.line >= 1) out.push('', codeFrame(text, d, c));
    if (d.hint) out.push(`  ${c.dim('hint:')} ${d.hint}`);
    out.push('');
  }
  const errors = diags.filter((d) => d.severity === 'error').length;
  const warnings = diags.length - errors;
  const checked = `${docCount} document${docCount === 1 ? '' : 's'} in ${fileCount} file${fileCount === 1 ? '' : 's'}`;
  if (errors === 0 && warnings === 0) out.push(c.green(`✓ ${checked}: valid`));
  else out.push(`${errors ? c.red(`✗ ${errors} error${errors === 1 ? '' : 's'}`) : c.green('✓ no errors')}, ${warnings} warning${warnings === 1 ? '' : 's'} in ${checked}`);
  return out.join('\n') + '\n';
}
