/** Diagnostics: what validation found, collected as values and never thrown (STYLE.md rule 4). */

export type Severity = 'error' | 'warning';

/** Every diagnostic code, stable and documented in docs/diagnostics.md. */
export const DIAGNOSTIC_CODES = {
  // loading
  YamlSyntax: 'the file is not valid YAML',
  DuplicateKey: 'a mapping has the same key twice',
  AliasLimit: 'the file expands too many YAML aliases (an alias bomb)',
  NestingTooDeep: 'lists and mappings nested deeper than the parser accepts',
  FileTooLarge: 'the file is larger than the loader accepts',
  InvalidEncoding: 'the file is not UTF-8',
  SymlinkOutsideRepository: 'a symbolic link points outside the policy repository',
  PathOutsideRepository: 'a file a policy names (a MetricSource spec.file.path) lies outside the repository',
  UnreadableFile: 'the file could not be read',
  NotAMapping: 'a document is not a mapping',
  UnknownApiVersion: 'apiVersion is not quartermaster.dev/v1alpha1',
  UnknownKind: 'kind is not one of the known kinds',
  // schema
  UnknownField: 'a field that the schema does not define',
  MissingField: 'a required field is absent',
  InvalidType: 'a value has the wrong type',
  InvalidValue: 'a value is outside what the field accepts',
  InvalidName: 'a name is not a DNS-1123 label',
  InvalidQuantity: 'a resource quantity, bandwidth or duration cannot be parsed',
  GpuShareTooLarge: 'a fractional GPU request above one device',
  // semantic
  DuplicateName: 'two documents of one kind share a name',
  UnknownReference: 'a reference names a document that does not exist',
  DependencyCycle: 'dependsOn forms a cycle',
  UnsatisfiableRequest: 'no node of any allowed pool can ever hold the request',
  GuaranteedLimitsMismatch: 'a guaranteed agent whose limits differ from its requests',
  LimitBelowRequest: 'a limit below its request',
  LimitAboveCapacity: 'a limit above the capacity of every node the agent may use',
  MinGreaterThanMax: 'a lower bound above its upper bound',
  StaticNodesOutOfBounds: 'a static pool whose node count is outside size bounds',
  InvalidCron: 'a cron expression that does not parse or never fires',
  InvalidTimeZone: 'a time zone that is not an IANA zone',
  InvalidJsonLogic: 'a JSON Logic rule with an unknown operator or malformed arguments',
  JsonLogicBudget: 'a JSON Logic rule exceeds the evaluation budget (operations, list or string size)',
  MultipleSchedulingProfiles: 'more than one SchedulingProfile, or one not named default',
  InconsistentCohort: 'quota cohort settings that contradict each other',
  InvalidSelector: 'a selector or toleration that can never match as written',
  SelectsNothing: 'a selector that matches no document',
  InvalidTarget: 'a field that does not apply to the target kind',
  PolicyViolation: 'a Policy document denied this document',
  PolicyError: 'a Policy rule failed to evaluate',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

export interface Diagnostic {
  severity: Severity;
  code: DiagnosticCode;
  /** Path relative to the policy directory, with forward slashes. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** RFC 6901 pointer into the document; '' for the document itself. */
  jsonPointer: string;
  message: string;
  hint?: string;
  /** 0-based index of the document inside a multi-document file. */
  document?: number;
  /** 1-based end of the offending span, for code frames and SARIF regions. */
  endLine?: number;
  endColumn?: number;
}

/** Sort by file, line, column, then code and message: the order every output uses. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
    a.line - b.line ||
    a.column - b.column ||
    (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) ||
    (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)
  );
}

/** Sorted and without exact duplicates. */
export function sortDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const d of [...diags].sort(compareDiagnostics)) {
    const key = `${d.file}\0${d.line}\0${d.column}\0${d.code}\0${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/** Escape one segment of an RFC 6901 JSON pointer. */
export function pointerSegment(s: string | number): string {
  return String(s).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Join segments into an RFC 6901 pointer. */
export function toPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => '/' + pointerSegment(s)).join('');
}

/** Split an RFC 6901 pointer into segments. */
export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Edit distance counting insertions, deletions, substitutions and swaps of adjacent letters (optimal string alignment), for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1);
    row[0] = i;
    rows.push(row);
  }
  for (let j = 0; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i]!;
    const prev = rows[i - 1]!;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row[j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/** The closest candidate within a distance that scales with the word, or undefined. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  let bestPrefix = 0;
  const lower = word.toLowerCase();
  const prefix = (c: string) => {
    let n = 0;
    while (n < lower.length && n < c.length && lower[n] === c[n]) n++;
    return n;
  };
  for (const c of candidates) {
    const cl = c.toLowerCase();
    const d = cl === lower ? 0.5 : editDistance(lower, cl);
    // Ties go to the candidate sharing the longest prefix ('=' → '==', not '!'), then to the first in order.
    const p = prefix(cl);
    if (d < bestD || (d === bestD && best !== undefined && (p > bestPrefix || (p === bestPrefix && c < best)))) {
      best = c;
      bestD = d;
      bestPrefix = p;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  return bestD <= limit ? best : undefined;
}
