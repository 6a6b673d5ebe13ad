/** Why an instance fits nowhere, aggregated over nodes as kube-scheduler does: "0/12 nodes fit: 8 InsufficientResource(gpu), 4 UntoleratedTaint(dedicated=ml)". */
import type { Evaluator } from './framework/evaluator.js';
import { statusKey, type Status } from './framework/status.js';
import type { Pod } from './framework/workload.js';
import type { BlockedReason, ReasonCode } from './types.js';

export interface Diagnosis {
  summary: string;
  reasons: BlockedReason[];
  /** statusKey → node count. */
  filtered: Record<string, number>;
}

export function diagnose(ev: Evaluator, pod: Pod): Diagnosis {
  const nodes = ev.nodes.length;
  if (nodes === 0) {
    return { summary: '0/0 nodes fit: there are no nodes', reasons: [{ code: 'NoPoolCanFit', message: 'there are no nodes to place on' }], filtered: {} };
  }
  ev.begin(pod);
  const byKey = new Map<string, { status: Status; count: number }>();
  for (let n = 0; n < nodes; n++) {
    const st = ev.status(pod, n);
    if (st.code === 'Success') continue;
    const key = statusKey(st);
    const e = byKey.get(key);
    if (e) e.count++;
    else byKey.set(key, { status: st, count: 1 });
  }
  const entries = [...byKey.entries()].sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1));
  const fitting = nodes - entries.reduce((s, [, e]) => s + e.count, 0);
  const summary = `${fitting}/${nodes} nodes fit: ${entries.map(([k, e]) => `${e.count} ${k}`).join(', ')}`;
  const byCode = new Map<ReasonCode, { count: number; parts: string[]; messages: string[] }>();
  for (const [key, e] of entries) {
    const code = e.status.code as ReasonCode;
    const c = byCode.get(code) ?? { count: 0, parts: [], messages: [] };
    c.count += e.count;
    c.parts.push(`${e.count} ${key}`);
    if (e.status.message && !c.messages.includes(e.status.message)) c.messages.push(e.status.message);
    byCode.set(code, c);
  }
  const reasons: BlockedReason[] = [...byCode.entries()].map(([code, c]) => ({
    code,
    message: `${summary}${c.messages.length > 0 ? `; ${c.messages.join('; ')}` : ''}`,
  }));
  const st = ev.statics(pod);
  if (fitting === 0 && st.feasible.length > 0 && [...st.feasible].every((n) => !fitsEmpty(ev, pod, n))) {
    reasons.push({ code: 'NoPoolCanFit', message: `no node the placement rules allow can hold ${pod.name}'s requests even when empty` });
  }
  const filtered: Record<string, number> = {};
  for (const [k, e] of entries) filtered[k] = e.count;
  return { summary, reasons, filtered };
}

/** Whether the instance's requests fit the node's capacity with nothing else on it. */
function fitsEmpty(ev: Evaluator, pod: Pod, node: number): boolean {
  const n = ev.nodes[node]!;
  for (let i = 0; i < pod.req.length; i++) if (pod.req[i]! > n.overcommitted[i]!) return false;
  if (pod.gpuMillis <= 0) return true;
  const devices = n.gpuUsed.length;
  return pod.gpuMillis < 1000 ? devices > 0 : pod.gpuMillis / 1000 <= devices;
}
