/**
 * The charts of a simulation as data — nodes per pool, demand and capacity, blocked instances —
 * downsampled to at most MAX_POINTS buckets (each the maximum of its steps, so a short spike of
 * blocked instances still shows). Mermaid (render-markdown.ts) and SVG (svg.ts) draw the same data. Pure.
 */
import type { SimRun, SimulateReport } from './types.js';

export const MAX_POINTS = 100;

export interface ChartLine {
  name: string;
  hex: string;
  colour: string;
  values: number[];
}

export interface Chart {
  title: string;
  yTitle: string;
  /** ISO time of each bucket's first step. */
  at: string[];
  lines: ChartLine[];
}

const BASE = { hex: '#8d99ae', colour: 'grey' };
const HEAD = { hex: '#2a9d8f', colour: 'teal' };
const CAPACITY = { hex: '#e63946', colour: 'red' };

/** Bucket boundaries so that at most `max` remain. */
function buckets(n: number, max: number): number[][] {
  const size = Math.max(1, Math.ceil(n / max));
  const out: number[][] = [];
  for (let i = 0; i < n; i += size) out.push(Array.from({ length: Math.min(size, n - i) }, (_, k) => i + k));
  return out;
}

const bucketMax = (b: number[][], f: (i: number) => number) => b.map((ix) => Math.max(...ix.map(f)));

/**
 * The resource the demand chart is about: gpu when anything asks for one (the expensive one), else
 * cpu, else the one whose demand comes closest to (or beyond) capacity in the head run.
 */
export function chartResource(run: SimRun): string | undefined {
  for (const k of ['gpu', 'cpu']) if (run.steps.some((s) => (s.demand[k] ?? 0) > 0)) return k;
  let best: string | undefined;
  let ratio = -1;
  const keys = [...new Set(run.steps.flatMap((s) => Object.keys(s.demand)))].sort();
  for (const k of keys) {
    let r = 0;
    for (const s of run.steps) r = Math.max(r, (s.demand[k] ?? 0) / Math.max(s.capacity[k] ?? 0, 1e-9));
    if (r > 0 && r > ratio) [best, ratio] = [k, r];
  }
  return best;
}

const UNITS: Record<string, string> = { cpu: 'cores', memory: 'GiB', gpu: 'GPUs' };

export function simulationCharts(report: SimulateReport): Chart[] {
  const runs = report.runs;
  const head = runs[runs.length - 1];
  if (!head || head.steps.length === 0) return [];
  const compare = runs.length === 2;
  const b = buckets(head.steps.length, MAX_POINTS);
  const at = b.map((ix) => head.steps[ix[0]!]!.at);
  const styled = (r: SimRun, i: number) => ({ name: compare ? `${i === 0 ? 'base' : 'head'} ${r.ref}` : r.ref, ...(compare && i === 0 ? BASE : HEAD) });
  const charts: Chart[] = [];
  const pools = [...new Set(runs.flatMap((r) => Object.keys(r.totals.peakNodes)))].sort();
  for (const p of pools) {
    charts.push({ title: `Nodes in pool ${p}`, yTitle: 'nodes', at, lines: runs.map((r, i) => ({ ...styled(r, i), values: bucketMax(b, (k) => r.steps[k]?.pools[p]?.nodes ?? 0) })) });
  }
  const res = chartResource(head);
  if (res !== undefined) {
    const unit = UNITS[res] ?? res;
    charts.push({
      title: `Demand and capacity (${res})`,
      yTitle: unit,
      at,
      lines: [
        { name: `demand (${res} the wanted instances request)`, hex: '#264653', colour: 'dark blue', values: bucketMax(b, (k) => head.steps[k]!.demand[res] ?? 0) },
        ...runs.map((r, i) => ({ name: `capacity ${styled(r, i).name}`, ...(i === runs.length - 1 ? CAPACITY : BASE), values: bucketMax(b, (k) => r.steps[k]?.capacity[res] ?? 0) })),
      ],
    });
  }
  const blocked = (r: SimRun, k: number) => Object.values(r.steps[k]?.agents ?? {}).reduce((a, x) => a + x.blocked, 0);
  charts.push({ title: 'Blocked instances', yTitle: 'instances', at, lines: runs.map((r, i) => ({ ...styled(r, i), values: bucketMax(b, (k) => blocked(r, k)) })) });
  return charts;
}
