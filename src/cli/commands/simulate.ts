/**
 * `qm simulate [DIR] --from TIME --to TIME [--step 5m] [--ref REF] [--base REF] [--node-startup 3m]
 * [--snapshot FILE] [--format text|markdown|json] [--out FILE] [--chart FILE]`
 */
import path from 'node:path';
import { QmError } from '../../model/errors.js';
import { parseDuration } from '../../model/quantity.js';
import { checkOutFile, writeOutFile } from '../../engine/output.js';
import { loadValidPolicy } from '../../engine/plan.js';
import { checkWindow, runSimulate } from '../../engine/simulate.js';
import { openEnginePort } from '../../engine/store-port.js';
import { renderSimulateJson } from '../../simulate/report.js';
import { renderSimulateText } from '../../simulate/render-text.js';
import { renderSimulateMarkdown } from '../../simulate/render-markdown.js';
import { renderSimulateSvg } from '../../simulate/svg.js';
import type { CliIo } from '../io.js';
import { policyDir, withPolicyErrors } from './common.js';

export interface SimulateArgs {
  dir?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  step?: string | undefined;
  ref?: string | undefined;
  base?: string | undefined;
  nodeStartup?: string | undefined;
  snapshot?: string | undefined;
  format?: string | undefined;
  out?: string | undefined;
  chart?: string | undefined;
  state?: string | undefined;
}

export const SIMULATE_FORMATS = ['text', 'markdown', 'json'] as const;

function time(flag: string, raw: string | undefined): number {
  if (raw === undefined) throw new QmError('usage', `qm simulate needs ${flag} TIME`, 'e.g. qm simulate --from 2026-11-20T00:00:00Z --to 2026-11-27T00:00:00Z');
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw new QmError('usage', `${flag} '${raw}' is not a time`, 'write ISO 8601, e.g. 2026-11-20T00:00:00Z');
  return Math.floor(t / 1000);
}

function seconds(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const p = parseDuration(raw, flag);
  if (!p.ok) throw new QmError('usage', p.message, p.hint);
  return p.value;
}

export async function simulateCommand(args: SimulateArgs, io: CliIo): Promise<number> {
  const format = args.format ?? 'text';
  if (!(SIMULATE_FORMATS as readonly string[]).includes(format)) throw new QmError('usage', `--format ${format} is not supported by qm simulate`, `use one of ${SIMULATE_FORMATS.join(', ')}`);
  const from = time('--from', args.from);
  const to = time('--to', args.to);
  const step = seconds('--step', args.step, 300);
  const nodeStartup = seconds('--node-startup', args.nodeStartup, 180);
  checkWindow(from, to, step);
  const dir = policyDir(io, args.dir);
  const out = args.out === undefined ? undefined : path.resolve(io.cwd, args.out);
  const chart = args.chart === undefined ? undefined : path.resolve(io.cwd, args.chart);
  if (out !== undefined) await checkOutFile(out, args.out);
  if (chart !== undefined) await checkOutFile(chart, args.chart);
  return withPolicyErrors(io, async () => {
    const loaded = await loadValidPolicy(dir, args.ref, { command: 'simulate' });
    const store = args.snapshot === undefined ? await openEnginePort(dir, args.state, io.env) : undefined;
    try {
      const snapshot = args.snapshot === undefined ? undefined : path.resolve(io.cwd, args.snapshot);
      const report = await runSimulate({ dir, ref: args.ref, base: args.base, snapshot, store, from, to, step, nodeStartup, loaded });
      const json = renderSimulateJson(report);
      if (out !== undefined) await writeOutFile(out, json, args.out);
      if (chart !== undefined) await writeOutFile(chart, renderSimulateSvg(report), args.chart);
      io.stdout.write(format === 'json' ? json : format === 'markdown' ? renderSimulateMarkdown(report) : renderSimulateText(report));
      return 0;
    } finally {
      await store?.close();
    }
  });
}
