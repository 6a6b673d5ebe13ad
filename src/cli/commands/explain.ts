/**
 * `qm explain INSTANCE [--dir DIR] [--state LOC]`: where an instance runs now, which applied plan
 * put it there and why, and what a plan that was not applied would do with it.
 */
import type { ExplainedDecision, Explanation } from '../../engine/explain.js';
import { explainInstance } from '../../engine/explain.js';
import type { RecordedDecision } from '../../engine/decisions.js';
import { openEnginePort } from '../../engine/store-port.js';
import { paletteFor } from '../../render/color.js';
import type { Palette } from '../../render/color.js';
import type { CliIo } from '../io.js';
import { clock, policyDir } from './common.js';

export interface ExplainArgs {
  instance: string;
  dir?: string | undefined;
  state?: string | undefined;
}

const shortId = (planId: string) => `${planId.slice(0, 19)}…`;
/** ISO 8601 to the second. */
const time = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');

/** What a decision does, as a verb phrase: "placed on gpu-0", "moved from gpu-0 to gpu-1", "blocked". */
function done(d: RecordedDecision): string {
  const a = d.action;
  if (a?.type === 'move') return `moved from ${a.fromNode ?? '?'} to ${a.node}`;
  if (a?.type === 'place') return `placed on ${a.node}`;
  if (a?.type === 'remove') return `removed from ${a.node}`;
  if (a?.type === 'evict') return `evicted from ${a.node}${d.outcome === 'blocked' ? ', then found no node' : ''}`;
  if (d.outcome === 'blocked') return 'blocked: no node fits it';
  return d.node !== undefined ? `placed on ${d.node}` : d.outcome;
}

/** The same, as what a plan would do: "place it on gpu-0". */
function would(d: RecordedDecision): string {
  const a = d.action;
  if (a?.type === 'move') return `move it from ${a.fromNode ?? '?'} to ${a.node}`;
  if (a?.type === 'place') return `place it on ${a.node}`;
  if (a?.type === 'remove') return `remove it from ${a.node}`;
  if (a?.type === 'evict') return `evict it from ${a.node}`;
  if (d.outcome === 'blocked') return 'it stays blocked: no node fits it';
  return d.node !== undefined ? `place it on ${d.node}` : d.outcome;
}

/** Where the applied decision left the instance: a node, or nowhere. */
function leftOn(d: RecordedDecision): string | null {
  const a = d.action;
  if (a?.type === 'remove' || a?.type === 'evict' || d.outcome === 'blocked' || d.outcome === 'removed') return null;
  return a?.node ?? d.node ?? null;
}

function details(d: RecordedDecision, c: Palette): string[] {
  const out: string[] = [];
  const filtered = Object.entries(d.filtered ?? {}).sort(([, a], [, b]) => b - a);
  if (filtered.length) {
    const total = filtered.reduce((s, [, n]) => s + n, 0);
    out.push('', `Nodes filtered out (${total}):`);
    for (const [reason, n] of filtered) out.push(`  ${String(n).padStart(5)}  ${reason}`);
  }
  if (d.candidates?.length) {
    const chosen = d.action?.type === 'place' || d.action?.type === 'move' ? d.action.node : d.node;
    out.push('', 'Candidate nodes, best first:');
    const plugins = [...new Set(d.candidates.flatMap((x) => Object.keys(x.scores)))].sort();
    out.push(`  ${'node'.padEnd(20)} ${'score'.padStart(5)}  ${plugins.map((p) => p.padStart(9)).join(' ')}`);
    for (const x of d.candidates) out.push(`  ${x.node === chosen ? c.green(x.node.padEnd(20)) : x.node.padEnd(20)} ${x.score.toFixed(0).padStart(5)}  ${plugins.map((p) => (x.scores[p] === undefined ? '-' : x.scores[p]!.toFixed(0)).padStart(9)).join(' ')}`);
  }
  return out;
}

export function explainText(e: Explanation, c: Palette): string {
  const out: string[] = [];
  const cur = e.current;
  const where = cur.state === 'running' ? c.green(`runs on ${cur.node}`) : cur.state === 'absent' ? c.yellow('not running') : `where it runs now is unknown: ${cur.why}`;
  out.push(`${c.bold(e.instance)}${e.agent !== undefined ? ` (agent ${e.agent})` : ''}: ${where}`);
  const reason = (x: ExplainedDecision) => (x.decision.action?.reason ? [c.dim(`  ${x.decision.action.reason}`)] : []);
  if (e.applied) {
    const a = e.applied;
    const how = a.applyStatus === 'interrupted' ? c.yellow(' (by an apply that was interrupted before it finished)') : a.applyStatus === 'running' ? ' (by an apply still running)' : '';
    out.push(`${done(a.decision)} by plan ${shortId(a.planId)}, applied ${time(a.appliedAt!)}${how}`, ...reason(a));
    const should = leftOn(a.decision);
    if (cur.state !== 'unknown') {
      const is = cur.state === 'running' ? cur.node : null;
      if (should !== is) {
        const now = is === null ? 'it is not running now' : `it runs on ${is} now`;
        out.push(c.yellow(`that plan left it ${should === null ? 'not running' : `on ${should}`}, but ${now}: changed outside the plans in the log (qm reconcile --mode report tells whether it is drift)`));
      }
    }
    const more = details(a.decision, c);
    out.push(...more, ...(more.length && e.pending ? [''] : []));
  } else if (cur.state === 'running') {
    out.push(c.dim('no applied plan in the decision log put it there (the log keeps the last 50 plans)'));
  }
  if (e.pending) {
    const p = e.pending;
    out.push(c.yellow(`planned by plan ${shortId(p.planId)} (${time(p.recordedAt)}), not applied${p.attempt === 'interrupted' ? ' (its apply was interrupted before this action was recorded as done)' : p.attempt ? ` (its apply: ${p.attempt})` : ''}: ${would(p.decision)}`), ...reason(p));
    if (!e.applied || p.decision.outcome === 'blocked') out.push(...details(p.decision, c));
  }
  return out.join('\n') + '\n';
}

/** Exit 0 with the explanation, 1 when nothing is known about the instance. */
export async function explainCommand(args: ExplainArgs, io: CliIo): Promise<number> {
  const dir = policyDir(io, args.dir);
  const store = await openEnginePort(dir, args.state, io.env);
  try {
    const e = await explainInstance({ dir, store, instance: args.instance, now: clock(undefined)() });
    if (!e) {
      io.stderr.write(`qm: nothing is known about instance '${args.instance}': it is not running and no recorded plan mentions it\nhint: instances are named <agent>-<ordinal>; run qm plan first, then qm explain\n`);
      return 1;
    }
    io.stdout.write(explainText(e, paletteFor(io.stdout, io.env)));
    return 0;
  } finally {
    await store.close();
  }
}
