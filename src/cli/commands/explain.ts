/** `qm explain INSTANCE [--dir DIR] [--state LOC]`: the stored decision for an instance. */
import { openEnginePort } from '../../engine/store-port.js';
import { paletteFor } from '../../render/color.js';
import type { Palette } from '../../render/color.js';
import type { Decision } from '../../scheduler/index.js';
import type { CliIo } from '../io.js';
import { policyDir } from './common.js';

export interface ExplainArgs {
  instance: string;
  dir?: string | undefined;
  state?: string | undefined;
}

export function explainText(planId: string, d: Decision, c: Palette): string {
  const out: string[] = [];
  const what = d.outcome === 'blocked' ? c.red('blocked') : d.outcome === 'placed' ? c.green(`placed on ${d.node}`) : `kept on ${d.node}`;
  out.push(`${c.bold(d.instance)} (agent ${d.agent}): ${what}`, c.dim(`decided in plan ${planId.slice(0, 19)}…`));
  const filtered = Object.entries(d.filtered ?? {}).sort(([, a], [, b]) => b - a);
  if (filtered.length) {
    const total = filtered.reduce((s, [, n]) => s + n, 0);
    out.push('', `Nodes filtered out (${total}):`);
    for (const [reason, n] of filtered) out.push(`  ${String(n).padStart(5)}  ${reason}`);
  }
  if (d.candidates?.length) {
    out.push('', 'Candidate nodes, best first:');
    const plugins = [...new Set(d.candidates.flatMap((x) => Object.keys(x.scores)))].sort();
    out.push(`  ${'node'.padEnd(20)} ${'score'.padStart(5)}  ${plugins.map((p) => p.padStart(9)).join(' ')}`);
    for (const x of d.candidates) out.push(`  ${(x.node === d.node ? c.green(x.node.padEnd(20)) : x.node.padEnd(20))} ${x.score.toFixed(0).padStart(5)}  ${plugins.map((p) => (x.scores[p] === undefined ? '-' : x.scores[p]!.toFixed(0)).padStart(9)).join(' ')}`);
  } else if (d.outcome === 'kept') {
    out.push('', 'It already runs there and still fits every constraint; running instances are not moved.');
  }
  return out.join('\n') + '\n';
}

/** Exit 0 with the decision, 1 when no decision is recorded for the instance. */
export async function explainCommand(args: ExplainArgs, io: CliIo): Promise<number> {
  const store = await openEnginePort(policyDir(io, args.dir), args.state, io.env);
  try {
    const found = await store.latestDecision(args.instance);
    if (!found) {
      io.stderr.write(`qm: no decision is recorded for instance '${args.instance}'\nhint: instances are named <agent>-<ordinal>; run qm plan first, then qm explain\n`);
      return 1;
    }
    io.stdout.write(explainText(found.planId, found.decision, paletteFor(io.stdout, io.env)));
    return 0;
  } finally {
    await store.close();
  }
}
