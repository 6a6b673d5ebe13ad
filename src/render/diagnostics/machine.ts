/** Machine formats of diagnostics: json (SPEC §6), GitHub workflow commands, SARIF 2.1.0. */
import type { Diagnostic } from '../../model/diagnostic.js';
import { DIAGNOSTIC_CODES } from '../../model/diagnostic.js';

/** SPEC §6: a stable array, fields in a fixed order. */
export function renderJson(diags: readonly Diagnostic[]): string {
  const out = diags.map((d) => {
    const o: Record<string, unknown> = { severity: d.severity, code: d.code, file: d.file, line: d.line, column: d.column, jsonPointer: d.jsonPointer, message: d.message };
    if (d.hint !== undefined) o.hint = d.hint;
    return o;
  });
  return JSON.stringify(out, null, 2) + '\n';
}

const escData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escProp = (s: string) => escData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** GitHub Actions workflow commands: one `::error file=…,line=…,col=…::…` per diagnostic. */
export function renderGithub(diags: readonly Diagnostic[]): string {
  return diags
    .map((d) => {
      const props = [`file=${escProp(d.file)}`, `line=${d.line}`, `col=${d.column}`];
      if (d.endLine !== undefined) props.push(`endLine=${d.endLine}`);
      if (d.endColumn !== undefined && d.endLine === d.line) props.push(`endColumn=${d.endColumn}`);
      props.push(`title=${escProp(d.code)}`);
      const msg = d.hint ? `${d.message} (${d.hint})` : d.message;
      return `::${d.severity === 'error' ? 'error' : 'warning'} ${props.join(',')}::${escData(msg)}`;
    })
    .map((l) => l + '\n')
    .join('');
}

/** SARIF 2.1.0 for GitHub code scanning. */
export function renderSarif(diags: readonly Diagnostic[], version: string): string {
  const codes = [...new Set(diags.map((d) => d.code))].sort();
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'quartermaster',
            informationUri: 'https://quartermaster.dev',
            version,
            rules: codes.map((c) => ({ id: c, name: c, shortDescription: { text: DIAGNOSTIC_CODES[c] }, helpUri: `https://quartermaster.dev/docs/diagnostics#${c.toLowerCase()}` })),
          },
        },
        results: diags.map((d) => ({
          ruleId: d.code,
          ruleIndex: codes.indexOf(d.code),
          level: d.severity === 'error' ? 'error' : 'warning',
          message: { text: d.hint ? `${d.message} (${d.hint})` : d.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: d.file, uriBaseId: '%SRCROOT%' },
                region: { startLine: d.line, startColumn: d.column, ...(d.endLine !== undefined ? { endLine: d.endLine } : {}), ...(d.endColumn !== undefined ? { endColumn: d.endColumn } : {}) },
              },
            },
          ],
          ...(d.jsonPointer ? { properties: { jsonPointer: d.jsonPointer } } : {}),
        })),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}
