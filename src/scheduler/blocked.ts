/**
 * Why an instance fits nowhere. The summary aggregates over nodes as kube-scheduler does ("0/12
 * nodes fit: 8 InsufficientResource(gpu), 4 UntoleratedTaint(dedicated=ml)"); each reason is one
 * code's own sentence ("8 nodes lack gpu: it requests 4 gpu, the most free on one of them is 2 gpu").
 */
import type { Evaluator } from './framework/evaluator.js';
import { statusKey, type Status } from './framework/status.js';
import type { Pod } from './framework/workload.js';
import { formatResource, resourceName } from '../model/quantity.js';
import { GPU } from './framework/resources.js';
import { reserveFactor } from './plugins/node-resources/fit.js';
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
  const byKey = new Map<string, Failure>();
  for (let n = 0; n < nodes; n++) {
    const st = ev.status(pod, n);
    if (st.code === 'Success') continue;
    const key = statusKey(st);
    const e = byKey.get(key);
    if (e) {
      e.count++;
      e.nodes.push(n);
    } else byKey.set(key, { key, status: st, count: 1, nodes: [n] });
  }
  const entries = [...byKey.values()].sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
  const fitting = nodes - entries.reduce((s, e) => s + e.count, 0);
  const summary = `${fitting}/${nodes} nodes fit: ${entries.map((e) => `${e.count} ${e.key}`).join(', ')}`;
  const byCode = new Map<ReasonCode, Failure[]>();
  for (const e of entries) {
    const code = e.status.code as ReasonCode;
    byCode.set(code, [...(byCode.get(code) ?? []), e]);
  }
  // Each reason says what it is about in its own sentence; `summary` is the aggregate over all of them.
  const reasons: BlockedReason[] = [...byCode.entries()].map(([code, failures]) => ({ code, message: reasonMessage(ev, pod, code, failures) }));
  const st = ev.statics(pod);
  if (fitting === 0 && st.feasible.length > 0 && [...st.feasible].every((n) => !fitsEmpty(ev, pod, n))) {
    // Not the instance's name: an identical instance blocked next reuses this diagnosis.
    reasons.push({ code: 'NoPoolCanFit', message: `no node that agent ${pod.agent.name}'s placement rules allow can hold its requests even when empty` });
  }
  const filtered: Record<string, number> = {};
  for (const e of entries) filtered[e.key] = e.count;
  return { summary, reasons, filtered };
}

/**
 * Diagnoses for instances blocked while the cluster does not change (the swap pass blocks its
 * displaced instances one after another): identical instances — same agent, the agent's own
 * requests — share one diagnosis, as placeAll's identical blocked instances do.
 */
export function diagnoser(ev: Evaluator): (pod: Pod) => Diagnosis {
  const log = ev.ctx.cluster.changeLog;
  let at = log.length;
  const memo = new Map<Pod['agent'], Diagnosis>();
  return (pod) => {
    if (pod.req !== pod.agent.req) return diagnose(ev, pod);
    if (log.length !== at) {
      memo.clear();
      at = log.length;
    }
    let d = memo.get(pod.agent);
    if (!d) memo.set(pod.agent, (d = diagnose(ev, pod)));
    return d;
  };
}

/** Nodes that failed one filter the same way ("InsufficientResource(gpu)"), with their indices. */
interface Failure {
  key: string;
  status: Status;
  count: number;
  nodes: number[];
}

const nodesWord = (n: number) => `${n} node${n === 1 ? '' : 's'}`;
const verb = (n: number, one: string, many: string) => (n === 1 ? one : many);

/** "3 nodes lack gpu, 1 node lacks cpu and memory". Parts with the same detail are listed once each. */
function counted(failures: readonly Failure[], phrase: (count: number, detail: string | undefined) => string): string {
  return failures.map((f) => phrase(f.count, f.status.reasons.length ? f.status.reasons.join(', ') : undefined)).join(', ');
}

/** One reason's own sentence, over the nodes that failed with that code. */
function reasonMessage(ev: Evaluator, pod: Pod, code: ReasonCode, failures: readonly Failure[]): string {
  const total = failures.reduce((s, f) => s + f.count, 0);
  const messages = [...new Set(failures.map((f) => f.status.message).filter((m): m is string => m !== undefined))];
  switch (code) {
    case 'InsufficientResource':
      return `${counted(failures, (n, d) => `${nodesWord(n)} ${verb(n, 'lacks', 'lack')} ${(d ?? 'resources').replace(/, ([^,]*)$/, ' and $1')}`)}: ${shortfall(ev, pod, failures)}`;
    case 'QuotaExceeded':
      return messages.length ? messages.join('; ') : `${nodesWord(total)} ${verb(total, 'is', 'are')} in the scope of a quota the instance would exceed`;
    case 'UntoleratedTaint':
      return `${nodesWord(total)} ${verb(total, 'has', 'have')} a NoSchedule taint the instance does not tolerate: ${failures.map((f) => (failures.length > 1 ? `${f.count} ${f.status.reasons.join(', ')}` : f.status.reasons.join(', '))).join(', ')}`;
    case 'PoolNotActive':
      return counted(failures, (n, d) => (d === 'node not ready' ? `${nodesWord(n)} ${verb(n, 'is', 'are')} not ready` : `${nodesWord(n)} ${verb(n, 'is', 'are')} in a pool that is ${d ?? 'not active'}`));
    case 'NodeAffinityMismatch':
      return counted(failures, (n, d) =>
        d === 'placement.pools' ? `${nodesWord(n)} ${verb(n, 'is', 'are')} in pools placement.pools does not list` :
        d === 'placement.tiers' ? `${nodesWord(n)} ${verb(n, 'is', 'are')} in tiers placement.tiers does not list` :
        `${nodesWord(n)} ${verb(n, 'does', 'do')} not match the required node affinity`);
    case 'NodeSelectorMismatch':
      return `${nodesWord(total)} ${verb(total, 'does', 'do')} not have the labels of the nodeSelector`;
    case 'PoolAccessDenied':
      return counted(failures, (n, d) => `${nodesWord(n)} ${verb(n, 'is', 'are')} in pools whose access rules do not admit ${d ?? 'the agent'}`);
    case 'TopologySpreadViolation':
      return counted(failures, (n, d) => (d?.startsWith('no ') ? `${nodesWord(n)} ${verb(n, 'has', 'have')} no ${d.slice(3)} label, which the topology spread needs` : `${nodesWord(n)} would exceed the topology spread's maxSkew over ${d ?? 'its key'}`));
    case 'AgentAffinityUnsatisfied':
      return counted(failures, (n, d) => (d?.startsWith('no ') ? `${nodesWord(n)} ${verb(n, 'has', 'have')} no ${d.slice(3)} label, which the agent affinity needs` : `${nodesWord(n)} ${verb(n, 'has', 'have')} no instance the agent affinity requires in the same ${d ?? 'domain'}`));
    case 'AgentAntiAffinityConflict':
      return counted(failures, (n, d) => (d?.startsWith('existing ') ? `${nodesWord(n)} ${verb(n, 'shares', 'share')} a ${d.slice(9)} with an instance whose anti-affinity excludes this one` : `${nodesWord(n)} ${verb(n, 'shares', 'share')} a ${d ?? 'domain'} with an instance the anti-affinity excludes`));
    default:
      return `${nodesWord(total)}: ${failures.map((f) => `${f.count} ${f.key}`).join(', ')}${messages.length ? `; ${messages.join('; ')}` : ''}`;
  }
}

/** "it requests 4 gpu, the most free on one of them is 2 gpu", per resource short on those nodes. */
function shortfall(ev: Evaluator, pod: Pod, failures: readonly Failure[]): string {
  const keys = ev.ctx.cluster.res.keys;
  const byResource = new Map<string, Set<number>>();
  for (const f of failures) for (const r of f.status.reasons) for (const n of f.nodes) (byResource.get(r) ?? byResource.set(r, new Set()).get(r)!).add(n);
  const parts: string[] = [];
  for (const [name, nodeSet] of byResource) {
    const i = keys.findIndex((k) => resourceName(k) === name);
    if (i < 0) continue;
    const request = i === keys.indexOf(GPU) ? pod.gpuMillis : pod.req[i]!;
    let most = 0;
    for (const n of nodeSet) most = Math.max(most, free(ev, pod, n, i));
    const left = formatResource(keys[i]!, Math.max(0, Math.floor(most)));
    parts.push(`it requests ${formatResource(keys[i]!, request)}, ${nodeSet.size === 1 ? `the node has ${left} free` : `the most free on one of them is ${left}`}`);
  }
  return parts.length ? parts.join('; ') : 'its requests do not fit';
}

/** What an instance of this pod's priority and class may still use of resource i on the node. */
function free(ev: Evaluator, pod: Pod, node: number, i: number): number {
  const n = ev.nodes[node]!;
  if (i === ev.ctx.cluster.res.keys.indexOf(GPU) && n.gpuUsed.length > 0) {
    // A share below one device must fit in one device; whole devices must be entirely free.
    let best = 0;
    let whole = 0;
    for (let d = 0; d < n.gpuUsed.length; d++) {
      best = Math.max(best, 1000 - n.gpuUsed[d]!);
      if (n.gpuUsed[d] === 0) whole += 1000;
    }
    return pod.gpuMillis < 1000 ? best : whole;
  }
  const factor = reserveFactor(n, pod.agent.priority);
  let f = n.overcommitted[i]! * factor - n.allocated[i]!;
  if (pod.agent.cls === 'guaranteed') f = Math.min(f, n.capacity[i]! * factor - n.guaranteed[i]!);
  return f;
}

/** Whether the instance's requests fit the node's capacity with nothing else on it. */
function fitsEmpty(ev: Evaluator, pod: Pod, node: number): boolean {
  const n = ev.nodes[node]!;
  for (let i = 0; i < pod.req.length; i++) if (pod.req[i]! > n.overcommitted[i]!) return false;
  if (pod.gpuMillis <= 0) return true;
  const devices = n.gpuUsed.length;
  return pod.gpuMillis < 1000 ? devices > 0 : pod.gpuMillis / 1000 <= devices;
}
