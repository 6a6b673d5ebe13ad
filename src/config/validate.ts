/**
 * The validation pipeline: parse → envelope (apiVersion, kind) → schema → normalise → semantic rules
 * → Policy documents. Pure over the loaded files; every problem comes back as a diagnostic.
 */
import type { AnyDoc, Kind, PolicySet, SchedulingProfileDoc, SourceRef } from '../model/documents.js';
import { API_VERSION, DEFAULT_PROFILE_SPEC, KINDS } from '../model/documents.js';
import type { Diagnostic, DiagnosticCode, Severity } from '../model/diagnostic.js';
import { didYouMean, sortDiagnostics } from '../model/diagnostic.js';
import type { ParsedDocument, SourceFile } from './parse.js';
import { parseYaml } from './parse.js';
import { validateAgainstSchema } from './schema.js';
import { normalizeDocument } from './normalize.js';
import { RULES } from './rules/index.js';
import type { RuleContext } from './rules/context.js';

export interface ValidationResult {
  /** Present when there are no errors (warnings allowed). */
  policy?: PolicySet;
  diagnostics: Diagnostic[];
  /** Every document that passed schema validation, in file order. */
  documents: AnyDoc[];
  /** Documents found (with a known kind), valid or not. */
  documentCount: number;
}

/** What the rules need to point back at a document's text. */
export interface DocumentEntry {
  doc: AnyDoc;
  parsed: ParsedDocument;
  /** The document as written (after schema defaults), for Policy rules. */
  raw: unknown;
  /** Some quantity could not be parsed (and was left out): resource rules skip this document. */
  partial?: boolean;
}

export function makeDiagnostic(parsed: ParsedDocument, pointer: string, code: DiagnosticCode, message: string, opts: { hint?: string | undefined; severity?: Severity; atKey?: boolean } = {}): Diagnostic {
  const pos = parsed.locate(pointer, { key: opts.atKey ?? false });
  const d: Diagnostic = {
    severity: opts.severity ?? 'error',
    code,
    file: parsed.file,
    line: pos.line,
    column: pos.column,
    endLine: pos.endLine,
    endColumn: pos.endColumn,
    jsonPointer: pointer,
    message,
    document: parsed.index,
  };
  if (opts.hint !== undefined) d.hint = opts.hint;
  return d;
}

/** A SourceRef whose line and column are computed on first read: positions cost a second parse. */
function lazySource(parsed: ParsedDocument): SourceRef {
  let pos: { line: number; column: number } | undefined;
  const at = () => (pos ??= parsed.locate(''));
  return {
    file: parsed.file,
    index: parsed.index,
    get line() {
      return at().line;
    },
    get column() {
      return at().column;
    },
  };
}

/** The parsed document behind each validated document, for checks that run after validation (I/O). */
const parsedByDoc = new WeakMap<AnyDoc, ParsedDocument>();
export function parsedOf(doc: AnyDoc): ParsedDocument | undefined {
  return parsedByDoc.get(doc);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validate every document of the loaded files. */
export function validateFiles(files: readonly SourceFile[], extra: readonly Diagnostic[] = []): ValidationResult {
  const diagnostics: Diagnostic[] = [...extra];
  const entries: DocumentEntry[] = [];
  let documentCount = 0;
  const names = Object.fromEntries(KINDS.map((k) => [k, new Set<string>()])) as Record<Kind, Set<string>>;

  for (const file of files) {
    const { documents, diagnostics: parseDiags } = parseYaml(file);
    diagnostics.push(...parseDiags);
    for (const parsed of documents) {
      const v = parsed.value;
      const nth = `document ${parsed.index + 1}`;
      if (!isObj(v)) {
        const what = Array.isArray(v) ? 'a list' : typeof v === 'string' ? `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}` : `${typeof v} ${String(v)}`;
        diagnostics.push(makeDiagnostic(parsed, '', 'NotAMapping', `${nth} of the file is ${what}, not a mapping with apiVersion, kind, metadata and spec`, { hint: Array.isArray(v) ? 'remove the leading "- ": each document (separated by ---) is one Quartermaster object, not a list of them' : 'each document (separated by ---) must be one Quartermaster object' }));
        continue;
      }
      const mdName = isObj(v.metadata) && typeof v.metadata.name === 'string' ? v.metadata.name : undefined;
      const typeWord = typeof v.kind === 'string' && (KINDS as readonly string[]).includes(v.kind) ? v.kind : 'document';
      const subject = mdName !== undefined ? `${typeWord} '${mdName}'` : typeWord === 'document' ? nth : `${nth} (${typeWord})`;
      if (v.apiVersion !== API_VERSION) {
        const shown = v.apiVersion === undefined ? 'has no apiVersion' : `has apiVersion ${JSON.stringify(v.apiVersion)}, which is not supported`;
        diagnostics.push(makeDiagnostic(parsed, '/apiVersion', v.apiVersion === undefined ? 'MissingField' : 'UnknownApiVersion', `${subject} ${shown}`, { hint: `write apiVersion: ${API_VERSION}`, atKey: v.apiVersion === undefined }));
        continue;
      }
      if (typeof v.kind !== 'string' || !(KINDS as readonly string[]).includes(v.kind)) {
        const guess = typeof v.kind === 'string' ? didYouMean(v.kind, KINDS) : undefined;
        diagnostics.push(makeDiagnostic(parsed, '/kind', v.kind === undefined ? 'MissingField' : 'UnknownKind', v.kind === undefined ? `${subject} has no kind` : `${subject} has kind ${JSON.stringify(v.kind)}, which is not a Quartermaster kind`, { hint: guess ? `did you mean '${guess}'?` : `use one of ${KINDS.join(', ')}`, atKey: v.kind === undefined }));
        continue;
      }
      const kind = v.kind as Kind;
      const md = isObj(v.metadata) ? v.metadata : {};
      if (typeof md.name === 'string') names[kind].add(md.name);
      documentCount++;
      const who = typeof md.name === 'string' && md.name !== '' ? `${kind} '${md.name}'` : kind;
      const problems = validateAgainstSchema(kind, v);
      for (const p of problems) diagnostics.push(makeDiagnostic(parsed, p.pointer, p.code, `${who}: ${p.message}`, { hint: p.hint, atKey: p.atKey }));
      // Keep going past schema errors so one run reports everything: quantities are parsed defensively,
      // and a document whose only problems are unknown fields still takes part in the semantic rules.
      const { doc, problems: np } = normalizeDocument(kind, v, lazySource(parsed));
      // A value the schema already refused (or a field it does not know) is not parsed a second time;
      // a missing field points at its parent, which may still hold other values worth checking.
      const schemaAt = problems.filter((p) => p.code !== 'MissingField').map((p) => p.pointer);
      const fresh = np.filter((p) => !schemaAt.some((s) => p.pointer === s || p.pointer.startsWith(s + '/')));
      for (const p of fresh) diagnostics.push(makeDiagnostic(parsed, p.pointer, p.code, `${who}: ${p.message}`, { hint: p.hint }));
      if (problems.some((p) => p.code !== 'UnknownField')) continue;
      // A document with a bad quantity still takes part in reference checks; rules about resources skip it.
      entries.push({ doc, parsed, raw: v, partial: np.length > 0 });
      parsedByDoc.set(doc, parsed);
    }
  }

  const ctx: RuleContext = {
    entries,
    names,
    report(entry, pointer, code, message, opts) {
      diagnostics.push(makeDiagnostic(entry.parsed, pointer, code, message, opts));
    },
  };
  for (const rule of RULES) rule.check(ctx);

  const sorted = sortDiagnostics(diagnostics);
  const documents = entries.map((e) => e.doc);
  const result: ValidationResult = { diagnostics: sorted, documents, documentCount };
  if (!sorted.some((d) => d.severity === 'error')) result.policy = toPolicySet(documents);
  return result;
}

const byName = <T extends AnyDoc>(a: T, b: T) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);

/** Group valid documents by kind, each list sorted by name. */
export function toPolicySet(docs: readonly AnyDoc[]): PolicySet {
  const of = <K extends Kind>(k: K) => docs.filter((d): d is Extract<AnyDoc, { kind: K }> => d.kind === k).sort(byName);
  const profiles = of('SchedulingProfile');
  const profile: SchedulingProfileDoc = profiles[0] ?? {
    apiVersion: API_VERSION,
    kind: 'SchedulingProfile',
    metadata: { name: 'default', labels: {}, annotations: {} },
    spec: structuredClone(DEFAULT_PROFILE_SPEC),
    source: { file: '(built-in)', index: 0, line: 1, column: 1 },
  };
  return {
    pools: of('Pool'),
    agents: of('Agent'),
    quotas: of('Quota'),
    affinityRules: of('AffinityRule'),
    scalingPolicies: of('ScalingPolicy'),
    profile,
    policies: of('Policy'),
    metricSources: of('MetricSource'),
    drivers: of('Driver'),
  };
}
