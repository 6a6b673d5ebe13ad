/**
 * `qm simulate --chart FILE`: the charts of charts.ts as one SVG image, a panel per chart, drawn by
 * hand (polylines on a grid) so the file is the same byte for byte for the same report. Pure.
 */
import { simulationCharts } from './charts.js';
import type { Chart } from './charts.js';
import type { SimulateReport } from './types.js';

const W = 860;
const PANEL = 250;
const LEFT = 56;
const RIGHT = 16;
const TOP = 34;
const BOTTOM = 56;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (x: number) => String(Math.round(x * 10) / 10);

/** A round axis maximum at or above v: four grid steps of 1, 2 or 5 × 10^k (whole numbers from 1 up). */
export function niceMax(v: number): number {
  if (!(v > 0)) return 4;
  const raw = v / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return 4 * Math.max(1, m * p);
  return 40 * p;
}

function panel(c: Chart, y0: number): string[] {
  const w = W - LEFT - RIGHT;
  const h = PANEL - TOP - BOTTOM;
  const max = niceMax(Math.max(0, ...c.lines.flatMap((l) => l.values)));
  const n = c.at.length;
  const x = (i: number) => LEFT + (n <= 1 ? 0 : (i / (n - 1)) * w);
  const y = (v: number) => y0 + TOP + h - (v / max) * h;
  const out = [`<text x="${LEFT}" y="${y0 + 20}" font-size="14" font-weight="bold">${esc(c.title)}</text>`];
  for (let g = 0; g <= 4; g++) {
    const v = (max * g) / 4;
    out.push(`<line x1="${LEFT}" y1="${num(y(v))}" x2="${W - RIGHT}" y2="${num(y(v))}" stroke="#ddd"/>`, `<text x="${LEFT - 6}" y="${num(y(v) + 4)}" font-size="10" text-anchor="end">${num(v)}</text>`);
  }
  out.push(`<text x="12" y="${num(y0 + TOP + h / 2)}" font-size="10" transform="rotate(-90 12 ${num(y0 + TOP + h / 2)})" text-anchor="middle">${esc(c.yTitle)}</text>`);
  // About six time labels along the axis.
  const every = Math.max(1, Math.ceil(n / 6));
  for (let i = 0; i < n; i += every) out.push(`<text x="${num(x(i))}" y="${y0 + TOP + h + 14}" font-size="10" text-anchor="middle">${esc(c.at[i]!.slice(5, 16).replace('T', ' '))}</text>`);
  for (const l of c.lines) out.push(`<polyline fill="none" stroke="${l.hex}" stroke-width="1.8" points="${l.values.map((v, i) => `${num(x(i))},${num(y(v))}`).join(' ')}"/>`);
  let lx = LEFT;
  for (const l of c.lines) {
    out.push(`<rect x="${lx}" y="${y0 + PANEL - 22}" width="12" height="4" fill="${l.hex}"/>`, `<text x="${lx + 16}" y="${y0 + PANEL - 17}" font-size="10">${esc(l.name)}</text>`);
    lx += 24 + l.name.length * 6;
  }
  return out;
}

export function renderSimulateSvg(report: SimulateReport): string {
  const charts = simulationCharts(report);
  const height = Math.max(1, charts.length) * PANEL;
  const body = charts.flatMap((c, i) => panel(c, i * PANEL));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif">`,
    `<title>${esc(`qm simulate ${report.from} … ${report.to}`)}</title>`,
    `<rect width="${W}" height="${height}" fill="#fff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
