/**
 * YAML → documents that remember where every node came from. No I/O: takes the text of a file.
 */
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode, Pair } from 'yaml';
import type { Diagnostic, DiagnosticCode } from '../model/diagnostic.js';
import { fromPointer } from '../model/diagnostic.js';

/** A loaded file's text with its repository-relative path. */
export interface SourceFile {
  path: string;
  text: string;
}

export interface Position {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** One YAML document of a file, its plain value, and a way back from a JSON pointer to the text. */
export interface ParsedDocument {
  file: string;
  index: number;
  value: unknown;
  /** Where the value at `pointer` is (or its key with `key: true`); the nearest existing ancestor if absent. */
  locate(pointer: string, opts?: { key?: boolean }): Position;
}

export interface ParseResult {
  documents: ParsedDocument[];
  diagnostics: Diagnostic[];
}

/** Aliases a file may expand before it counts as an alias bomb (the yaml library's own default). */
export const MAX_ALIAS_COUNT = 100;

type Located = { node: YamlNode | null; pair?: Pair };

function lineCol(lc: LineCounter, offset: number): { line: number; col: number } {
  return lc.linePos(offset);
}

function rangeOf(lc: LineCounter, start: number, end: number): Position {
  const a = lineCol(lc, start);
  const b = lineCol(lc, Math.max(start, end));
  return { line: a.line, column: a.col, endLine: b.line, endColumn: b.col };
}

function child(node: YamlNode | null, segment: string): Located | undefined {
  if (node && isAlias(node)) return undefined;
  if (node && isMap(node)) {
    for (const item of node.items) {
      const k = item.key;
      const keyValue = isScalar(k) ? k.value : k;
      if (String(keyValue) === segment) return { node: (item.value as YamlNode | null) ?? null, pair: item as Pair };
    }
    return undefined;
  }
  if (node && isSeq(node)) {
    const i = Number(segment);
    if (!Number.isInteger(i)) return undefined;
    const item = node.items[i];
    return item === undefined ? undefined : { node: (isPair(item) ? null : (item as YamlNode)) ?? null };
  }
  return undefined;
}

function makeLocator(doc: Document, lc: LineCounter, fallbackOffset: number) {
  return (pointer: string, opts?: { key?: boolean }): Position => {
    let cur: Located = { node: (doc.contents as YamlNode | null) ?? null };
    let lastGood: Located = cur;
    for (const seg of fromPointer(pointer)) {
      const next = child(cur.node, seg);
      if (!next) {
        // Absent: point at the key of the nearest existing ancestor, as SPEC §6 asks.
        cur = lastGood;
        return positionOf(cur, true);
      }
      cur = next;
      lastGood = next;
    }
    return positionOf(cur, opts?.key ?? false);
  };

  function positionOf(loc: Located, preferKey: boolean): Position {
    const keyNode = loc.pair?.key as YamlNode | undefined;
    if ((preferKey || !loc.node || !loc.node.range) && keyNode?.range) return rangeOf(lc, keyNode.range[0], keyNode.range[1]);
    if (loc.node?.range) return rangeOf(lc, loc.node.range[0], loc.node.range[1]);
    if (keyNode?.range) return rangeOf(lc, keyNode.range[0], keyNode.range[1]);
    return rangeOf(lc, fallbackOffset, fallbackOffset);
  }
}

function diag(file: string, code: DiagnosticCode, pos: Position, message: string, hint?: string, index?: number): Diagnostic {
  const d: Diagnostic = { severity: 'error', code, file, line: pos.line, column: pos.column, endLine: pos.endLine, endColumn: pos.endColumn, jsonPointer: '', message };
  if (hint !== undefined) d.hint = hint;
  if (index !== undefined) d.document = index;
  return d;
}

const YAML_MESSAGES: Partial<Record<string, [DiagnosticCode, string]>> = {
  DUPLICATE_KEY: ['DuplicateKey', 'remove or rename one of the two keys: YAML keeps only one value per key'],
  TAB_AS_INDENT: ['YamlSyntax', 'indent with spaces: YAML does not allow tabs for indentation'],
  BAD_INDENT: ['YamlSyntax', 'check the indentation of this line against its siblings'],
  MISSING_CHAR: ['YamlSyntax', 'a closing quote or bracket is missing'],
  BLOCK_AS_IMPLICIT_KEY: ['YamlSyntax', 'a key is followed by something that is not a value; check the colon and indentation'],
  MULTILINE_IMPLICIT_KEY: ['YamlSyntax', 'a key may not span lines; check for a missing colon'],
  UNEXPECTED_TOKEN: ['YamlSyntax', 'check for a stray character or a missing colon'],
  BAD_ALIAS: ['YamlSyntax', 'the alias names an anchor that is not defined before it'],
};

/** Parse every document of a YAML file; syntax problems come back as diagnostics, never exceptions. */
export function parseYaml(file: SourceFile): ParseResult {
  const lc = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const documents: ParsedDocument[] = [];
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(file.text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' }) as Document.Parsed[];
  } catch (e) {
    diagnostics.push(diag(file.path, 'YamlSyntax', rangeOf(lc, 0, 0), `the file could not be parsed as YAML: ${(e as Error).message}`));
    return { documents, diagnostics };
  }
  if (!Array.isArray(docs)) docs = [docs as unknown as Document.Parsed];
  docs.forEach((doc, index) => {
    let broken = false;
    for (const err of doc.errors) {
      const [code, hint] = YAML_MESSAGES[err.code] ?? ['YamlSyntax', undefined];
      const pos = rangeOf(lc, err.pos[0], err.pos[1]);
      const first = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      const msg = code === 'DuplicateKey' ? duplicateKeyMessage(file.text, err.pos[0]) : first.charAt(0).toLowerCase() + first.slice(1);
      diagnostics.push(diag(file.path, code, pos, msg, hint, index));
      broken = true;
    }
    if (broken) return;
    // An empty document (a stray `---` or a comment-only file) is not an error.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const start = doc.contents?.range?.[0] ?? 0;
      const msg = (e as Error).message ?? '';
      if (/alias/i.test(msg)) {
        diagnostics.push(diag(file.path, 'AliasLimit', rangeOf(lc, start, start), `the document expands more than ${MAX_ALIAS_COUNT} YAML aliases and is refused as a possible alias bomb`, 'write the values out instead of nesting aliases', index));
      } else {
        diagnostics.push(diag(file.path, 'YamlSyntax', rangeOf(lc, start, start), `the document could not be read: ${msg}`, undefined, index));
      }
      return;
    }
    const start = doc.contents?.range?.[0] ?? 0;
    documents.push({ file: file.path, index, value, locate: makeLocator(doc, lc, start) });
  });
  return { documents, diagnostics };
}

function duplicateKeyMessage(text: string, offset: number): string {
  const m = /^["']?([^"':\n]+)["']?\s*:/.exec(text.slice(offset, offset + 200));
  return m ? `key '${m[1]!.trim()}' appears twice in the same mapping` : 'a key appears twice in the same mapping';
}
