/**
 * `qm forecast` output, rendered from the ForecastResult only: the SPEC §7 JSON and a text view
 * (model, backtest table, forecast with intervals, a sparkline). Pure.
 */
import { formatDuration } from './stats.js';
import type { ForecastResult, SeriesPoint } from './types.js';

const sig = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(6)) : x);
const dec = (x: number) => (Number.isFinite(x) ? Math.round(x * 10000) / 10000 : x);

/** The SPEC §7 document: series, model, step, origin, points, backtest — plus warnings. Numbers rounded to 6 significant digits. */
export function forecastJson(r: ForecastResult): string {
  const doc = {
    ...(r.series !== undefined ? { series: r.series } : {}),
    model: r.model,
    step: r.step,
    origin: r.origin,
    points: r.points.map((p) => ({ timestamp: p.timestamp, value: sig(p.value), lower: sig(p.lower), upper: sig(p.upper) })),
    // JSON has no Infinity: a model whose backtest blew up is reported with null scores.
    backtest: r.backtest.map((b) => ({ model: b.model, mase: Number.isFinite(b.mase) ? dec(b.mase) : null, wape: Number.isFinite(b.wape) ? dec(b.wape) : null })),
    warnings: r.warnings,
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

const BARS = '▁▂▃▄▅▆▇█';

/** Unicode sparkline of the values, scaled between their min and max. */
export function sparkline(values: readonly number[], lo = Math.min(...values), hi = Math.max(...values)): string {
  return values.map((v) => (hi > lo ? BARS[Math.min(7, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * 7.999)))]! : BARS[3]!)).join('');
}

const num = (x: number) => {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a >= 1e7 || a < 1e-3) ? x.toExponential(3) : String(Number(x.toPrecision(5)));
};
const pct = (w: number) => (Number.isFinite(w) ? `${(100 * (1 - w)).toFixed(1)}%` : 'n/a');
const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - s.length));
const lpad = (s: string, n: number) => ' '.repeat(Math.max(0, n - s.length)) + s;

/** The text view; `history` (optional) draws the recent past before the forecast in the sparkline. */
export function renderForecastText(r: ForecastResult, opts: { source?: string; horizonSeconds?: number; history?: readonly SeriesPoint[] } = {}): string {
  const out: string[] = [];
  const level = Math.round((r.level ?? 0.95) * 100);
  const what = r.series !== undefined ? r.series : 'the series';
  const ahead = opts.horizonSeconds !== undefined ? `${formatDuration(opts.horizonSeconds)} ahead ` : '';
  out.push(`Forecast of ${what}${opts.source ? ` (${opts.source})` : ''}: ${ahead}from ${r.origin}, one point every ${formatDuration(r.step)}`);
  const chosenBy = r.chosenBy === 'requested' ? 'requested with --model' : r.chosenBy === 'default' ? 'default: the models could not be compared, see the warnings' : 'lowest backtest MASE';
  out.push(`Model: ${r.model} (${chosenBy})${r.seasons?.length ? `; cycles detected: ${r.seasons.join(', ')}` : '; no daily or weekly cycle detected'}`);
  if (r.backtest.length) {
    out.push('', 'Backtest (rolling origin; MASE < 1 beats the in-sample seasonal-naive error; 1 − WAPE is accuracy):');
    const w = Math.max(5, ...r.backtest.map((b) => b.model.length));
    out.push(`    ${pad('model', w)}  ${lpad('MASE', 7)}  ${lpad('1 − WAPE', 8)}`);
    for (const b of r.backtest) out.push(`  ${b.model === r.model ? '*' : ' '} ${pad(b.model, w)}  ${lpad(Number.isFinite(b.mase) ? b.mase.toFixed(3) : 'n/a', 7)}  ${lpad(pct(b.wape), 8)}`);
  }
  out.push('', `Forecast (${level}% prediction interval):`);
  const rows = r.points.map((p) => [p.timestamp, num(p.value), num(p.lower), num(p.upper)] as const);
  const widths = [20, 10, 10, 10].map((n, i) => Math.max(n, ...rows.map((row) => row[i]!.length)));
  out.push(`  ${pad('time', widths[0]!)}  ${lpad('value', widths[1]!)}  ${lpad('lower', widths[2]!)}  ${lpad('upper', widths[3]!)}`);
  for (const row of rows) out.push(`  ${pad(row[0], widths[0]!)}  ${lpad(row[1], widths[1]!)}  ${lpad(row[2], widths[2]!)}  ${lpad(row[3], widths[3]!)}`);
  if (r.points.length > 0) {
    const past = (opts.history ?? []).slice(-48).map((p) => p.v).filter(Number.isFinite);
    const future = r.points.map((p) => p.value);
    const all = [...past, ...future];
    const lo = Math.min(...all);
    const hi = Math.max(...all);
    out.push('', past.length ? `  ${sparkline(past, lo, hi)}│${sparkline(future, lo, hi)}   (history │ forecast, ${num(lo)}–${num(hi)})` : `  ${sparkline(future, lo, hi)}   (forecast, ${num(lo)}–${num(hi)})`);
  }
  if (r.warnings.length) {
    out.push('', 'Warnings:');
    for (const w of r.warnings) out.push(`  - ${w}`);
  }
  return out.join('\n') + '\n';
}
