/** fetchSeries: one metric of one MetricSource over a time range — a CSV file or Prometheus. I/O. */
import path from 'node:path';
import { readRepoFile, RepoPathError } from '../config/repo-files.js';
import { parseMetricsCsv, selectSeries } from '../forecast/csv.js';
import type { CsvParse } from '../forecast/csv.js';
import { formatProblem } from '../forecast/csv.js';
import type { SeriesPoint } from '../forecast/types.js';
import type { MetricSourceDoc } from '../model/documents.js';
import { MetricFetchError, resolveEnv } from './errors.js';
import type { FetchOptions } from './prometheus.js';
import { instantQuery, rangeQuery } from './prometheus.js';

export interface SeriesRange {
  /** Unix seconds. start = end asks Prometheus for an instant query. */
  start: number;
  end: number;
  /** Seconds between points of a Prometheus range query (file sources return their own samples). */
  step: number;
}

export interface FetchSeriesOptions extends FetchOptions {
  /** The policy directory that file paths are relative to (default: the working directory). */
  dir?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Parsed CSV files by absolute path, shared by the calls of one run. */
  files?: Map<string, Promise<CsvParse>>;
  /** `qm plan --ref`: read file sources as committed there (untracked ones from the work tree). Always confined to the repository. */
  commit?: string | null;
}

/**
 * A recording replayed as if it had just been made: moved forward by whole sampling steps so its
 * last sample falls within one step before `end` (spec.file.replay). Nothing moves when the
 * recording reaches `end` already.
 */
export function replayed(points: readonly SeriesPoint[], end: number): readonly SeriesPoint[] {
  if (points.length < 2) return points;
  const last = points[points.length - 1]!.t;
  const gaps = points.slice(1).map((p, i) => p.t - points[i]!.t).sort((a, b) => a - b);
  const step = gaps[Math.floor(gaps.length / 2)]!;
  if (!(step > 0) || last >= end) return points;
  const shift = Math.floor((end - last) / step) * step;
  return shift === 0 ? points : points.map((p) => ({ ...p, t: p.t + shift }));
}

/** The points of `ref` (a file series or a PromQL query) from `source` within the range, oldest first. */
export async function fetchSeries(source: MetricSourceDoc, ref: { series?: string; query?: string }, range: SeriesRange, opts: FetchSeriesOptions = {}): Promise<SeriesPoint[]> {
  const name = `MetricSource ${source.metadata.name}`;
  if (source.spec.file) {
    const rel = source.spec.file.path;
    const file = path.resolve(opts.dir ?? '.', rel);
    const files = opts.files ?? new Map<string, Promise<CsvParse>>();
    let parsed = files.get(file);
    if (!parsed) {
      // Confined to the repository at read time too (qm validate refuses such paths first): a
      // policy must not read the runner's files, and nothing of the file is ever quoted in errors.
      parsed = readRepoFile(opts.dir ?? '.', rel, { commit: opts.commit ?? null }).then(
        (buf) => parseMetricsCsv(buf.toString('utf8'), rel),
        (e: unknown) => {
          if (e instanceof RepoPathError && e.reason !== 'unreadable') throw new MetricFetchError(`${name}: spec.file.path ${e.message}`, e.hint, 'config');
          const code = e instanceof RepoPathError ? e.errno : (e as NodeJS.ErrnoException).code;
          throw new MetricFetchError(`${name}: cannot read ${rel}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'read error')}`, 'spec.file.path is relative to the policy directory', 'unreachable');
        },
      );
      files.set(file, parsed);
    }
    const csv = await parsed;
    if (csv.problems.length) throw new MetricFetchError(`${name}: ${formatProblem(csv.problems[0]!)}${csv.problems.length > 1 ? ` (and ${csv.problems.length - 1} more problem${csv.problems.length === 2 ? '' : 's'})` : ''}`, 'fix the CSV: header timestamp,series,value, ISO 8601 or unix-second timestamps');
    if (ref.series === undefined) throw new MetricFetchError(`${name} is a file source; the metric needs a series, not a query`, 'write metric: {source: …, series: NAME}');
    const picked = selectSeries(csv, rel, ref.series);
    if (typeof picked === 'string') throw new MetricFetchError(`${name}: ${picked}`);
    const points = source.spec.file.replay ? replayed(picked.points, range.end) : picked.points;
    return points.filter((p) => !(p.t < range.start) && !(p.t > range.end));
  }
  if (source.spec.prometheus) {
    if (ref.query === undefined) throw new MetricFetchError(`${name} is a Prometheus source; the metric needs a query, not a series`, 'write metric: {source: …, query: PROMQL}');
    const p = source.spec.prometheus;
    const url = resolveEnv(p.url, opts.env ?? process.env, `${name} spec.prometheus.url`);
    const cfg = { url, timeout: p.timeout, retries: p.retries };
    if (range.start >= range.end) return instantQuery(cfg, ref.query, range.end, opts);
    return rangeQuery(cfg, ref.query, range, opts);
  }
  throw new MetricFetchError(`${name} has neither spec.file nor spec.prometheus`);
}
