/**
 * Exponential smoothing in the error-correction form of the ETS state-space models (Hyndman et al.,
 * "Forecasting with Exponential Smoothing", 2008): additive errors, no/damped trend, no/additive/
 * multiplicative season. Parameters are fitted by minimising the one-step squared errors.
 * ses, holt and holt-winters are configurations of this one filter.
 */
import { minimise } from '../optimise.js';
import type { Bound } from '../optimise.js';
import type { FittedModel } from './types.js';

export interface EtsSpec {
  trend: boolean;
  season: 'none' | 'additive' | 'multiplicative';
  /** Season length in steps (ignored without a season). */
  period: number;
}

interface Params {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
}

interface State {
  l: number;
  b: number;
  s: Float64Array;
}

const FIT_EVALS = 160;
const FIT_WINDOW = 2016;

/** Initial states from the first one or two seasons (or first few points): a fixed heuristic, not fitted. */
function initialState(y: Float64Array, start: number, end: number, spec: EtsSpec): State {
  end -= start;
  const m = spec.season === 'none' ? 1 : spec.period;
  const s = new Float64Array(m).fill(spec.season === 'multiplicative' ? 1 : 0);
  if (spec.season === 'none') {
    const k = Math.max(1, Math.min(10, Math.floor(end / 2)));
    let a = 0;
    let c = 0;
    for (let i = 0; i < k; i++) a += y[start + i]!;
    for (let i = k; i < Math.min(2 * k, end); i++) c += y[start + i]!;
    a /= k;
    const b = spec.trend && end >= 2 * k ? (c / k - a) / k : 0;
    return { l: a - (b * (k - 1)) / 2, b, s };
  }
  const cycles = Math.max(1, Math.min(2, Math.floor(end / m)));
  const means: number[] = [];
  for (let c = 0; c < cycles; c++) {
    let a = 0;
    for (let i = 0; i < m; i++) a += y[start + c * m + i]!;
    means.push(a / m);
  }
  const b = spec.trend && cycles >= 2 ? (means[1]! - means[0]!) / m : 0;
  for (let i = 0; i < m; i++) {
    let acc = 0;
    for (let c = 0; c < cycles; c++) {
      const lvl = means[c]! + b * (i - (m - 1) / 2);
      const v = y[start + c * m + i]!;
      acc += spec.season === 'multiplicative' ? v / (lvl || 1) : v - lvl;
    }
    s[i] = acc / cycles;
  }
  return { l: means[0]! - (b * (m - 1)) / 2 - b, b, s };
}

/**
 * Run the filter over y[start..to), calling visit(t, state) before each y[t] is processed (and at `to`).
 * Returns the sum of squared one-step errors over [start, sseEnd), or Infinity if the state blows up.
 */
function run(y: Float64Array, start: number, to: number, spec: EtsSpec, p: Params, st: State, sseEnd: number, visit?: (t: number, st: State) => void): number {
  const { alpha, beta, gamma, phi } = p;
  const m = st.s.length;
  const s = st.s;
  let l = st.l;
  let b = st.b;
  let sse = 0;
  let phase = 0;
  const mult = spec.season === 'multiplicative';
  const seasonal = spec.season !== 'none';
  for (let t = start; t < to; t++) {
    if (visit) {
      st.l = l;
      st.b = b;
      visit(t, st);
    }
    const base = l + phi * b;
    const si = seasonal ? s[phase]! : mult ? 1 : 0;
    const yhat = mult ? base * si : base + si;
    const e = y[t]! - yhat;
    if (t < sseEnd) sse += e * e;
    if (mult) {
      if (si <= 1e-9 || base <= 1e-9) return Infinity;
      l = base + (alpha * e) / si;
      b = phi * b + (beta * e) / si;
      s[phase] = si + (gamma * e) / base;
    } else {
      l = base + alpha * e;
      b = phi * b + beta * e;
      if (seasonal) s[phase] = si + gamma * e;
    }
    if (++phase === m) phase = 0;
  }
  if (!Number.isFinite(l)) return Infinity;
  st.l = l;
  st.b = b;
  if (visit) visit(to, st);
  return sse;
}

function toParams(x: number[], spec: EtsSpec): Params {
  const alpha = x[0]!;
  let i = 1;
  const beta = spec.trend ? alpha * x[i++]! : 0;
  const gamma = spec.season !== 'none' ? (1 - alpha) * x[i++]! : 0;
  const phi = spec.trend ? x[i++]! : 1;
  return { alpha, beta, gamma, phi };
}

/** Fit the ETS model on y[0..end) — on its last FIT_WINDOW points, or four cycles if longer: older history adds cost, not accuracy. */
export function fitEts(y: Float64Array, end: number, spec: EtsSpec): FittedModel {
  const start = Math.max(0, end - Math.max(FIT_WINDOW, spec.season === 'none' ? 0 : 4 * spec.period));
  const bounds: Bound[] = [{ lo: 0.0001, hi: 0.9999, start: 0.3 }];
  if (spec.trend) bounds.push({ lo: 0.0001, hi: 0.5, start: 0.05 });
  if (spec.season !== 'none') bounds.push({ lo: 0.0001, hi: 0.9999, start: 0.1 });
  if (spec.trend) bounds.push({ lo: 0.8, hi: 0.98, start: 0.95 });
  const init = initialState(y, start, end, spec);
  const fresh = (): State => ({ l: init.l, b: init.b, s: Float64Array.from(init.s) });
  const best = minimise((x) => run(y, start, end, spec, toParams(x, spec), fresh(), end), bounds, FIT_EVALS);
  const p = toParams(best.x, spec);
  const sigma = Number.isFinite(best.value) ? Math.sqrt(best.value / Math.max(1, end - start - bounds.length)) : NaN;
  const m = spec.period;
  const mult = spec.season === 'multiplicative';
  const seasonal = spec.season !== 'none';
  return {
    sigma,
    params: { ...p },
    forecast(origins, h) {
      const out = new Map<number, Float64Array>();
      const wanted = new Set(origins);
      const last = Math.max(...origins);
      run(y, start, last, spec, p, fresh(), 0, (t, st) => {
        if (!wanted.has(t)) return;
        const f = new Float64Array(h);
        let damp = 0;
        let pow = 1;
        const phase0 = seasonal ? (t - start) % m : 0;
        for (let j = 0; j < h; j++) {
          pow *= p.phi;
          damp += pow;
          const base = st.l + damp * st.b;
          const si = seasonal ? st.s[(phase0 + j) % m]! : mult ? 1 : 0;
          f[j] = mult ? base * si : base + si;
        }
        out.set(t, f);
      });
      return origins.map((o) => out.get(o) ?? new Float64Array(h).fill(NaN));
    },
    varianceFactors(h) {
      const v = new Float64Array(h);
      let acc = 1;
      let damp = 0;
      let pow = 1;
      for (let j = 0; j < h; j++) {
        v[j] = acc;
        pow *= p.phi;
        damp += pow;
        const c = p.alpha + p.beta * damp + (seasonal && (j + 1) % m === 0 ? p.gamma : 0);
        acc += c * c;
      }
      return v;
    },
  };
}
