/**
 * A small deterministic optimiser for the smoothing parameters: Nelder–Mead over unbounded
 * variables, each mapped into its (lo, hi) box by a logistic function. Same start, same answer.
 */

export interface Bound {
  lo: number;
  hi: number;
  /** Starting value, inside (lo, hi). */
  start: number;
}

const toBox = (z: number, b: Bound) => b.lo + (b.hi - b.lo) / (1 + Math.exp(-z));
const fromBox = (x: number, b: Bound) => {
  const p = Math.min(Math.max((x - b.lo) / (b.hi - b.lo), 1e-6), 1 - 1e-6);
  return Math.log(p / (1 - p));
};

/** Minimise f over the box; returns the best parameters found within maxEvals evaluations. */
export function minimise(f: (x: number[]) => number, bounds: readonly Bound[], maxEvals = 200, tol = 1e-7): { x: number[]; value: number; evals: number } {
  const dim = bounds.length;
  let evals = 0;
  const g = (z: number[]) => {
    evals++;
    const v = f(z.map((zi, i) => toBox(zi, bounds[i]!)));
    return Number.isFinite(v) ? v : Number.MAX_VALUE;
  };
  const start = bounds.map((b) => fromBox(b.start, b));
  const simplex: number[][] = [start];
  for (let i = 0; i < dim; i++) {
    const p = [...start];
    p[i] = p[i]! + 1;
    simplex.push(p);
  }
  const values = simplex.map(g);
  while (evals < maxEvals) {
    const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
    const best = order[0]!;
    const worst = order[dim]!;
    const second = order[dim - 1]!;
    if (Math.abs(values[worst]! - values[best]!) <= tol * (Math.abs(values[best]!) + 1e-12)) break;
    const centroid = new Array<number>(dim).fill(0);
    for (const i of order.slice(0, dim)) for (let d = 0; d < dim; d++) centroid[d]! += simplex[i]![d]! / dim;
    const along = (t: number) => centroid.map((c, d) => c + t * (simplex[worst]![d]! - c));
    const refl = along(-1);
    const fr = g(refl);
    if (fr < values[best]!) {
      const exp = along(-2);
      const fe = g(exp);
      if (fe < fr) [simplex[worst], values[worst]] = [exp, fe];
      else [simplex[worst], values[worst]] = [refl, fr];
    } else if (fr < values[second]!) {
      [simplex[worst], values[worst]] = [refl, fr];
    } else {
      const con = fr < values[worst]! ? along(-0.5) : along(0.5);
      const fc = g(con);
      if (fc < Math.min(fr, values[worst]!)) [simplex[worst], values[worst]] = [con, fc];
      else {
        // Shrink towards the best point.
        for (const i of order.slice(1)) {
          simplex[i] = simplex[i]!.map((z, d) => simplex[best]![d]! + 0.5 * (z - simplex[best]![d]!));
          values[i] = g(simplex[i]!);
        }
      }
    }
  }
  let bi = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! < values[bi]!) bi = i;
  return { x: simplex[bi]!.map((z, i) => toBox(z, bounds[i]!)), value: values[bi]!, evals };
}
