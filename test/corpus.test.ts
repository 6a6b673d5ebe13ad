/**
 * The "bad input" corpus (issue 2): every case under test/corpus/cases/ is a broken document that
 * must produce exactly the diagnostics its header lists, at the listed line and column, and
 * nothing else. See test/corpus/README.md for the format.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SourceFile } from '../src/config/parse.js';
import { validateFiles } from '../src/config/validate.js';
import type { Diagnostic, DiagnosticCode } from '../src/model/diagnostic.js';
import { DIAGNOSTIC_CODES } from '../src/model/diagnostic.js';

const CORPUS = fileURLToPath(new URL('./corpus/', import.meta.url));
const BASE_DIR = path.join(CORPUS, 'base');
const CASES_DIR = path.join(CORPUS, 'cases');
const DEFAULT_PATH = 'agents/case.yaml';

/** Codes only the loader produces (it reads the disk); the loader's own tests cover them. */
const LOADER_ONLY: readonly DiagnosticCode[] = ['FileTooLarge', 'InvalidEncoding', 'SymlinkOutsideRepository', 'PathOutsideRepository', 'UnreadableFile'];

interface Expectation {
  severity: Diagnostic['severity'];
  code: string;
  line: number;
  /** undefined = any column (`*`). */
  column: number | undefined;
}

interface Case {
  name: string;
  path: string;
  text: string;
  expected: Expectation[];
}

function readTree(dir: string, rel = ''): SourceFile[] {
  const out: SourceFile[] = [];
  for (const name of readdirSync(path.join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(path.join(dir, r)).isDirectory()) out.push(...readTree(dir, r));
    else if (/\.ya?ml$/.test(name)) out.push({ path: r, text: readFileSync(path.join(dir, r), 'utf8') });
  }
  return out;
}

/** Read a case's header: the comment lines before the first line that is not a comment. */
function parseCase(file: string): Case {
  const text = readFileSync(path.join(CASES_DIR, file), 'utf8');
  const c: Case = { name: file.replace(/\.ya?ml$/, ''), path: DEFAULT_PATH, text, expected: [] };
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('#')) break;
    const p = /^# path:\s*(\S+)\s*$/.exec(line);
    if (p) c.path = p[1]!;
    const m = /^# expect(-warning)?:\s*(\w+)\s+(\d+):(\d+|\*)\s*$/.exec(line);
    if (m) c.expected.push({ severity: m[1] ? 'warning' : 'error', code: m[2]!, line: Number(m[3]), column: m[4] === '*' ? undefined : Number(m[4]) });
    else if (/^# expect/.test(line)) throw new Error(`${file}: cannot read "${line}"; write "# expect: Code line:column"`);
  }
  return c;
}

const key = (d: { severity: string; code: string; line: number; column: number | undefined }) => `${d.severity} ${d.code} ${d.line}:${d.column ?? '*'}`;

/** Actual diagnostics of the case file as keys, with the column blanked where the case accepts any column. */
function actualKeys(diags: readonly Diagnostic[], expected: readonly Expectation[]): string[] {
  const wild = expected.filter((e) => e.column === undefined).map(key);
  return diags.map((d) => {
    const loose = key({ ...d, column: undefined });
    const i = wild.indexOf(loose);
    if (i < 0) return key(d);
    wild.splice(i, 1);
    return loose;
  });
}

const BASE = readTree(BASE_DIR);
const CASES = readdirSync(CASES_DIR).filter((f) => /\.ya?ml$/.test(f)).sort().map(parseCase);
const produced = new Map<string, string[]>();

describe('corpus base fleet', () => {
  it('is valid on its own', () => {
    const result = validateFiles(BASE);
    expect(result.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`)).toEqual([]);
    expect(result.documentCount).toBe(6);
  });
});

describe('corpus of broken documents', () => {
  it('has at least 70 cases, each expecting at least one diagnostic with a known code', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(70);
    for (const c of CASES) {
      expect(c.expected.length, `${c.name} expects nothing`).toBeGreaterThan(0);
      for (const e of c.expected) expect(Object.keys(DIAGNOSTIC_CODES), `${c.name}: unknown code ${e.code}`).toContain(e.code);
      expect(BASE.map((f) => f.path), `${c.name} would replace a base file`).not.toContain(c.path);
    }
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = validateFiles([...BASE, { path: c.path, text: c.text }]);
    const mine = result.diagnostics.filter((d) => d.file === c.path);
    const elsewhere = result.diagnostics.filter((d) => d.file !== c.path);
    expect(elsewhere.map((d) => `${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`), 'the base files must stay clean').toEqual([]);
    expect(actualKeys(mine, c.expected).sort(), mine.map((d) => `${key(d)} ${d.message}`).join('\n')).toEqual(c.expected.map(key).sort());
    for (const d of mine) {
      // One clear sentence that names the problem, and a hint that says how to fix it.
      expect(d.message.length, `${c.name}: ${key(d)} has no message`).toBeGreaterThan(10);
      expect(d.message, `${c.name}: ${key(d)} message spans lines`).not.toMatch(/\n/);
      expect(d.hint ?? '', `${c.name}: ${key(d)} has no hint`).not.toBe('');
      const lines = c.text.split(/\r?\n/);
      expect(d.line).toBeLessThanOrEqual(lines.length);
      expect(d.column).toBeLessThanOrEqual(lines[d.line - 1]!.length + 1);
    }
    produced.set(c.name, mine.map((d) => d.code));
  });

  it('produces every diagnostic code at least once (except loader-only codes)', () => {
    // Computed independently of the per-case tests, so this holds when run alone too.
    const seen = new Set<string>();
    for (const c of CASES) {
      const codes = produced.get(c.name) ?? validateFiles([...BASE, { path: c.path, text: c.text }]).diagnostics.filter((d) => d.file === c.path).map((d) => d.code);
      codes.forEach((code) => seen.add(code));
    }
    const missing = (Object.keys(DIAGNOSTIC_CODES) as DiagnosticCode[]).filter((code) => !LOADER_ONLY.includes(code) && !seen.has(code));
    expect(missing).toEqual([]);
  });
});
