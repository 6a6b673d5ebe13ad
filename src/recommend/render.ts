/** `qm recommend` output: text for people, JSON for tools. Both are deterministic for the same inputs. */
import { formatBytes } from '../model/quantity.js';
import type { Palette } from '../render/color.js';
import type { AgentRecommendation, RecommendSettings, ResourceRecommendation } from './compute.js';
import { cpuText, memoryText } from './edit.js';

export interface RecommendReport {
  settings: RecommendSettings;
  /** undefined when the store has no sample of these agents and no --now was given. */
  end: number | undefined;
  agents: AgentRecommendation[];
  /** Unified diffs of the agent files, by file. */
  diffs: { file: string; diff: string }[];
  written: boolean;
}

const MINUTE = 60_000;

/** 8d, 1d 2h, 3h, 45m: the largest units, at most two. */
export function duration(minutes: number): string {
  const parts: string[] = [];
  let left = Math.round(minutes);
  for (const [unit, size] of [['d', 1440], ['h', 60], ['m', 1]] as const) {
    if (left >= size && parts.length < 2) {
      parts.push(`${Math.floor(left / size)}${unit}`);
      left %= size;
    } else if (parts.length > 0) break;
  }
  return parts.length > 0 ? parts.join(' ') : '0m';
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/:00\.000Z$/, 'Z');
const pct = (f: number) => `${Math.round(f * 1000) / 10} %`;
const cpuUse = (m: number) => cpuText(Math.round(m));

function line(name: 'cpu' | 'memory', r: ResourceRecommendation, s: RecommendSettings, c: Palette): string {
  const show = name === 'cpu' ? cpuText : memoryText;
  const showUse = name === 'cpu' ? cpuUse : formatBytes;
  const current = r.current === undefined ? 'not set' : show(r.current);
  const label = `  ${name.padEnd(7)} request ${current.padEnd(7)}`;
  if (r.status === 'no-data' || !r.use || r.proposed === undefined) return `${label} ${c.dim(`no ${name} use measured`)}`;
  const p = name === 'cpu' ? s.cpuPercentile : s.memoryPercentile;
  const what = name === 'cpu' ? `use (${r.points} samples)` : `daily peak (${r.points} instance-days)`;
  const to = r.status === 'ok' ? c.green(`ok (${show(r.proposed)})`.padEnd(13)) : c.yellow(`→ ${show(r.proposed)}`.padEnd(13));
  return `${label} ${to} ${what} p50 ${showUse(r.use.p50)}, p${p} ${showUse(r.use.pN)}, max ${showUse(r.use.max)}`;
}

export function renderText(r: RecommendReport, c: Palette): string {
  const s = r.settings;
  const out: string[] = [];
  const windowText = r.end === undefined ? `the last ${duration(s.windowMs / MINUTE)}` : `${iso(r.end - s.windowMs)} … ${iso(r.end)} (${duration(s.windowMs / MINUTE)})`;
  out.push(`Requests from observed use over ${windowText}: cpu p${s.cpuPercentile} of per-minute use, memory p${s.memoryPercentile} of daily peaks, + ${pct(s.margin)} margin`, '');
  for (const a of r.agents) {
    const head = `${c.bold(a.agent)} ${c.dim(`(${a.file})`)}`;
    if (a.status === 'no-usage') out.push(`${head}: ${c.dim('no usage recorded')}`);
    else if (a.status === 'not-enough-history') out.push(`${head}: ${c.yellow('not enough history')}: ${duration(a.historyMinutes)} of samples, --min-history is ${duration(s.minHistoryMinutes)}`);
    else out.push(`${head}: ${a.status === 'ok' ? c.green('ok') : c.yellow('change')}, ${a.instances} instance${a.instances === 1 ? '' : 's'}, ${duration(a.historyMinutes)} of history`, line('cpu', a.cpu, s, c), line('memory', a.memory, s, c));
  }
  const count = (st: string) => r.agents.filter((a) => a.status === st).length;
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
  if (r.end === undefined) out.push('', c.yellow('The state store holds no usage of these agents yet: qm serve records it every minute from drivers that measure use (docker, kubernetes).'));
  out.push('', `${n(count('change'), 'agent')} to change, ${count('ok')} ok, ${count('not-enough-history')} without enough history, ${count('no-usage')} without usage.`);
  if (r.diffs.length > 0) {
    out.push('');
    if (r.written) out.push(`Wrote ${r.diffs.map((d) => d.file).join(', ')}:`, '');
    else out.push(`The change to the agent files (qm recommend --write makes it):`, '');
    for (const d of r.diffs) out.push(...d.diff.trimEnd().split('\n').map((l) => (l.startsWith('+') && !l.startsWith('+++') ? c.green(l) : l.startsWith('-') && !l.startsWith('---') ? c.red(l) : l)));
  }
  return out.join('\n') + '\n';
}

function resourceJson(r: ResourceRecommendation, p: number): Record<string, unknown> {
  return {
    current: r.current ?? null,
    use: r.use ? { p50: r.use.p50, [`p${p}`]: r.use.pN, max: r.use.max } : null,
    points: r.points,
    proposed: r.proposed ?? null,
    status: r.status,
  };
}

export function renderJson(r: RecommendReport): string {
  const s = r.settings;
  return (
    JSON.stringify(
      {
        window: r.end === undefined ? null : { since: new Date(r.end - s.windowMs).toISOString(), until: new Date(r.end).toISOString() },
        settings: { windowMinutes: s.windowMs / MINUTE, cpuPercentile: s.cpuPercentile, memoryPercentile: s.memoryPercentile, margin: s.margin, tolerance: s.tolerance, minHistoryMinutes: s.minHistoryMinutes },
        agents: r.agents.map((a) => ({
          agent: a.agent,
          file: a.file,
          instances: a.instances,
          historyMinutes: a.historyMinutes,
          status: a.status,
          cpuMillis: resourceJson(a.cpu, s.cpuPercentile),
          memoryBytes: resourceJson(a.memory, s.memoryPercentile),
        })),
        files: r.diffs,
        written: r.written,
      },
      null,
      2,
    ) + '\n'
  );
}
