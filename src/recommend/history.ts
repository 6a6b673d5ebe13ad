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
  let end = now;
  if (end === undefined) {
    // The newest sample of any of these agents: one index lookup each, so only the window is read
    // whatever the store retains.
    for (const agent of agents) {
      const latest = await usage.latest({ agent });
      if (latest !== undefined) end = Math.max(end ?? -Infinity, Date.parse(latest));
    }
  }
  const byAgent = new Map<string, InstanceSeries[]>();
  if (end === undefined) return { end, byAgent };
  const since = new Date(end - windowMs).toISOString();
  const until = new Date(end + 1).toISOString();
  for (const agent of agents) byAgent.set(agent, series(await usage.list({ agent, since, until }), end - windowMs, end));
  return { end, byAgent };
}
