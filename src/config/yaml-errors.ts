/**
 * The yaml library's errors as sentences about the user's file: every ErrorCode it can raise
 * (node_modules/yaml/dist/errors.d.ts) has an explanation here, in plain words, at the position of
 * the cause (the tab, the unclosed bracket, the line without a colon), with a hint that parses when
 * it shows YAML. Never a guess the text contradicts: a line whose colon lacks a space is not said
 * to have "no colon". Pure.
 */
import type { ErrorCode, YAMLError } from 'yaml';
import type { DiagnosticCode } from '../model/diagnostic.js';

export interface SyntaxProblem {
  code: DiagnosticCode;
  start: number;
  end: number;
  message: string;
  hint?: string | undefined;
}

/** The line holding `offset`: its start, end and text. */
function lineAt(text: string, offset: number): { start: number; end: number; text: string } {
  const start = text.lastIndexOf('\n', Math.max(0, offset - 1)) + 1;
  const nl = text.indexOf('\n', start);
  const end = nl < 0 ? text.length : nl;
  return { start, end, text: text.slice(start, end).replace(/\r$/, '') };
}

/** Text of the file in quotes for a message, shortened. */
function q(s: string): string {
  const t = s.trim();
  return `'${t.length > 40 ? `${t.slice(0, 40)}…` : t}'`;
}

/** A YAML double-quoted form of a plain text, for hints that must parse. */
const dq = (s: string) => JSON.stringify(s.trim());

/** Where an unclosed bracket was opened: the last unmatched `open` before `offset`, ignoring quoted text. */
function openingBracket(text: string, offset: number, open: string, close: string): number | undefined {
  const stack: number[] = [];
  let quote: string | undefined;
  for (let i = 0; i < Math.min(offset, text.length); i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if ((c === '"' || c === "'") && (i === 0 || /[\s[{,:]/.test(text[i - 1]!))) quote = c;
    else if (c === open) stack.push(i);
    else if (c === close) stack.pop();
  }
  return stack.pop();
}

/** Where an unclosed quoted scalar was opened: the quote that starts it, before `offset`. */
function openingQuote(text: string, offset: number, quote: string): number | undefined {
  let open: number | undefined;
  for (let i = 0; i < Math.min(offset, text.length); i++) {
    const c = text[i]!;
    if (open === undefined) {
      if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
        while (i < text.length && text[i] !== '\n') i++;
      } else if ((c === '"' || c === "'") && (i === 0 || /[\s[{,:-]/.test(text[i - 1]!))) {
        if (c === quote) open = i;
        else {
          // skip a string in the other quote style
          const end = text.indexOf(c, i + 1);
          if (end < 0) return undefined;
          i = end;
        }
      }
    } else if (c === '\\' && quote === '"') i++;
    else if (c === quote) {
      if (quote === "'" && text[i + 1] === "'") i++;
      else open = undefined;
    }
  }
  return open;
}


interface Explained {
  message: string;
  hint?: string;
  start?: number;
  end?: number;
  code?: DiagnosticCode;
}

interface Ctx {
  text: string;
  start: number;
  end: number;
  /** The library's first line, as written. */
  lib: string;
}

const CLOSERS: Record<string, string> = { 'flow-seq-end': ']', 'flow-map-end': '}', comma: ',', 'flow-seq-start': '[', 'flow-map-start': '{', 'map-value-ind': ':', 'seq-item-ind': '-', 'explicit-key-ind': '?', 'doc-start': '---', 'doc-end': '...' };

/** A plain value from `offset` to the end of its line, without a trailing comment. */
function valueFrom(text: string, offset: number): string {
  const line = lineAt(text, offset);
  return text.slice(offset, line.end).replace(/\s+#.*$/, '').replace(/\r$/, '').trim();
}

/**
 * One entry per ErrorCode (the compiler checks that none is missing). Codes the library raises
 * only with options qm does not use (MULTIPLE_DOCS: parseDocument; NON_STRING_KEY: stringKeys) get
 * a sentence anyway.
 */
const EXPLAIN: Record<ErrorCode, (c: Ctx) => Explained> = {
  ALIAS_PROPS: (c) => {
    const alias = /\*[^\s,\]}]+/.exec(c.text.slice(c.start, lineAt(c.text, c.start).end))?.[0] ?? 'the alias';
    return { message: `${alias} has an anchor (&…) or a tag (!…) in front of it, and an alias may have neither`, hint: `remove the &anchor or !tag in front of ${alias}` };
  },
  BAD_ALIAS: (c) => {
    const anchor = /^Anchor/.test(c.lib);
    if (/ending in :/.test(c.lib)) return { message: `this ${anchor ? 'anchor' : 'alias'} name ends with ':', which YAML cannot tell apart from a key`, hint: `put a space before the colon, or rename the ${anchor ? 'anchor' : 'alias'}` };
    return anchor
      ? { message: "'&' is not followed by an anchor name", hint: `write &name right before the value to mark it, or quote text that starts with &, e.g. ${dq(valueFrom(c.text, c.start))}` }
      : { message: "'*' is not followed by an anchor name", hint: `write *name to repeat a value marked &name earlier, or quote text that starts with *, e.g. ${dq(valueFrom(c.text, c.start))}` };
  },
  BAD_DIRECTIVE: (c) => ({ message: `${q(lineAt(c.text, c.start).text)} is not a directive qm can use`, hint: 'remove the line: policy files need no % directives' }),
  BAD_DQ_ESCAPE: (c) => {
    const esc = /sequence (\S+)/.exec(c.lib)?.[1] ?? 'this backslash';
    return { message: `in a double-quoted string, ${esc} is not an escape YAML knows`, hint: "write \\\\ for a backslash, or put the value in single quotes, where a backslash is an ordinary character" };
  },
  BAD_INDENT: (c) => {
    const line = lineAt(c.text, c.start);
    const indent = /^ */.exec(line.text)![0].length;
    if (/sequence items/i.test(c.lib)) return { start: line.start + indent, end: line.end, message: `this list item is indented by ${indent} space${indent === 1 ? '' : 's'}, unlike the items before it`, hint: "start every '- ' of one list at the same column" };
    if (/Flow (sequence|mapping)/i.test(c.lib)) return { message: `this ${/sequence/i.test(c.lib) ? "'['" : "'{'"} continues on a line that is not indented more than its key`, hint: 'indent the continuation lines deeper than the key, or close the bracket on the first line' };
    if (/same column/i.test(c.lib)) {
      // Is the line at the indentation of a list above it? Then it is a key among list items.
      let prev = line.start - 1;
      let prevText = '';
      while (prev > 0) {
        const l = lineAt(c.text, prev - 1);
        if (l.text.trim() !== '' && !l.text.trim().startsWith('#')) {
          prevText = l.text;
          break;
        }
        prev = l.start;
      }
      const prevIndent = /^ */.exec(prevText)![0].length;
      const key = line.text.trim();
      if (prevIndent === indent && prevText.trimStart().startsWith('- ')) return { start: line.start + indent, end: line.end, message: `${q(key)} is at the indentation of the list items above it, and a list cannot hold a key: value line between its items`, hint: `write it as a list item ('- ${key}'), or indent it less to make it a key of the mapping above` };
      return { start: line.start + indent, end: line.end, message: `${q(key)} is indented by ${indent} space${indent === 1 ? '' : 's'}, which matches none of the mappings it could belong to`, hint: 'indent it exactly like its sibling keys' };
    }
    return { message: 'this line is not indented the way its place in the structure requires', hint: 'indent it like its siblings, deeper than its parent key' };
  },
  BAD_PROP_ORDER: () => ({ message: "an anchor or tag stands before the '?' or ':' indicator; YAML wants it after", hint: 'move the &anchor or !tag after the indicator, right before the value' }),
  BAD_SCALAR_START: (c) => {
    const v = valueFrom(c.text, c.start);
    return { message: `a value cannot start with ${q(v.charAt(0))} unless it is quoted`, hint: `quote it: ${dq(v)}` };
  },
  BLOCK_AS_IMPLICIT_KEY: (c) => {
    if (/block sequence/i.test(c.lib)) return { message: 'a list (lines starting with -) is used as a key', hint: 'give the list a key: write key: on its own line and the - items indented under it' };
    // `a: b: c`: a second key: value on the line of the first.
    const rest = valueFrom(c.text, c.start);
    const line = lineAt(c.text, c.start);
    const key = /^\s*(-\s+)?([^:#]+):/.exec(line.text)?.[2]?.trim() ?? 'key';
    return { message: `the value ${q(rest)} contains ': ', so YAML reads it as a second key: value on the line of '${key}:'`, hint: `quote the value if the colon belongs to it (${key}: ${dq(rest)}), or move the nested key to its own line, indented under ${key}:` };
  },
  BLOCK_IN_FLOW: () => ({ message: "inside [ ] or { }, YAML found block style: a '- ' item, or a 'key: value' where it expected a comma between items", hint: 'separate items inside brackets with commas, e.g. {a: 1, b: 2} or [x, y]; write block-style lists and mappings outside brackets' }),
  DUPLICATE_KEY: (c) => ({ code: 'DuplicateKey', message: duplicateKeyMessage(c.text, c.start), hint: 'remove or rename one of the two keys: YAML keeps only one value per key' }),
  IMPOSSIBLE: (c) => ({ message: `the YAML parser could not make sense of this line (${c.lib.charAt(0).toLowerCase()}${c.lib.slice(1)})`, hint: 'check this line for stray characters after a block scalar (| or >) or a comment' }),
  KEY_OVER_1024_CHARS: () => ({ message: 'this key is longer than 1024 characters, the most YAML allows for a key', hint: 'shorten the key' }),
  MISSING_CHAR: (c) => {
    if (/quote/.test(c.lib)) return { message: `this ${c.lib.includes("'") ? 'single' : 'double'}-quoted string is never closed`, hint: 'add the closing quote at the end of the value' };
    if (/Implicit map keys need to be followed/.test(c.lib)) {
      const line = lineAt(c.text, c.start);
      const t = line.text.trim();
      const at = line.start + (line.text.length - line.text.trimStart().length);
      if (/^(---|\.\.\.)\S/.test(t)) return { start: at, end: line.end, message: `${q(t)} starts like a document separator but has more text after it`, hint: "put '---' alone on its line, and the next document's first key on the line after it" };
      return { start: at, end: line.end, message: `${q(t)} is inside a mapping but is not a key: value pair`, hint: /^\S+:\S/.test(t) ? `put a space after the colon: ${t.replace(':', ': ')}` : "write 'key: value', or indent it under the key it belongs to" };
    }
    const space = /Missing space after : in (.+)/.exec(c.lib);
    if (space) return { message: `a ':' in this ${space[1]} has no space after it`, hint: 'write key: value with a space after the colon' };
    const comma = /Missing , (or : )?between (.+) items/.exec(c.lib);
    if (comma) return { message: `two items of this ${comma[2]} follow each other without a comma${comma[1] ? ' (or a key without its colon)' : ''}`, hint: 'separate the items with commas, e.g. [a, b] or {a: 1, b: 2}' };
    if (/Sequence item without -/.test(c.lib)) return { message: "this line continues a list but does not start with '- '", hint: "start each list item with '- '" };
    if (/Comments must be separated/.test(c.lib)) return { message: "a '#' right after other text starts no comment here, and YAML wants white space before a comment", hint: "put a space before '#', or quote the value if '#' belongs to it" };
    if (/Tags and anchors must be separated/.test(c.lib)) return { message: 'an anchor (&name) or tag (!tag) runs into the value after it', hint: 'put a space between the anchor or tag and the value' };
    if (/directives-end|doc-start|same line with directives/.test(c.lib)) return { message: "a directive (%…) or '---' is not where YAML expects it", hint: "remove % directive lines, and put '---' alone on its line" };
    return { message: `a character YAML needs is missing here (${c.lib.charAt(0).toLowerCase()}${c.lib.slice(1)})`, hint: 'check this line for an unclosed quote or bracket' };
  },
  MULTILINE_IMPLICIT_KEY: () => ({ message: 'a key runs over more than one line', hint: 'write each key: value on one line' }),
  MULTIPLE_ANCHORS: () => ({ message: 'this value has two anchors (&…), and YAML allows one', hint: 'remove one of the anchors' }),
  MULTIPLE_DOCS: () => ({ message: "the file holds more than one document where one is expected", hint: "remove the extra '---' and what follows it" }),
  MULTIPLE_TAGS: () => ({ message: 'this value has two tags (!…), and YAML allows one', hint: 'remove one of the tags (qm needs none)' }),
  NON_STRING_KEY: () => ({ message: 'this key is a list or mapping, and keys must be plain text', hint: 'use a plain word as the key' }),
  RESOURCE_EXHAUSTION: (c) => ({ code: 'AliasLimit', message: `the document expands too many YAML aliases (${c.lib.charAt(0).toLowerCase()}${c.lib.slice(1)})`, hint: 'write the values out instead of nesting aliases' }),
  TAB_AS_INDENT: (c) => {
    // Point at the tab itself, in the line's leading white space.
    const line = lineAt(c.text, c.start);
    const lead = /^[ \t-]*/.exec(line.text)![0];
    const tab = lead.indexOf('\t');
    const at = tab >= 0 ? line.start + tab : c.start;
    return { start: at, end: at + 1, message: 'this line is indented with a tab, and YAML indents with spaces only', hint: 'replace the tab with spaces, as many as the lines around it use' };
  },
  TAG_RESOLVE_FAILED: (c) => {
    const tag = /^!\S*/.exec(c.text.slice(c.start))?.[0] ?? 'this tag';
    return { message: `the tag ${tag} cannot be applied to this value (qm reads plain YAML values and needs no tags)`, hint: `remove ${tag} and write the value as it is` };
  },
  UNEXPECTED_TOKEN: (c) => {
    const type = /Unexpected (\S+) token/.exec(c.lib)?.[1] ?? /Unexpected (\S+) at node end/.exec(c.lib)?.[1];
    const ch = type ? CLOSERS[type] : undefined;
    if (ch === ']' || ch === '}') return { message: `this '${ch}' closes no bracket opened before it`, hint: `remove it, or add the matching '${ch === ']' ? '[' : '{'}'` };
    if (/Unexpected , in/.test(c.lib)) return { message: 'a comma here separates nothing (two commas in a row, or one at the start)', hint: 'remove the extra comma' };
    if (/empty item/.test(c.lib)) return { message: 'an empty item between commas', hint: 'remove the extra comma, or write the missing item' };
    if (/Block scalar header/.test(c.lib)) return { message: "the line starting a block scalar (| or >) has more text after the indicator", hint: 'put the text on the following lines, indented, and only | or > (with - or +) after the key' };
    const shown = ch ? `'${ch}'` : q(valueFrom(c.text, c.start) || c.text.slice(c.start, c.start + 1));
    return { message: `YAML did not expect ${shown} here`, hint: 'check this line for a stray character, a missing colon, or a quote that should enclose the value' };
  },
  BAD_COLLECTION_TYPE: () => ({ message: 'the tag on this list or mapping names a different kind of collection', hint: 'remove the tag (qm needs none)' }),
};

/** Explain one library error; the bracket and quote cases point at where the bracket or quote was opened. */
function explain(text: string, err: YAMLError): SyntaxProblem {
  const lib = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const e = (EXPLAIN[err.code] ?? ((c: Ctx) => ({ message: c.lib })))({ text, start: err.pos[0], end: err.pos[1], lib });
  const p: SyntaxProblem = { code: e.code ?? 'YamlSyntax', start: e.start ?? err.pos[0], end: e.end ?? err.pos[1], message: e.message, hint: e.hint };
  const bracket = /end with a ([\]}])/.exec(lib)?.[1];
  if (bracket) {
    const open = openingBracket(text, err.pos[0], bracket === ']' ? '[' : '{', bracket);
    const what = bracket === ']' ? 'flow sequence' : 'flow mapping';
    if (open !== undefined) Object.assign(p, { start: open, end: open + 1, message: `this ${what} '${bracket === ']' ? '[' : '{'}' is never closed with '${bracket}'`, hint: `add the closing '${bracket}', or indent its continuation lines deeper than the key` });
  } else if (err.code === 'MISSING_CHAR' && /quote/.test(lib)) {
    const quote = lib.includes("'") ? "'" : '"';
    const open = openingQuote(text, err.pos[0], quote);
    if (open !== undefined) Object.assign(p, { start: open, end: open + 1, message: `this ${quote === '"' ? 'double' : 'single'}-quoted string is never closed`, hint: `add the closing ${quote} at the end of the value` });
  }
  return p;
}

/** A key written over two lines: the second is indented deeper, or the first lacks `: ` (no colon, or no space after it). */
function multilineKey(text: string, err: YAMLError): SyntaxProblem | undefined {
  const spanned = text.slice(err.pos[0], err.pos[1]);
  if (!spanned.includes('\n')) return undefined;
  const p: SyntaxProblem = { code: 'YamlSyntax', start: err.pos[0], end: err.pos[1], message: '' };
  const nl = err.pos[0] + spanned.indexOf('\n') + 1;
  const indent = /^[ \t]*/.exec(text.slice(nl))?.[0].length ?? 0;
  const lineStart = text.lastIndexOf('\n', err.pos[0] - 1) + 1;
  const firstIndent = /^[ \t]*/.exec(text.slice(lineStart))?.[0].length ?? 0;
  if (indent > firstIndent) {
    // `owner: x` followed by a line indented deeper: YAML joins the lines into one multi-line key.
    const at = nl + indent;
    const key = /^[^:\s#]+/.exec(text.slice(at))?.[0] ?? 'this line';
    return Object.assign(p, { start: at, end: at + key.length, message: `'${key}' is indented more than the line above it, so YAML reads both lines as one multi-line key`, hint: 'indent it exactly like its sibling keys' });
  }
  const eol = text.indexOf('\n', lineStart);
  const line = text.slice(lineStart + firstIndent, eol < 0 ? text.length : eol).replace(/\r$/, '').trim();
  const span = { start: lineStart + firstIndent, end: lineStart + firstIndent + line.length };
  // `owner:ml-team`: there is a colon, but without a space after it YAML does not see a key.
  const glued = /^([^\s:#]+):(\S.*)$/.exec(line);
  if (glued) return Object.assign(p, span, { message: `the colon in ${q(line)} has no space after it, so YAML reads the line as text and joins it with the next line into one key`, hint: `write '${glued[1]}: ${glued[2]}'` });
  // `owner ml-team` (no colon) followed by a sibling key.
  const words = /^(\S+)\s+(.*)$/.exec(line);
  return Object.assign(p, span, { message: `${q(line)} has no colon, so YAML reads it and the next line as one multi-line key`, hint: words && !line.includes(':') ? `write '${words[1]}: ${words[2]}'` : `write the key, a colon and a space, then the value, e.g. '${/^\S+/.exec(line)?.[0] ?? 'key'}: value'` });
}

/** Turn the yaml library's errors for one document into clear problems, with cascades dropped. */
export function syntaxProblems(text: string, errors: readonly YAMLError[]): SyntaxProblem[] {
  const out: SyntaxProblem[] = [];
  let syntax: SyntaxProblem | undefined;
  for (const err of errors) {
    if (err.code === 'DUPLICATE_KEY') {
      out.push(explain(text, err));
      continue;
    }
    if (err.code === 'MULTILINE_IMPLICIT_KEY') {
      const m = multilineKey(text, err);
      if (m) {
        syntax = m; // more precise than any error reported before it at the same place
        continue;
      }
    }
    if (syntax) continue;
    syntax = explain(text, err);
  }
  if (syntax) out.push(syntax);
  return out.sort((a, b) => a.start - b.start);
}

function duplicateKeyMessage(text: string, offset: number): string {
  const m = /^["']?([^"':\n]+)["']?\s*:/.exec(text.slice(offset, offset + 200));
  return m ? `key '${m[1]!.trim()}' appears twice in the same mapping` : 'a key appears twice in the same mapping';
}
