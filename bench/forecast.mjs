// Forecast accuracy and latency on real series (`npm run build` first; reads dist/ and bench/data/metrics/ only).
//
//   node bench/forecast.mjs [--origins N] [--no-external] [--only NAME]
//
// For each series and each horizon (30 min, 1 h): a rolling-origin backtest over the last quarter of
// the series. At each origin every model sees only the history before it (the same cleaned series),
// forecasts the horizon, and is scored against what happened: MASE (scaled by the in-sample
// seasonal-naive MAE of that history, the season being the one detected there, else 1 step) and
// 1 − WAPE. "auto" is `forecast()` itself: model choice by its own inner backtest on that history.
// @bsull/augurs (MSTL + AutoETS, WebAssembly) and `arima` (AutoARIMA) run in the same loop when
// they load. Prints markdown tables.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { candidateModels, forecast, maseScale, naiveErrorSums, prepare, scaledError, tentativeSeasons } from '../dist/forecast/index.js';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const ORIGINS = Number(opt('--origins', 8));
const ONLY = opt('--only', undefined);
const HORIZONS = [1800, 3600];
const DATA = new URL('./data/metrics/', import.meta.url);

// ---------------------------------------------------------------------------------------------
// The series

function readCsv(rel) {
  return readFileSync(new URL(rel, DATA), 'utf8').trim().split(/\r?\n/).slice(1).map((l) => l.split(','));
}

/** NAB files: `timestamp,value` with UTC timestamps without a zone. */
function nab(file) {
  return readCsv(`nab/${file}`).map(([ts, v]) => ({ t: Date.parse(ts.replace(' ', 'T') + 'Z') / 1000, v: Number(v) }));
}

/** Azure LLM trace: one row per request; binned into requests per minute. */
function azure(file, bin = 60) {
  const counts = new Map();
  for (const [ts] of readCsv(`azure-llm-inference-2023/${file}`)) {
    // "2023-11-16 18:17:03.9799600": more fractional digits than Date.parse takes.
    const [date, time] = ts.split(' ');
    const t = Date.parse(`${date}T${time.slice(0, 12)}Z`) / 1000;
    const k = Math.floor(t / bin) * bin;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const keys = [...counts.keys()].sort((a, b) => a - b);
  const out = [];
  for (let k = keys[0]; k <= keys[keys.length - 1]; k += bin) out.push({ t: k, v: counts.get(k) ?? 0 });
  return out;
}

/** The same request rate averaged over 5-minute windows: how forecastable it is at a coarser grain. */
function mean5(points) {
  const bins = new Map();
  for (const p of points) {
    const k = Math.floor(p.t / 300) * 300;
    const b = bins.get(k) ?? [0, 0];
    bins.set(k, [b[0] + p.v, b[1] + 1]);
  }
  return [...bins.entries()].sort((a, b) => a[0] - b[0]).map(([t, [s, c]]) => ({ t, v: s / c }));
}

function loadSeries() {
  const list = [];
  for (const f of readdirSync(new URL('nab/', DATA)).filter((f) => f.endsWith('.csv')).sort()) list.push({ name: `nab/${f.replace('.csv', '')}`, points: nab(f) });
  const qps = readCsv('alibaba-genai-v2026/qps-total.csv').map(([t, v]) => ({ t: Number(t), v: Number(v) }));
  list.push({ name: 'alibaba-genai/qps-total', points: qps });
  list.push({ name: 'alibaba-genai/qps-total 5-min mean', points: mean5(qps) });
  list.push({ name: 'azure-llm/code req/min', points: azure('AzureLLMInferenceTrace_code.csv') });
  list.push({ name: 'azure-llm/conv req/min', points: azure('AzureLLMInferenceTrace_conv.csv') });
  return ONLY ? list.filter((s) => s.name.includes(ONLY)) : list;
}

// ---------------------------------------------------------------------------------------------
// External libraries, when they load

const require = createRequire(import.meta.url);

/** Run fn with stdout silenced: the arima WebAssembly prints optimiser chatter ("non-stationary AR part") even with verbose off. */
function quietly(fn) {
  const write = process.stdout.write;
  const log = console.log;
  process.stdout.write = () => true;
  console.log = () => undefined;
  try {
    return fn();
  } finally {
    process.stdout.write = write;
    console.log = log;
  }
}
async function loadExternal() {
  const ext = {};
  if (flag('--no-external')) return ext;
  try {
    const mstl = await import('@bsull/augurs/mstl');
    const ets = await import('@bsull/augurs/ets');
    mstl.initSync({ module: readFileSync(require.resolve('@bsull/augurs/mstl').replace(/mstl\.js$/, 'mstl_bg.wasm')) });
    ets.initSync({ module: readFileSync(require.resolve('@bsull/augurs/ets').replace(/ets\.js$/, 'ets_bg.wasm')) });
    // MSTL with the detected cycles and an AutoETS trend; plain AutoETS when there is no cycle.
    ext['augurs'] = (y, periods, h) => {
      const m = periods.length ? mstl.MSTL.ets(periods) : new ets.AutoETS(1, 'ZZN');
      try {
        m.fit(y);
        return m.predict(h, null).point;
      } finally {
        m.free();
      }
    };
    // MSTL with a daily period whether or not one was detected: augurs' best shot at the NAB series.
    ext['augurs mstl(1d)'] = (y, _periods, h, step) => {
      const day = Math.round(86400 / step);
      if (y.length < 2 * day) return undefined;
      const m = mstl.MSTL.ets([day]);
      try {
        m.fit(y);
        return m.predict(h, null).point;
      } finally {
        m.free();
      }
    };
  } catch (e) {
    console.error(`@bsull/augurs not available: ${e.message}`);
  }
  try {
    const ARIMA = require('arima');
    // AutoARIMA on the last 500 points: on the full 4,032 one fit takes seconds.
    ext['arima'] = (y, _periods, h) => quietly(() => {
      const a = new ARIMA({ auto: true, verbose: false }).train(Array.from(y.slice(-500)));
      try {
        return a.predict(h)[0];
      } finally {
        a.destroy?.();
      }
    });
  } catch (e) {
    console.error(`arima not available: ${e.message}`);
  }
  return ext;
}

// ---------------------------------------------------------------------------------------------
// Rolling-origin evaluation

/** Origins (indexes into the regular series) over the last quarter, leaving `hMax` steps after the last. */
function outerOrigins(n, hMax, minTrain) {
  const last = n - hMax;
  const first = Math.max(minTrain, Math.floor(n * 0.75) - hMax);
  if (last < first) return last >= minTrain ? [last] : [];
  const out = [];
  for (let i = 0; i < ORIGINS; i++) {
    const o = ORIGINS === 1 ? last : Math.round(first + ((last - first) * i) / (ORIGINS - 1));
    if (out[out.length - 1] !== o) out.push(o);
  }
  return out;
}

const warned = new Set();

function evaluate(series, ext) {
  // The whole series, regularised once: its grid defines the origins and the actual values.
  const full = prepare(series.points).series;
  const step = full.step;
  const hs = HORIZONS.map((H) => Math.max(1, Math.floor(H / step)));
  const hMax = Math.max(...hs);
  // Short series (the Azure hour) cannot fit the longest horizon after enough history: score what fits.
  let origins = outerOrigins(full.values.length, hMax, 16);
  if (origins.length === 0) origins = outerOrigins(full.values.length, Math.min(...hs), 16);
  // acc[horizon][model] = {maseSum, count, absErr, absActual, chosen}
  const acc = HORIZONS.map(() => new Map());
  const add = (hi, model, mase, absErr, absActual) => {
    const a = acc[hi].get(model) ?? { mase: 0, count: 0, absErr: 0, absActual: 0 };
    a.mase += mase;
    a.count++;
    a.absErr += absErr;
    a.absActual += absActual;
    acc[hi].set(model, a);
  };
  const chosen = HORIZONS.map(() => new Map());
  const timing = { ours: 0, oursCalls: 0 };
  for (const o of origins) {
    const at = full.t0 + (o - 1) * step + 1; // the history is the grid up to o − 1
    const history = series.points.filter((p) => p.t < at);
    const prep = prepare(history);
    const y = prep.series.clean;
    const n = y.length;
    const periods = prep.seasons.map((s) => s.period);
    const m = periods[0] ?? 1;
    const scale = maseScale(naiveErrorSums(prep.series.values, m), n, m);
    const actual = full.values.subarray(o, o + hMax);
    const observed = (j) => full.filled[o + j] === 0;
    const score = (hi, name, f) => {
      const h = hs[hi];
      if (o + h > full.values.length) return;
      let absErr = 0;
      let absActual = 0;
      let level = 0;
      let cnt = 0;
      for (let j = 0; j < h; j++) {
        if (!observed(j)) continue;
        const v = Number.isFinite(f[j]) ? f[j] : y[n - 1];
        absErr += Math.abs(actual[j] - v);
        absActual += Math.abs(actual[j]);
        level += actual[j];
        cnt++;
      }
      if (cnt > 0) add(hi, name, scaledError(absErr / cnt, scale, level / cnt), absErr, absActual);
    };
    // Every candidate model on the cleaned history (fit once, forecast the longest horizon).
    for (const model of candidateModels(prep.seasons, y.every((v) => v > 0), tentativeSeasons(prep.seasons, step, n))) {
      // One seasonal-naive column: the primary (shortest) cycle's.
      // (The daily one also when it is only tentative: that is the "forced" column.)
      if (model.minPoints > n || (model.family === 'seasonal-naive' && model.name !== `seasonal-naive(${prep.seasons[0]?.name})`)) continue;
      const f = model.fit(y, n).forecast([n], hMax)[0];
      HORIZONS.forEach((_, hi) => score(hi, model.name.replace(/\(.*\)/, ''), f));
    }
    // Seasonal naive with a daily season whether or not a daily cycle was detected: the literal baseline of the goal.
    const day = Math.round(86400 / step);
    if (n > day) HORIZONS.forEach((_, hi) => score(hi, 'seasonal-naive(1d) forced', Float64Array.from({ length: hMax }, (_, j) => y[n - day + (j % day)])));
    // The automatic choice, exactly as qm forecast makes it.
    HORIZONS.forEach((H, hi) => {
      if (o + hs[hi] > full.values.length) return;
      const t0 = performance.now();
      const r = forecast(history, { horizonSeconds: H, at });
      timing.ours += performance.now() - t0;
      timing.oursCalls++;
      score(hi, 'auto', r.points.map((p) => p.value));
      const family = r.model.replace(/\(.*\)/, '');
      chosen[hi].set(family, (chosen[hi].get(family) ?? 0) + 1);
    });
    for (const [name, fn] of Object.entries(ext)) {
      const t0 = performance.now();
      let f;
      try {
        f = fn(Float64Array.from(y), periods, hMax, step);
      } catch (e) {
        f = undefined;
        if (!warned.has(`${name} ${series.name}`)) console.error(`${name} failed on ${series.name}: ${e.message ?? e}`);
        warned.add(`${name} ${series.name}`);
      }
      if (!f) continue;
      timing[name] = (timing[name] ?? 0) + performance.now() - t0;
      timing[`${name}Calls`] = (timing[`${name}Calls`] ?? 0) + 1;
      HORIZONS.forEach((_, hi) => score(hi, name, f));
    }
  }
  return { name: series.name, n: full.values.length, step, seasons: prepare(series.points).seasons.map((s) => s.name), hs, origins: origins.length, acc, chosen, timing };
}

// ---------------------------------------------------------------------------------------------
// Latency of one forecast of a 4,032-point series (model choice included)

function latency(points, runs = 21) {
  forecast(points, { horizonSeconds: 3600 });
  forecast(points, { horizonSeconds: 3600 });
  const wall = [];
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    forecast(points, { horizonSeconds: 3600 });
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { wall: med(wall), min: Math.min(...wall), cpu: med(cpu) };
}

// ---------------------------------------------------------------------------------------------

const fmt = (a) => (a && a.count ? `${(a.mase / a.count).toFixed(2)} / ${(100 * (1 - a.absErr / a.absActual)).toFixed(1)}%` : '–');

const ext = await loadExternal();
const all = loadSeries();
console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${loadavg()[0].toFixed(1)}\n`);

const results = all.map((s) => evaluate(s, ext));
const modelCols = ['auto', 'seasonal-naive(1d) forced', 'seasonal-naive', 'naive', 'drift', 'ses', 'holt-damped', 'decomposition', 'holt-winters', 'holt-winters-multiplicative', ...Object.keys(ext)];

HORIZONS.forEach((H, hi) => {
  console.log(`## Horizon ${H / 60} min — MASE / 1 − WAPE (rolling origin, ${ORIGINS} origins over the last quarter of each series)\n`);
  console.log(`| series | points × step | cycles | origins | ${modelCols.join(' | ')} | auto chose |`);
  console.log(`|---|---|---|---:|${modelCols.map(() => '---:').join('|')}|---|`);
  for (const r of results) {
    const chose = [...r.chosen[hi].entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ×${v}`).join(', ');
    const row = modelCols.map((m) => fmt(r.acc[hi].get(m)));
    console.log(`| ${r.name} | ${r.n} × ${r.step}s (h=${r.hs[hi]}) | ${r.seasons.join(', ') || '–'} | ${r.origins} | ${row.join(' | ')} | ${chose || '–'} |`);
  }
  console.log();
  // Goal check: auto MASE < 1 and 1 − WAPE ≥ 85 %.
  const scored = results.filter((r) => r.acc[hi].get('auto')?.count);
  const beats = scored.filter((r) => { const a = r.acc[hi].get('auto'); return a.mase / a.count < 1; });
  const acc85 = scored.filter((r) => { const a = r.acc[hi].get('auto'); return 1 - a.absErr / a.absActual >= 0.85; });
  const vsSn = scored.filter((r) => { const a = r.acc[hi].get('auto'); const b = r.acc[hi].get('seasonal-naive') ?? r.acc[hi].get('naive'); return b && a.absErr <= b.absErr; });
  const withDay = scored.filter((r) => r.acc[hi].get('seasonal-naive(1d) forced')?.count);
  const vsDay = withDay.filter((r) => r.acc[hi].get('auto').absErr <= r.acc[hi].get('seasonal-naive(1d) forced').absErr);
  console.log(`auto: MASE < 1 on ${beats.length}/${scored.length} series; 1 − WAPE ≥ 85 % on ${acc85.length}/${scored.length}; total absolute error ≤ the seasonal-naive forecast's (detected cycle, else naive) on ${vsSn.length}/${scored.length}, ≤ the daily seasonal-naive forecast's on ${vsDay.length}/${withDay.length}.\n`);
});

console.log('## Time per forecast in this run (ms, mean over origins)\n');
console.log(`| series | qm forecast (auto, incl. model choice) | ${Object.keys(ext).join(' | ')} |\n|---|---:|${Object.keys(ext).map(() => '---:').join('|')}|`);
for (const r of results) console.log(`| ${r.name} | ${(r.timing.ours / Math.max(1, r.timing.oursCalls)).toFixed(1)} | ${Object.keys(ext).map((k) => (r.timing[`${k}Calls`] ? (r.timing[k] / r.timing[`${k}Calls`]).toFixed(1) : '–')).join(' | ')} |`);
console.log();

console.log('## Latency of one forecast of a 4,032-point series, 1 h horizon (median of 21 runs after warm-up)\n');
console.log('| series | wall ms (median) | wall ms (min) | CPU ms (median) |\n|---|---:|---:|---:|');
for (const s of all.filter((s) => s.points.length >= 4000 && s.points.length <= 4100).slice(0, 7)) {
  const l = latency(s.points);
  console.log(`| ${s.name} (${s.points.length}) | ${l.wall.toFixed(1)} | ${l.min.toFixed(1)} | ${l.cpu.toFixed(1)} |`);
}
// A series with a daily cycle exercises Holt-Winters (the slowest path); seeded, so the same every run.
let seed = 1;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const synthetic = Array.from({ length: 4032 }, (_, i) => ({ t: 1_764_000_000 + 300 * i, v: 100 + 40 * Math.sin((2 * Math.PI * i) / 288) + 0.01 * i + 10 * (rnd() - 0.5) }));
const l = latency(synthetic);
console.log(`| synthetic daily cycle + trend + noise (4032) | ${l.wall.toFixed(1)} | ${l.min.toFixed(1)} | ${l.cpu.toFixed(1)} |`);
console.log(`\nload average after the run: ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs`);
