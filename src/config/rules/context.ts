/** The contract every semantic rule implements (STYLE.md rule 3: one map, explicit registration). */
import type { AnyDoc, Kind } from '../../model/documents.js';
import type { DiagnosticCode, Severity } from '../../model/diagnostic.js';
import type { DocumentEntry } from '../validate.js';

export interface ReportOptions {
  hint?: string | undefined;
  severity?: Severity;
  /** Point at the key instead of the value. */
  atKey?: boolean;
}

export interface RuleContext {
  /** Every document that passed the schema and normalisation, in file order. */
  entries: readonly DocumentEntry[];
  /** Names of every document per kind, including those with schema errors (so a broken Pool is not also "missing"). */
  names: Record<Kind, Set<string>>;
  report(entry: DocumentEntry, pointer: string, code: DiagnosticCode, message: string, opts?: ReportOptions): void;
}

export interface Rule {
  name: string;
  /** One line: what the rule checks. */
  description: string;
  check(ctx: RuleContext): void;
}

const byKindCache = new WeakMap<RuleContext, Map<Kind, DocumentEntry[]>>();

/** The entries of one kind, typed (grouped once per validation run). */
export function entriesOf<K extends Kind>(ctx: RuleContext, kind: K): (DocumentEntry & { doc: Extract<AnyDoc, { kind: K }> })[] {
  let groups = byKindCache.get(ctx);
  if (!groups) {
    groups = new Map();
    for (const e of ctx.entries) {
      const list = groups.get(e.doc.kind);
      if (list) list.push(e);
      else groups.set(e.doc.kind, [e]);
    }
    byKindCache.set(ctx, groups);
  }
  return (groups.get(kind) ?? []) as (DocumentEntry & { doc: Extract<AnyDoc, { kind: K }> })[];
}

/** "Pool 'gpu'" — how messages name a document. */
export function docName(doc: AnyDoc): string {
  return `${doc.kind} '${doc.metadata.name}'`;
}
