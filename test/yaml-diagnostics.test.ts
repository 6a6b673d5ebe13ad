/**
 * YAML diagnostics point at the cause (issue #16, "What to build" 4): one case per yaml library
 * ErrorCode that qm can trigger, each a sentence about the file at the right line and column,
 * without the library's jargon, with a hint whose YAML (when it shows some) parses.
 */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseYaml } from '../src/config/parse.js';

/** The codes the yaml library itself raises for a text, with the options qm uses. */
function libraryCodes(text: string): string[] {
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' });
  return (Array.isArray(docs) ? docs : [docs]).flatMap((d) => [...d.errors, ...d.warnings].map((e) => e.code));
}

interface Case {
  /** The yaml library's ErrorCode the text triggers (several cases may share one). */
  code: string;
  name: string;
  text: string;
  line: number;
  column: number;
  message: RegExp;
  /** YAML the hint suggests (a substring of it)… */
  fix?: string;
  /** …and a document with it, which must parse (default: fix itself). */
  parses?: string;
}

// Files with an anchor take the yaml library's path directly; `x: &a 1` forces it where js-yaml would accept the text.
const CASES: Case[] = [
  { code: 'TAB_AS_INDENT', name: 'a tab indents a key', text: 'spec:\n\towner: x\n', line: 2, column: 1, message: /^this line is indented with a tab, and YAML indents with spaces only$/ },
  { code: 'TAB_AS_INDENT', name: 'a tab after two spaces: the tab is pointed at', text: 'spec:\n  a: 1\n  \tb: 2\n', line: 3, column: 3, message: /indented with a tab/ },
  { code: 'TAB_AS_INDENT', name: 'a tab after a list dash', text: 'a:\n  - b\n  -\t\tc: 1\n', line: 3, column: 4, message: /indented with a tab/ },
  { code: 'ALIAS_PROPS', name: 'an alias with a tag', text: 'a: &x 1\nb: !!str *x\n', line: 2, column: 10, message: /^\*x has an anchor .* or a tag .* in front of it/ },
  { code: 'BAD_ALIAS', name: 'a lone *', text: 'a: *\n', line: 1, column: 4, message: /^'\*' is not followed by an anchor name$/, fix: '"*"', parses: 'a: "*"' },
  { code: 'BAD_DIRECTIVE', name: 'a %YAML directive with two parts', text: '%YAML 1.1 x\n---\na: 1\n', line: 1, column: 1, message: /^'%YAML 1\.1 x' is not a directive qm can use$/ },
  { code: 'BAD_DQ_ESCAPE', name: 'an unknown escape in double quotes', text: 'a: "x\\qy"\n', line: 1, column: 6, message: /^in a double-quoted string, \\q is not an escape YAML knows$/ },
  { code: 'BAD_INDENT', name: 'a key between two indentations', text: 'a:\n  b: 1\n c: 2\n', line: 3, column: 2, message: /^'c: 2' is indented by 1 space, which matches none of the mappings/ },
  { code: 'BAD_INDENT', name: 'a key among list items', text: 'a:\n  - b\n  c: d\n', line: 3, column: 3, message: /^'c: d' is at the indentation of the list items above it/, fix: 'a:\n  - b\n  - c: d\n' },
  { code: 'BAD_INDENT', name: 'an unclosed [ on a key (points at the [)', text: 'a: [1, 2\nb: 1\n', line: 1, column: 4, message: /^this flow sequence '\[' is never closed with '\]'$/ },
  { code: 'BAD_SCALAR_START', name: 'a value starting with @', text: 'a: @x\n', line: 1, column: 4, message: /^a value cannot start with '@' unless it is quoted$/, fix: '"@x"', parses: 'a: "@x"' },
  { code: 'BLOCK_AS_IMPLICIT_KEY', name: 'two key: value on one line', text: 'a: b: c\n', line: 1, column: 4, message: /^the value 'b: c' contains ': ', so YAML reads it as a second key: value on the line of 'a:'$/, fix: 'a: "b: c"' },
  { code: 'BLOCK_IN_FLOW', name: 'a - item inside brackets', text: 'a: [\n  - b\n]\n', line: 2, column: 3, message: /^inside \[ \] or \{ \}, YAML found block style/, fix: '{a: 1, b: 2}', parses: 'x: {a: 1, b: 2}' },
  { code: 'DUPLICATE_KEY', name: 'a key twice', text: 'a: 1\na: 2\n', line: 2, column: 1, message: /^key 'a' appears twice in the same mapping$/ },
  { code: 'KEY_OVER_1024_CHARS', name: 'a key of 1,100 characters', text: `x: &a 1\n${'k'.repeat(1100)}: 1\n`, line: 2, column: 1, message: /^this key is longer than 1024 characters/ },
  { code: 'MISSING_CHAR', name: 'an unclosed double quote (points at the quote)', text: 'a: "abc\nb: 1\n', line: 1, column: 4, message: /^this double-quoted string is never closed$/ },
  { code: 'MISSING_CHAR', name: 'an unclosed single quote', text: "a: 'abc\nb: 1\n", line: 1, column: 4, message: /^this single-quoted string is never closed$/ },
  { code: 'MISSING_CHAR', name: 'a document separator with text after it', text: 'a: 1\n---x\n', line: 2, column: 1, message: /^'---x' starts like a document separator/ },
  { code: 'BLOCK_IN_FLOW', name: 'a comma missing in a flow mapping', text: 'x: &a 1\na: {b: 1 c: 2}\n', line: 2, column: 8, message: /^inside \[ \] or \{ \}, YAML found .* where it expected a comma between items/, fix: '{a: 1, b: 2}', parses: 'x: {a: 1, b: 2}' },
  { code: 'MULTILINE_IMPLICIT_KEY', name: 'a key without a colon before a sibling', text: 'metadata:\n  name: x\n  owner ml-team\n  class: y\n', line: 3, column: 3, message: /^'owner ml-team' has no colon, so YAML reads it and the next line as one multi-line key$/, fix: 'owner: ml-team' },
  { code: 'MULTILINE_IMPLICIT_KEY', name: 'a colon without a space is not "no colon"', text: 'spec:\n  owner:ml-team\n  class: y\n', line: 2, column: 3, message: /^the colon in 'owner:ml-team' has no space after it/, fix: 'owner: ml-team' },
  { code: 'MULTILINE_IMPLICIT_KEY', name: 'a key indented deeper than its sibling', text: 'spec:\n  owner: x\n   class: y\n', line: 3, column: 4, message: /^'class' is indented more than the line above it/ },
  { code: 'MULTIPLE_ANCHORS', name: 'two anchors', text: 'a: &x &y 1\n', line: 1, column: 7, message: /^this value has two anchors/ },
  { code: 'MULTIPLE_TAGS', name: 'two tags', text: 'a: !!str !!str 1\n', line: 1, column: 10, message: /^this value has two tags/ },
  { code: 'TAG_RESOLVE_FAILED', name: 'an unknown tag', text: 'a: !foo x\n', line: 1, column: 4, message: /^the tag !foo cannot be applied to this value/ },
  { code: 'TAG_RESOLVE_FAILED', name: 'a core tag that does not fit', text: 'a: !!int x\n', line: 1, column: 4, message: /^the tag !!int cannot be applied/ },
  { code: 'UNEXPECTED_TOKEN', name: 'a stray ]', text: 'a: 1\n]\n', line: 2, column: 1, message: /^this '\]' closes no bracket opened before it$/ },
  { code: 'UNEXPECTED_TOKEN', name: 'a comma with nothing before it', text: 'a: [, 1]\n', line: 1, column: 5, message: /comma|empty item/ },
];

/** Words of the yaml library's own messages that mean nothing to someone writing a policy. */
const JARGON = /token|implicit|compact mapping|flow-seq|flow-map|YAML stream|node end|properties/i;

describe('YAML errors are sentences about the file', () => {
  it.each(CASES)('$code: $name → $line:$column', ({ code, text, line, column, message, fix, parses }) => {
    expect(libraryCodes(text)).toContain(code);
    const { diagnostics } = parseYaml({ path: 'x.yaml', text });
    expect(diagnostics.length, JSON.stringify(diagnostics)).toBeGreaterThan(0);
    const d = diagnostics[0]!;
    expect(d.message, JSON.stringify(d)).toMatch(message);
    expect([d.line, d.column], d.message).toEqual([line, column]);
    expect(d.message).not.toMatch(JARGON);
    expect(d.hint, d.message).toBeTruthy();
    if (fix !== undefined) {
      expect(d.hint).toContain(fix.includes('\n') ? fix.trim().split('\n').pop()!.trim() : fix);
      const doc = parses ?? fix;
      expect(parseYaml({ path: 'fix.yaml', text: `${doc}\n` }).diagnostics, `the hint's YAML parses: ${doc}`).toEqual([]);
    }
  });

  it('covers every ErrorCode qm can trigger', () => {
    // Not triggerable with qm's options: MULTIPLE_DOCS (parseDocument only), NON_STRING_KEY (stringKeys),
    // IMPOSSIBLE (parser bugs), RESOURCE_EXHAUSTION (reported as AliasLimit), BAD_PROP_ORDER and
    // BAD_COLLECTION_TYPE (not reachable with the core schema: an unknown tag is TAG_RESOLVE_FAILED).
    // Every code still has an explanation: src/config/yaml-errors.ts is a Record over ErrorCode.
    const covered = new Set(CASES.map((c) => c.code));
    for (const code of ['ALIAS_PROPS', 'BAD_ALIAS', 'BAD_DIRECTIVE', 'BAD_DQ_ESCAPE', 'BAD_INDENT', 'BAD_SCALAR_START', 'BLOCK_AS_IMPLICIT_KEY', 'BLOCK_IN_FLOW', 'DUPLICATE_KEY', 'KEY_OVER_1024_CHARS', 'MISSING_CHAR', 'MULTILINE_IMPLICIT_KEY', 'MULTIPLE_ANCHORS', 'MULTIPLE_TAGS', 'TAB_AS_INDENT', 'TAG_RESOLVE_FAILED', 'UNEXPECTED_TOKEN'])
      expect(covered, code).toContain(code);
  });
});
