/**
 * YAML → documents that remember where every node came from. No I/O: takes the text of a file.
 */
import { createRequire } from 'node:module';
import type * as YamlLib from 'yaml';
import type { Alias, Document, Node as YamlNode, Pair } from 'yaml';
import jsYaml from 'js-yaml';
import type { Diagnostic, DiagnosticCode } from '../model/diagnostic.js';
import { fromPointer } from '../model/diagnostic.js';
import { syntaxProblems } from './yaml-errors.js';

const requireCjs = createRequire(import.meta.url);
let yamlLib: typeof YamlLib | undefined;
/** The yaml library, loaded only when a file takes the careful path (saves ~40 ms of start-up otherwise). */
const Y = (): typeof YamlLib => (yamlLib ??= requireCjs('yaml') as typeof YamlLib);

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

/**
 * How many lists and mappings may sit inside each other. Policy documents need about ten; the YAML
 * parsers and the validators recurse, so thousands of levels would end in "maximum call stack size
 * exceeded" instead of a sentence about the file.
 */
export const MAX_NESTING_DEPTH = 128;

/** Depth of a plain value (collections only), without recursion; stops counting past `max`. */
function valueDepth(root: unknown, max: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const depth = d + 1;
    if (depth > deepest) deepest = depth;
    if (depth > max) return depth;
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (x !== null && typeof x === 'object') stack.push([x, depth]);
  }
  return deepest;
}

interface CstNode {
  type: string;
  offset: number;
  value?: CstNode;
  items?: { key?: CstNode | null; value?: CstNode | null }[];
}

/**
 * The offset of the first list or mapping nested deeper than `max`, from the yaml library's
 * concrete syntax tree (its parser keeps an explicit stack, so any depth is safe to read).
 */
function tooDeepAt(text: string, max: number): number | undefined {
  let first: number | undefined;
  for (const doc of new (Y().Parser)().parse(text) as Iterable<CstNode>) {
    if (doc.type !== 'document' || !doc.value) continue;
    const stack: [CstNode, number][] = [[doc.value, 0]];
    while (stack.length) {
      const [tok, d] = stack.pop()!;
      const collection = tok.type === 'block-map' || tok.type === 'block-seq' || tok.type === 'flow-collection';
      if (!collection) continue;
      if (d + 1 > max) {
        if (first === undefined || tok.offset < first) first = tok.offset;
        continue;
      }
      for (const it of tok.items ?? []) {
        if (it.key) stack.push([it.key, d + 1]);
        if (it.value) stack.push([it.value, d + 1]);
      }
    }
  }
  return first;
}

function tooDeepDiagnostic(file: SourceFile, lc: LineIndex, offset: number): Diagnostic {
  return diag(
    file.path,
    'NestingTooDeep',
    rangeOf(lc, offset, offset + 1),
    `the YAML nests lists and mappings more than ${MAX_NESTING_DEPTH} levels deep here, the most qm reads, so the file is not read`,
    'flatten the structure: a policy document needs only a few levels',
  );
}

type Located = { node: YamlNode | null; pair?: Pair };

/**
 * Line starts of a text. The yaml library's LineCounter misses line breaks inside some broken
 * flow collections, so positions are computed from the text itself (LF, CRLF and lone CR).
 */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13 && text.charCodeAt(i + 1) !== 10) this.starts.push(i + 1);
    }
  }
  /** 1-based line and column of an offset, clamped to the text. */
  linePos(offset: number): { line: number; col: number } {
    const off = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= off) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: off - this.starts[lo]! + 1 };
  }
}

function lineCol(lc: LineIndex, offset: number): { line: number; col: number } {
  return lc.linePos(offset);
}

function rangeOf(lc: LineIndex, start: number, end: number): Position {
  const a = lineCol(lc, start);
  const b = lineCol(lc, Math.max(start, end));
  return { line: a.line, column: a.col, endLine: b.line, endColumn: b.col };
}

function child(node: YamlNode | null, segment: string): Located | undefined {
  if (node && Y().isAlias(node)) return undefined;
  if (node && Y().isMap(node)) {
    for (const item of node.items) {
      const k = item.key;
      const keyValue = Y().isScalar(k) ? k.value : k;
      if (String(keyValue) === segment) return { node: (item.value as YamlNode | null) ?? null, pair: item as Pair };
    }
    return undefined;
  }
  if (node && Y().isSeq(node)) {
    const i = Number(segment);
    if (!Number.isInteger(i)) return undefined;
    const item = node.items[i];
    return item === undefined ? undefined : { node: (Y().isPair(item) ? null : (item as YamlNode)) ?? null };
  }
  return undefined;
}

function makeLocator(doc: Document, lc: LineIndex, fallbackOffset: number) {
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

/** Convert a document to JS; when an alias cannot be expanded, also say which alias it was. */
function toJsGuarded(doc: Document.Parsed): { value: unknown } | { error: Error; alias?: Alias } {
  // The yaml library expands (and counts) aliases in Alias#toJSON; wrap it for this one call to learn where it gave up.
  const proto = Y().Alias.prototype as unknown as { toJSON: (...args: unknown[]) => unknown };
  const original = proto.toJSON;
  let culprit: Alias | undefined;
  proto.toJSON = function (this: Alias, ...args: unknown[]) {
    try {
      return original.apply(this, args);
    } catch (e) {
      // eslint-disable-next-line @typescript-eslint/no-this-alias -- the innermost alias that failed
      culprit ??= this;
      throw e;
    }
  };
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (e) {
    return culprit ? { error: e as Error, alias: culprit } : { error: e as Error };
  } finally {
    proto.toJSON = original;
  }
}

/** Anything that may be an anchor or an alias: such files take the yaml library's guarded path. */
const MAY_HAVE_ALIASES = /[&*][^\s,\]}]/;

/** Parse every document of a YAML file; syntax problems come back as diagnostics, never exceptions. */
export function parseYaml(file: SourceFile): ParseResult {
  return (MAY_HAVE_ALIASES.test(file.text) ? undefined : parseFast(file)) ?? parseWithPositions(file);
}

/**
 * The fast path for the common file (valid YAML, no anchors): js-yaml builds the values, and the
 * yaml library parses the file for positions only when a diagnostic or a source reference needs one.
 * Anything js-yaml refuses (syntax errors, duplicate keys) goes through parseWithPositions, which
 * explains it. The core schema keeps YAML 1.2 semantics: yes/no and timestamps stay strings.
 */
function parseFast(file: SourceFile): ParseResult | undefined {
  let values: unknown[];
  try {
    values = jsYaml.loadAll(file.text, null, { schema: jsYaml.CORE_SCHEMA });
  } catch {
    return undefined;
  }
  // Too deep for the rules that recurse: the careful path says where.
  if (values.some((v) => valueDepth(v, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH)) return undefined;
  let positions: { docs: Document.Parsed[]; lc: LineIndex } | undefined;
  const located = () => {
    // Non-empty documents, in order: the n-th non-empty js-yaml document is the n-th here.
    positions ??= {
      docs: (Y().parseAllDocuments(file.text, { prettyErrors: false, version: '1.2' }) as Document.Parsed[]).filter((d) => !isEmptyDocument(d)),
      lc: new LineIndex(file.text),
    };
    return positions;
  };
  const documents: ParsedDocument[] = [];
  values.forEach((value, index) => {
    if (value === null || value === undefined) return;
    const ordinal = documents.length;
    let locate: ParsedDocument['locate'] | undefined;
    documents.push({
      file: file.path,
      index,
      value,
      locate(pointer, opts) {
        if (!locate) {
          const { docs, lc } = located();
          const doc = docs[ordinal];
          locate = doc ? makeLocator(doc, lc, doc.contents?.range?.[0] ?? 0) : () => rangeOf(lc, 0, 0);
        }
        return locate(pointer, opts);
      },
    });
  });
  return { documents, diagnostics: [] };
}

/** A stray `---`, a comment-only document or an explicit null: nothing to validate. */
function isEmptyDocument(doc: Document.Parsed): boolean {
  return doc.contents === null || (Y().isScalar(doc.contents) && doc.contents.value === null);
}

/** The yaml library's path: every node's position, syntax errors explained, alias expansion guarded. */
function parseWithPositions(file: SourceFile): ParseResult {
  const lc = new LineIndex(file.text);
  const diagnostics: Diagnostic[] = [];
  const documents: ParsedDocument[] = [];
  // Before composing (which recurses): a file nested thousands deep gets one sentence with a position.
  const deep = tooDeepAt(file.text, MAX_NESTING_DEPTH);
  if (deep !== undefined) return { documents, diagnostics: [tooDeepDiagnostic(file, lc, deep)] };
  let docs: Document.Parsed[];
  try {
    docs = Y().parseAllDocuments(file.text, { uniqueKeys: true, prettyErrors: false, strict: true, version: '1.2' }) as Document.Parsed[];
  } catch (e) {
    const msg = e instanceof RangeError ? `the file nests too deeply to be read (the limit is ${MAX_NESTING_DEPTH} levels)` : `the file could not be parsed as YAML: ${(e as Error).message}`;
    diagnostics.push(diag(file.path, e instanceof RangeError ? 'NestingTooDeep' : 'YamlSyntax', rangeOf(lc, 0, 0), msg));
    return { documents, diagnostics };
  }
  if (!Array.isArray(docs)) docs = [docs as unknown as Document.Parsed];
  docs.forEach((doc, index) => {
    // A tag the library cannot apply is only its warning; the value would silently stay text: an error here.
    const errors = [...doc.errors, ...doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED' || w.code === 'BAD_COLLECTION_TYPE')];
    if (errors.length) {
      for (const p of syntaxProblems(file.text, errors)) diagnostics.push(diag(file.path, p.code, rangeOf(lc, p.start, p.end), p.message, p.hint, index));
      return;
    }
    // An empty document (a stray `---` or a comment-only file) is not an error.
    if (isEmptyDocument(doc)) return;
    const start = doc.contents?.range?.[0] ?? 0;
    const js = toJsGuarded(doc);
    if ('error' in js) {
      const msg = js.error.message ?? '';
      const at = js.alias?.range?.[0] ?? start;
      const pos = rangeOf(lc, at, js.alias?.range?.[1] ?? at);
      if (/excessive alias/i.test(msg)) {
        const where = js.alias ? `the alias *${js.alias.source} here takes the document past ${MAX_ALIAS_COUNT} YAML alias expansions` : `the document expands more than ${MAX_ALIAS_COUNT} YAML aliases`;
        diagnostics.push(diag(file.path, 'AliasLimit', pos, `${where}, so the file is refused as a possible alias bomb`, 'write the values out instead of nesting aliases', index));
      } else if (js.alias && /unresolved alias/i.test(msg)) {
        diagnostics.push(diag(file.path, 'YamlSyntax', pos, `the alias *${js.alias.source} refers to no anchor &${js.alias.source} defined before it`, `define &${js.alias.source} earlier in the same document, or write the value out`, index));
      } else {
        diagnostics.push(diag(file.path, 'YamlSyntax', pos, `the document could not be read: ${msg}`, undefined, index));
      }
      return;
    }
    documents.push({ file: file.path, index, value: js.value, locate: makeLocator(doc, lc, start) });
  });
  return { documents, diagnostics };
}
