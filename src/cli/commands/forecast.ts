/** `qm forecast (--file CSV [--series S] | [DIR] --source NAME --series S|--query Q) --horizon 1h [--at TIME] [--format text|json]` */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadValidPolicy } from '../../engine/plan.js';
import { forecast, forecastJson, formatProblem, parseMetricsCsv, parseTimestamp, renderForecastText, selectSeries } from '../../forecast/index.js';
import type { SeriesPoint } from '../../forecast/index.js';
import { fetchSeries, stepFor } from '../../metrics/index.js';
import { QmError } from '../../model/errors.js';
import { parseDuration } from '../../model/quantity.js';
import type { CliIo } from '../io.js';
import { policyDir, withPolicyErrors } from './common.js';

export interface ForecastArgs {
  file?: string | undefined;
  dir?: string | undefined;
  source?: string | undefined;
  series?: string | undefined;
  query?: string | undefined;
  horizon?: string | undefined;
  at?: string | undefined;
  format?: string | undefined;
  /** Force a model (name or family, e.g. holt-winters) instead of choosing by backtest. */
  model?: string | undefined;
  /** Interval level, 0–1 (default 0.95). */
  level?: string | undefined;
}

export const FORECAST_FORMATS = ['text', 'json'] as const;
/** How much history a Prometheus source is asked for (the predictive policies' default lookback). */
const PROMETHEUS_LOOKBACK = 14 * 86400;

interface Loaded {
  points: SeriesPoint[];
  series: string | undefined;
  where: string;
}

async function fromFile(file: string, series: string | undefined, io: CliIo): Promise<Loaded> {
  let text: string;
  try {
    text = await readFile(path.resolve(io.cwd, file), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new QmError('usage', `${file} cannot be read: ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}`, 'give the path of a CSV with a header timestamp,value or timestamp,series,value');
  }
  const parsed = parseMetricsCsv(text, file);
  if (parsed.problems.length) {
    const more = parsed.problems.length > 1 ? ` (and ${parsed.problems.length - 1} more problem${parsed.problems.length === 2 ? '' : 's'})` : '';
    throw new QmError('invalid', `${formatProblem(parsed.problems[0]!)}${more}`, 'the CSV needs a header timestamp,value or timestamp,series,value; timestamps in ISO 8601 or unix seconds');
  }
  const picked = selectSeries(parsed, file, series);
  if (typeof picked === 'string') throw new QmError('invalid', picked, 'pick a series with --series NAME');
  return { points: picked.points, series: picked.name, where: file };
}

async function fromSource(args: ForecastArgs, dir: string, at: number | undefined, io: CliIo): Promise<Loaded> {
  const loaded = await loadValidPolicy(dir, undefined, { command: 'forecast' });
  const source = loaded.policy.metricSources.find((s) => s.metadata.name === args.source);
  if (!source) {
    const names = loaded.policy.metricSources.map((s) => s.metadata.name);
    throw new QmError('usage', `there is no MetricSource '${args.source}' in ${dir}`, names.length ? `MetricSources: ${names.join(', ')}` : 'declare one: kind: MetricSource with spec.file or spec.prometheus');
  }
  if (args.series === undefined && args.query === undefined) throw new QmError('usage', `qm forecast --source ${args.source} needs --series NAME (a file source) or --query PROMQL (a Prometheus source)`);
  if (args.series !== undefined && args.query !== undefined) throw new QmError('usage', 'give --series or --query, not both');
  const end = at ?? Math.floor(Date.now() / 1000);
  const range = source.spec.file ? { start: -Infinity, end: Infinity, step: 0 } : { start: end - PROMETHEUS_LOOKBACK, end, step: stepFor(PROMETHEUS_LOOKBACK) };
  const ref = args.series !== undefined ? { series: args.series } : { query: args.query! };
  const points = await fetchSeries(source, ref, range, { dir, env: io.env });
  const where = source.spec.file ? `MetricSource ${args.source}, ${source.spec.file.path}` : `MetricSource ${args.source}`;
  return { points, series: args.series ?? args.query, where };
}

/** Exit 0 with the forecast printed; errors are thrown as QmError (exit 1 in main). */
export async function forecastCommand(args: ForecastArgs, io: CliIo): Promise<number> {
  const format = args.format ?? 'text';
  if (!(FORECAST_FORMATS as readonly string[]).includes(format)) throw new QmError('usage', `--format ${format} is not supported by qm forecast`, `use one of ${FORECAST_FORMATS.join(', ')}`);
  if (args.horizon === undefined) throw new QmError('usage', 'qm forecast needs --horizon', 'e.g. --horizon 30m or --horizon 1h');
  const horizon = parseDuration(args.horizon, '--horizon');
  if (!horizon.ok) throw new QmError('usage', horizon.message, horizon.hint);
  if (!(horizon.value > 0)) throw new QmError('usage', `--horizon ${args.horizon} must be longer than 0`, 'e.g. --horizon 1h');
  let at: number | undefined;
  if (args.at !== undefined) {
    const t = parseTimestamp(args.at);
    if (typeof t === 'string') throw new QmError('usage', `--at ${args.at}: ${t}`);
    at = t;
  }
  let level: number | undefined;
  if (args.level !== undefined) {
    level = Number(args.level);
    if (!(level > 0 && level < 1)) throw new QmError('usage', `--level ${args.level} must be between 0 and 1`, 'e.g. --level 0.9');
  }
  if (args.file !== undefined && args.source !== undefined) throw new QmError('usage', 'give --file or --source, not both');
  if (args.file === undefined && args.source === undefined) throw new QmError('usage', 'qm forecast needs --file CSV or --source NAME', 'qm forecast --file metrics.csv --horizon 1h, or qm forecast --source history --series requests --horizon 1h');
  if (args.file !== undefined && args.query !== undefined) throw new QmError('usage', '--query needs a Prometheus --source; a --file is read by --series');

  const run = async (): Promise<number> => {
    const data = args.file !== undefined ? await fromFile(args.file, args.series, io) : await fromSource(args, policyDir(io, args.dir), at, io);
    const result = forecast(data.points, {
      horizonSeconds: horizon.value,
      ...(at !== undefined ? { at } : {}),
      ...(level !== undefined ? { level } : {}),
      ...(args.model !== undefined ? { model: args.model } : {}),
      ...(data.series !== undefined ? { series: data.series } : {}),
    });
    if (format === 'json') io.stdout.write(forecastJson(result));
    else {
      const history = at === undefined ? data.points : data.points.filter((p) => p.t < at);
      io.stdout.write(renderForecastText(result, { source: data.where, horizonSeconds: horizon.value, history: [...history].sort((a, b) => a.t - b.t) }));
    }
    return 0;
  };
  return args.file !== undefined ? run() : withPolicyErrors(io, run);
}
