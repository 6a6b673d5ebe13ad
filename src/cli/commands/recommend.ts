/**
 * `qm recommend [DIR] [--window 8d] [--min-history 24h] [--cpu-percentile 90] [--memory-percentile 95]
 * [--margin 15%] [--tolerance 10%] [--now TIME] [--format text|json] [--write] [--detailed-exitcode]
 * [--state LOC]`: new requests per agent from the usage history qm serve records (see
 * src/recommend/compute.ts for how), as a unified diff of the agent files, or written into them.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadValidPolicy } from '../../engine/plan.js';
import { QmError } from '../../model/errors.js';
import { parseDuration } from '../../model/quantity.js';
import { paletteFor } from '../../render/color.js';
import { recommendAgent, type AgentRecommendation, type RecommendSettings } from '../../recommend/compute.js';
import { unifiedDiff } from '../../recommend/diff.js';
import { editRequests, type RequestEdit } from '../../recommend/edit.js';
import { loadHistory } from '../../recommend/history.js';
import { renderJson, renderText, type RecommendReport } from '../../recommend/render.js';
import type { CliIo } from '../io.js';
import { policyDir, withPolicyErrors } from './common.js';

export interface RecommendArgs {
  dir?: string | undefined;
  state?: string | undefined;
  window?: string | undefined;
  minHistory?: string | undefined;
  cpuPercentile?: string | undefined;
  memoryPercentile?: string | undefined;
  margin?: string | undefined;
  tolerance?: string | undefined;
  now?: string | undefined;
  format?: string | undefined;
  write?: boolean | undefined;
  detailedExitcode?: boolean | undefined;
}

const FORMATS = ['text', 'json'] as const;

function seconds(raw: string, flag: string, min: number): number {
  const d = parseDuration(raw, flag);
  if (!d.ok) throw new QmError('usage', d.message, d.hint);
  if (d.value < min) throw new QmError('usage', `${flag} ${raw} is shorter than ${min / 60} minute${min === 60 ? '' : 's'}`, `write e.g. ${flag} 8d`);
  return d.value;
}

/** "90" or "p90": a percentile in (0, 100]. */
function percentileArg(raw: string, flag: string): number {
  const m = /^p?(\d+(\.\d+)?)$/.exec(raw);
  const v = m ? Number(m[1]) : NaN;
  if (!(v > 0 && v <= 100)) throw new QmError('usage', `${flag} ${raw} is not a percentile`, `write a number in (0, 100], e.g. ${flag} 90`);
  return v;
}

/** "15%" or "15": a fraction ≥ 0. */
function percentArg(raw: string, flag: string): number {
  const m = /^(\d+(\.\d+)?)%?$/.exec(raw);
  if (!m || Number(m[1]) > 1000) throw new QmError('usage', `${flag} ${raw} is not a percentage`, `write e.g. ${flag} 15%`);
  return Number(m[1]) / 100;
}

function nowArg(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw new QmError('usage', `--now '${raw}' is not a time`, 'write ISO 8601, e.g. 2026-12-01T00:00:00Z');
  // Samples are per minute: the window ends at the minute --now falls in.
  return t - (t % 60_000);
}

/** The request changes, by file (sorted), for the agents whose proposal is outside the tolerance. */
function editsByFile(agents: readonly AgentRecommendation[]): Map<string, RequestEdit[]> {
  const byFile = new Map<string, RequestEdit[]>();
  for (const a of agents) {
    if (a.status !== 'change') continue;
    const edit: RequestEdit = {
      agent: a.agent,
      cpuMillis: a.cpu.status === 'change' ? a.cpu.proposed : undefined,
      memoryBytes: a.memory.status === 'change' ? a.memory.proposed : undefined,
    };
    byFile.set(a.file, [...(byFile.get(a.file) ?? []), edit]);
  }
  return new Map([...byFile].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Exit 0; with --detailed-exitcode 2 when requests should change and were not written; 1 on error. */
export async function recommendCommand(args: RecommendArgs, io: CliIo): Promise<number> {
  const format = args.format ?? 'text';
  if (!(FORMATS as readonly string[]).includes(format)) throw new QmError('usage', `--format ${format} is not supported by qm recommend`, `use one of ${FORMATS.join(', ')}`);
  const windowMs = seconds(args.window ?? '8d', '--window', 60) * 1000;
  const settings: Omit<RecommendSettings, 'end'> = {
    windowMs,
    minHistoryMinutes: Math.ceil(seconds(args.minHistory ?? '24h', '--min-history', 0) / 60),
    cpuPercentile: percentileArg(args.cpuPercentile ?? '90', '--cpu-percentile'),
    memoryPercentile: percentileArg(args.memoryPercentile ?? '95', '--memory-percentile'),
    margin: percentArg(args.margin ?? '15%', '--margin'),
    tolerance: percentArg(args.tolerance ?? '10%', '--tolerance'),
  };
  if (settings.minHistoryMinutes * 60_000 > windowMs) throw new QmError('usage', `--min-history ${args.minHistory ?? '24h'} is longer than the --window ${args.window ?? '8d'}`, 'make the window longer or ask for less history');
  const now = nowArg(args.now);
  const dir = policyDir(io, args.dir);
  return withPolicyErrors(io, async () => {
    // The policy first: an invalid directory is refused before a state store is opened (or created) in it.
    const loaded = await loadValidPolicy(dir, undefined, { command: 'recommend' });
    const agents = [...loaded.policy.agents].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    const { openStateStore, resolveStateLocation } = await import('../../state/index.js');
    const store = await openStateStore(resolveStateLocation(dir, args.state, io.env));
    let history;
    try {
      history = await loadHistory(store.usage, agents.map((a) => a.metadata.name), windowMs, now);
    } finally {
      await store.close();
    }
    const s: RecommendSettings = { ...settings, end: history.end ?? 0 };
    const recs = agents.map((a) => recommendAgent(a, history.byAgent.get(a.metadata.name) ?? [], s));
    const texts = new Map(loaded.files.map((f) => [f.path, f.text]));
    const diffs: { file: string; diff: string; after: string }[] = [];
    for (const [file, edits] of editsByFile(recs)) {
      const before = texts.get(file) ?? '';
      const after = editRequests(before, file, edits);
      diffs.push({ file, diff: unifiedDiff(file, before, after), after });
    }
    if (args.write) {
      for (const d of diffs) {
        await writeFile(path.join(dir, d.file), d.after).catch((e: NodeJS.ErrnoException) => {
          throw new QmError('io', `cannot write ${d.file}: ${e.code ?? e.message}`, 'check the file is writable, or run without --write and apply the diff yourself');
        });
      }
    }
    const report: RecommendReport = { settings: s, end: history.end, agents: recs, diffs: diffs.map(({ file, diff }) => ({ file, diff })), written: args.write === true && diffs.length > 0 };
    io.stdout.write(format === 'json' ? renderJson(report) : renderText(report, paletteFor(io.stdout, io.env)));
    return args.detailedExitcode && diffs.length > 0 && !args.write ? 2 : 0;
  });
}
