/**
 * The `file` metric source format: CSV with a header `timestamp,value` or `timestamp,series,value`,
 * timestamps in ISO 8601 (UTC unless an offset is given) or unix seconds. Text in, series out;
 * every problem names its line and column and what was expected, never the text found there: the
 * file may not be a CSV at all (a path typed by mistake, a secret), and messages end up in plan
 * output and CI logs.
 */
import type { SeriesPoint } from './types.js';

export interface CsvProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface CsvParse {
  /** Points per series name in file order ("" for a two-column file). */
  series: Map<string, SeriesPoint[]>;
  problems: CsvProblem[];
}

const MAX_PROBLEMS = 20;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/** `file:line:column: message`, the way every qm message says where. */
export function formatProblem(p: CsvProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.message}`;
}

/** Unix seconds from ISO 8601 (no offset means UTC) or a number of seconds; a string explaining why not otherwise. */
export function parseTimestamp(s: string): number | string {
  if (NUMBER.test(s)) {
    const t = Number(s);
    if (Math.abs(t) > 1e11) return 'the timestamp looks like milliseconds: write unix seconds or ISO 8601';
    return t;
  }
  const m = ISO.exec(s);
  if (!m) return 'expected a timestamp: ISO 8601 (2026-11-28T10:00:00Z) or unix seconds';
  const [, y, mo, d, hh = '00', mi = '00', ss = '00', frac = '', tz = 'Z'] = m;
  const zone = tz.toUpperCase() === 'Z' ? 'Z' : tz.includes(':') ? tz : `${tz.slice(0, 3)}:${tz.slice(3)}`;
  const t = Date.parse(`${y}-${mo}-${d}T${hh}:${mi}:${ss}${frac}${zone}`);
  if (Number.isNaN(t) || Number(mo) > 12 || Number(d) > 31 || Number(hh) > 23 || Number(mi) > 59 || Number(ss) > 60) return 'the timestamp is not a valid date and time';
  return t / 1000;
}

/** A value: a number, or NaN/Inf (kept, and dropped later with a warning), or empty (NaN). */
function parseValue(s: string): number | string {
  if (NUMBER.test(s)) return Number(s);
  const l = s.toLowerCase();
  if (l === '' || l === 'nan' || l === 'null') return NaN;
  if (['inf', '+inf', 'infinity', '+infinity'].includes(l)) return Infinity;
  if (['-inf', '-infinity'].includes(l)) return -Infinity;
  return 'expected a number as the value (or NaN, Inf, or nothing)';
}

/** Split one CSV line into fields with their 1-based columns; double quotes may enclose a field. */
function splitLine(line: string): { text: string; column: number }[] {
  const out: { text: string; column: number }[] = [];
  let i = 0;
  for (;;) {
    const column = i + 1;
    let text = '';
    if (line[i] === '"') {
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          text += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else text += line[i++];
      }
      while (i < line.length && line[i] !== ',') i++;
    } else {
      const j = line.indexOf(',', i);
      text = line.slice(i, j < 0 ? line.length : j);
      i = j < 0 ? line.length : j;
    }
    out.push({ text: text.trim(), column: column + (text.length - text.trimStart().length) });
    if (i >= line.length) return out;
    i++;
  }
}

/** Parse the CSV text of `file` (the name is only used in messages). */
export function parseMetricsCsv(text: string, file: string): CsvParse {
  const series = new Map<string, SeriesPoint[]>();
  const problems: CsvProblem[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerAt = lines.findIndex((l) => l.trim() !== '');
  if (headerAt < 0) {
    problems.push({ file, line: 1, column: 1, message: 'the file is empty: expected a header timestamp,value or timestamp,series,value' });
    return { series, problems };
  }
  const header = splitLine(lines[headerAt]!).map((f) => f.text.toLowerCase());
  const ti = header.indexOf('timestamp');
  const vi = header.indexOf('value');
  const si = header.indexOf('series');
  const known = header.every((h) => h === 'timestamp' || h === 'value' || h === 'series') && new Set(header).size === header.length;
  if (ti < 0 || vi < 0 || !known) {
    // Point at the first field that is not a known column name (or at the line), without quoting it.
    const fields = splitLine(lines[headerAt]!);
    const bad = header.findIndex((h, i) => !['timestamp', 'value', 'series'].includes(h) || header.indexOf(h) !== i);
    const where = bad >= 0 ? `field ${bad + 1} is not one of timestamp, series, value (or repeats one)` : `it lacks the ${ti < 0 ? 'timestamp' : 'value'} column`;
    problems.push({ file, line: headerAt + 1, column: bad >= 0 ? fields[bad]!.column : 1, message: `expected the header timestamp,value or timestamp,series,value, and ${where}` });
    return { series, problems };
  }
  for (let li = headerAt + 1; li < lines.length && problems.length < MAX_PROBLEMS; li++) {
    const raw = lines[li]!;
    if (raw.trim() === '') continue;
    const line = li + 1;
    const fields = splitLine(raw);
    if (fields.length !== header.length) {
      problems.push({ file, line, column: 1, message: `expected ${header.length} fields (${header.join(',')}), found ${fields.length}` });
      continue;
    }
    const t = parseTimestamp(fields[ti]!.text);
    if (typeof t === 'string') {
      problems.push({ file, line, column: fields[ti]!.column, message: t });
      continue;
    }
    const v = parseValue(fields[vi]!.text);
    if (typeof v === 'string') {
      problems.push({ file, line, column: fields[vi]!.column, message: v });
      continue;
    }
    const name = si >= 0 ? fields[si]!.text : '';
    if (si >= 0 && name === '') {
      problems.push({ file, line, column: fields[si]!.column, message: 'the series name is empty' });
      continue;
    }
    let list = series.get(name);
    if (!list) series.set(name, (list = []));
    list.push({ t, v });
  }
  return { series, problems };
}

/** Series names fit for a message: identifier-like only (a name is data the file supplied). */
const SHOWN_NAME = /^[A-Za-z0-9_.:/-]{1,64}$/;
function listNames(names: string[]): string {
  if (names.length === 0) return 'none';
  if (names.length > 20 || !names.every((n) => SHOWN_NAME.test(n))) return `${names.length} series`;
  return names.join(', ');
}

/** Pick one series of a parsed file: by name, or the only one. A string says why not. */
export function selectSeries(parsed: CsvParse, file: string, name?: string): { name: string | undefined; points: SeriesPoint[] } | string {
  const names = [...parsed.series.keys()].filter((k) => k !== '').sort();
  const plain = parsed.series.get('');
  if (plain) return { name, points: plain };
  if (name !== undefined) {
    const pts = parsed.series.get(name);
    if (pts) return { name, points: pts };
    return `${file} has no series '${name}'; it has: ${listNames(names)}`;
  }
  if (names.length === 1) return { name: names[0], points: parsed.series.get(names[0]!)! };
  if (names.length === 0) return `${file} has no data rows`;
  const listed = listNames(names);
  return `${file} has ${names.length} series${listed === `${names.length} series` ? '' : ` (${listed})`}: choose one with --series`;
}
