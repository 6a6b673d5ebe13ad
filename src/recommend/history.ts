/**
 * Usage history of the policy's agents, read from the state store and cut to the window: per
 * agent, per instance, compact arrays (a day of one instance is 1,440 numbers per resource, not
 * 1,440 objects kept around). The window is (end − window, end]; its end is `now` when given,
 * else the newest sample of any of these agents, so the same store gives the same answer.
 */
import type { UsageSample, UsageStore } from '../model/usage.js';
import type { InstanceSeries } from './compute.js';

export interface AgentHistory {
  /** Epoch ms of the window's end; undefined when there is no sample at all and no `now`. */
  end: number | undefined;
  byAgent: Map<string, InstanceSeries[]>;
}

function series(samples: readonly UsageSample[], from: number, end: number): InstanceSeries[] {
  const byInstance = new Map<string, InstanceSeries>();
  let lastIso = '';
  let at = NaN;
  for (const s of samples) {
    // Samples come ordered by time, many to a minute: parse each minute once.
    if (s.at !== lastIso) at = Date.parse((lastIso = s.at));
    if (at <= from || at > end) continue;
    let x = byInstance.get(s.instance);
    if (!x) byInstance.set(s.instance, (x = { instance: s.instance, at: [], cpu: [], memory: [] }));
    x.at.push(at);
    x.cpu.push(s.use.cpuMillis ?? NaN);
    x.memory.push(s.use.memoryBytes ?? NaN);
  }
  return [...byInstance.values()].sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0));
}

export async function loadHistory(usage: UsageStore, agents: readonly string[], windowMs: number, now?: number): Promise<AgentHistory> {
  const byAgent = new Map<string, InstanceSeries[]>();
  if (now !== undefined) {
    const since = new Date(now - windowMs).toISOString();
    const until = new Date(now + 1).toISOString();
    for (const agent of agents) byAgent.set(agent, series(await usage.list({ agent, since, until }), now - windowMs, now));
    return { end: now, byAgent };
  }
  // The end is not known before every agent is read: keep each agent's samples compact (all of
  // them: what the store retains bounds this), then cut them all to the one window.
  let end: number | undefined;
  const all = new Map<string, InstanceSeries[]>();
  for (const agent of agents) {
    const s = series(await usage.list({ agent }), -Infinity, Infinity);
    for (const x of s) if (x.at.length > 0) end = Math.max(end ?? -Infinity, x.at[x.at.length - 1]!);
    all.set(agent, s);
  }
  for (const [agent, s] of all) byAgent.set(agent, end === undefined ? [] : cut(s, end - windowMs, end));
  return { end, byAgent };
}

function cut(list: readonly InstanceSeries[], from: number, end: number): InstanceSeries[] {
  const out: InstanceSeries[] = [];
  for (const x of list) {
    const keep = x.at.map((at, i) => (at > from && at <= end ? i : -1)).filter((i) => i >= 0);
    if (keep.length > 0) out.push({ instance: x.instance, at: keep.map((i) => x.at[i]!), cpu: keep.map((i) => x.cpu[i]!), memory: keep.map((i) => x.memory[i]!) });
  }
  return out;
}
