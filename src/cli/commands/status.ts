/**
 * `qm status [DIR] [--format text|json] [--state LOC]`: drivers' health, locks, the last apply,
 * pools, nodes, utilisation, quotas, anomalies, drift. A driver that is down is shown unhealthy and the rest
 * is shown as far as it can be observed; drift is then unknown, as it is when a node could not be
 * observed (not ready: an engine that does not answer), since what runs there cannot be seen.
 * Duplicates (the same instance on two nodes, one copy to remove) are told apart from instances
 * nobody declared. Exit 0 either way.
 */
import { expiryUnreadable } from '../../state/locks.js';
import type { PolicySet } from '../../model/documents.js';
import { QmError } from '../../model/errors.js';
import { toQuantities } from '../../model/quantity-format.js';
import { formatBytes, resourceName } from '../../model/quantity.js';

/** A canonical amount in the unit people write: cores, bytes with a binary suffix, devices. */
function human(key: string, v: number): string {
  if (key === 'cpuMillis' || key === 'gpuMillis') return String(Math.round(v) / 1000);
  if (key === 'memoryBytes' || key === 'storageBytes') return formatBytes(v);
  if (key === 'networkMbps') return `${v}Mbps`;
  return String(v);
}
import type { Plan, PlanAnomaly } from '../../model/plan.js';
import type { ObservedInstance } from '../../model/state.js';
import { instancesAfter } from '../../planner/usage.js';
import { loadValidPolicy, runPlan } from '../../engine/plan.js';
import { openEnginePort } from '../../engine/store-port.js';
import { driversFor, observeFleet } from '../../engine/observe.js';
import type { DriverFailure, ObservedFleet } from '../../engine/observe.js';
import type { LastApply, ListedLock } from '../../engine/ports.js';
import { paletteFor } from '../../render/color.js';
import type { Palette } from '../../render/color.js';
import type { CliIo } from '../io.js';
import { clock, policyDir, withPolicyErrors } from './common.js';
import { usageJson, usageText } from './status-usage.js';


export interface StatusArgs {
  dir?: string | undefined;
  format?: string | undefined;
  state?: string | undefined;
  now?: string | undefined;
}

export interface DriverHealth {
  name: string;
  type: string;
  ok: boolean;
  message: string;
  pools: string[];
}

/** What qm status shows: `plan` is absent when a driver could not be observed (drift is then unknown). */
export interface StatusReport {
  policy: PolicySet;
  observed: ObservedFleet;
  plan?: Plan | undefined;
  drivers: DriverHealth[];
  locks: ListedLock[];
  lastApply?: LastApply | undefined;
}

/** A pool some of whose nodes could not be observed, with the observation warnings naming them. */
export interface PartlyObserved {
  pool: string;
  nodes: string[];
  warnings: string[];
}

/** "a", "a and b", "a, b and c". */
function listed(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * Pools with a node that is not ready: the driver could not see into it (a Docker engine that does
 * not answer), so the instances running there are unknown and so is the pool's drift.
 */
export function partlyObserved(observed: ObservedFleet): PartlyObserved[] {
  const byPool = new Map<string, string[]>();
  for (const n of observed.nodes) if (!n.ready) byPool.set(n.pool, [...(byPool.get(n.pool) ?? []), n.name]);
  const names = (w: string, node: string) => new RegExp(`(^|[^\\w.-])${node.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w.-])`).test(w);
  return [...byPool].sort(([a], [b]) => (a < b ? -1 : 1)).map(([pool, nodes]) => ({ pool, nodes, warnings: observed.warnings.filter((w) => nodes.some((n) => names(w, n))) }));
}

/** Why the drift is unknown: the drivers that could not be observed, the nodes that could not be seen into. */
function unobserved(failed: readonly DriverFailure[], partial: readonly PartlyObserved[] = []): string {
  const parts: string[] = [];
  const names = failed.map((f) => f.driver);
  if (names.length) parts.push(`${names.length === 1 ? 'driver' : 'drivers'} ${listed(names)} could not be observed`);
  for (const p of partial) {
    parts.push(`pool ${p.pool}: node${p.nodes.length === 1 ? '' : 's'} ${listed(p.nodes)} ${p.nodes.length === 1 ? 'is' : 'are'} not ready, what runs there cannot be seen${p.warnings.length ? ` (${p.warnings.join('; ')})` : ''}`);
  }
  return parts.join('; ');
}

/** A removal of one copy of an instance another copy of which the plan keeps. */
export interface Duplicate {
  instance: string;
  node: string;
  keptOn: string;
}

/** The plan's removals that are duplicates: the same instance stays on another node. */
export function duplicates(instances: readonly ObservedInstance[], plan: Plan): Duplicate[] {
  const kept = new Map(instancesAfter(instances, plan.actions).map((i) => [i.name, i.node]));
  const out: Duplicate[] = [];
  for (const a of plan.actions) {
    const on = a.type === 'remove' ? kept.get(a.instance) : undefined;
    if (a.type === 'remove' && on !== undefined && on !== a.node) out.push({ instance: a.instance, node: a.node, keptOn: on });
  }
  return out;
}

/** The drift in words: what the plan would change, duplicates told apart from removals of undeclared instances. */
function driftParts(plan: Plan, dups: number): string[] {
  const s = plan.summary;
  // A remove then a place of the same instance on the same node: recreated from its agent's current template.
  const placedOn = new Set(plan.actions.flatMap((a) => (a.type === 'place' ? [`${a.instance}@${a.node}`] : [])));
  const outdated = plan.actions.filter((a) => a.type === 'remove' && placedOn.has(`${a.instance}@${a.node}`)).length;
  const parts: [number, string][] = [[s.place - outdated, 'missing (to place)'], [s.move, 'on the wrong node (to move)'], [outdated, 'on an older template (to recreate)'], [dups, 'duplicated (to remove)'], [s.remove - dups - outdated, 'not declared (to remove)'], [s.evict, 'to evict'], [s.scalePool, 'pool node counts off'], [s.scaleAgent, 'agent replica changes']];
  return parts.filter(([n]) => n > 0).map(([n, t]) => `${n} ${t}`);
}

/** The snapshot of SPEC §3 (quantities as people write them), plus pools, quotas, drift, drivers, locks and the last apply. */
export function statusJson(r: StatusReport): unknown {
  const { observed, plan } = r;
  const down = new Set(r.observed.failed.flatMap((f) => f.pools));
  const partial = partlyObserved(observed);
  const unseen = new Map(partial.map((p) => [p.pool, p.nodes]));
  const drift = () => {
    if (!plan) return { inSync: null, unknown: `${unobserved(observed.failed)}; qm plan needs every driver` };
    if (partial.length) return { inSync: null, unknown: unobserved([], partial) };
    const dups = duplicates(observed.instances, plan);
    return { inSync: !plan.changes, summary: plan.summary, duplicated: dups.length, ...(dups.length ? { duplicates: dups } : {}) };
  };
  return {
    nodes: observed.nodes.map((n) => ({ name: n.name, pool: n.pool, region: n.region, zone: n.zone, labels: n.labels, taints: n.taints, ready: n.ready, capacity: toQuantities(n.capacity), ...(n.address ? { address: n.address } : {}) })),
    instances: observed.instances.map((i) => ({ name: i.name, agent: i.agent, node: i.node, requests: toQuantities(i.requests), ...(i.startedAt ? { startedAt: i.startedAt } : {}), ...(i.gpuDevices ? { gpuDevices: i.gpuDevices } : {}), ...(i.template ? { template: i.template } : {}), ...(i.usage ? { usage: { at: i.usage.at, use: toQuantities(i.usage.use) } } : {}) })),
    scalingHistory: observed.scalingHistory,
    pools: plan
      ? plan.pools.map((p) => ({ name: p.name, observed: !unseen.has(p.name), ...(unseen.has(p.name) ? { unobservedNodes: unseen.get(p.name) } : {}), nodes: p.nodes.current, utilizationPercent: Object.fromEntries(Object.entries(p.utilizationPercent).map(([k, v]) => [k, v.current])) }))
      : r.policy.pools.map((p) => (down.has(p.metadata.name) ? { name: p.metadata.name, observed: false, nodes: null } : { name: p.metadata.name, observed: true, nodes: observed.nodes.filter((n) => n.pool === p.metadata.name).length })),
    quotas: plan ? plan.quotas : null,
    usage: usageJson(observed),
    drift: drift(),
    // Metrics outside their forecast's interval (docs/forecasting.md#anomalies); null when no plan could be made.
    anomalies: plan ? (plan.anomalies ?? []) : null,
    drivers: r.drivers,
    locks: r.locks,
    lastApply: r.lastApply ?? null,
  };
}

function bar(pct: number, c: Palette, width = 10): string {
  const fill = Math.min(width, Math.round((Math.min(pct, 100) / 100) * width));
  const s = '█'.repeat(fill) + '░'.repeat(width - fill);
  return (pct > 90 ? c.red : pct > 70 ? c.yellow : c.green)(s);
}

export function driversText(drivers: readonly DriverHealth[], c: Palette): string {
  const lines = drivers.map((d) => `  ${d.name.padEnd(16)} ${d.type.padEnd(10)} ${d.ok ? c.green('healthy') : c.red('unhealthy')}  ${c.dim(d.message)}  pools: ${d.pools.join(', ')}`);
  return [c.bold('Drivers'), ...lines, ''].join('\n') + '\n';
}

/** The locks in the store, with the id qm force-unlock takes, and the last apply. */
export function locksText(locks: readonly ListedLock[], lastApply: LastApply | undefined, c: Palette): string {
  const out = [c.bold('Locks')];
  if (locks.length === 0) out.push(`  ${c.green('none')}: no apply or reconcile is running`);
  for (const l of locks) {
    const when = !l.expired
      ? `expires at ${l.expiresAt} unless renewed`
      : expiryUnreadable(l)
        ? c.dim(`its expiry ${JSON.stringify(l.expiresAt)} is not a time, so it counts as expired; the next apply takes it over`)
        : c.dim(`expired at ${l.expiresAt}; the next apply takes it over`);
    const gone = !l.expired && l.holderGone ? c.yellow(`; its holder (pid ${String(l.info?.pid)} on this host) is no longer running: qm force-unlock ${l.id}`) : '';
    out.push(`  ${l.name.padEnd(16)} lock id ${c.bold(l.id)}  held by ${l.holder} since ${l.acquiredAt}; ${when}${gone}`);
  }
  const live = locks.filter((l) => !l.expired);
  if (live.length) out.push(c.dim(`  a lock whose holder died expires by itself; to release it now: qm force-unlock ${live.length === 1 ? live[0]!.id : 'ID'}`));
  out.push('', c.bold('Last apply'));
  const mark = (s: LastApply['status']) => (s === 'applied' ? c.green(s) : s === 'running' ? c.yellow(s) : c.red(s));
  out.push(lastApply ? `  ${mark(lastApply.status)} ${lastApply.appliedAt} by ${lastApply.actor}  plan ${lastApply.planId.slice(0, 19)}…` : '  none recorded in this state store');
  if (lastApply?.status === 'interrupted') out.push(c.dim('  it stopped before finishing (its process died or lost the lock): qm plan shows what is left, qm apply finishes it'));
  return out.join('\n') + '\n\n';
}

export function statusText(r: StatusReport, c: Palette): string {
  const { observed, plan } = r;
  const out: string[] = [];
  const down = new Map(observed.failed.flatMap((f) => f.pools.map((p) => [p, f.driver] as const)));
  const partial = partlyObserved(observed);
  const unseen = new Map(partial.map((p) => [p.pool, p.nodes]));
  out.push(c.bold('Pools'));
  if (plan) {
    for (const p of plan.pools) {
      const nodes = observed.nodes.filter((n) => n.pool === p.name);
      const ready = nodes.filter((n) => n.ready).length;
      const util = Object.entries(p.utilizationPercent).map(([k, v]) => `${k} ${bar(v.current, c)} ${String(v.current).padStart(5)}%`).join('  ');
      const missing = unseen.get(p.name);
      out.push(`  ${p.name.padEnd(16)} ${String(ready).padStart(3)}/${nodes.length} nodes ready  ${util}${missing ? `  ${c.yellow(`partly observed: ${listed(missing)} not ready`)}` : ''}`);
    }
  } else {
    for (const p of r.policy.pools) {
      const name = p.metadata.name;
      const nodes = observed.nodes.filter((n) => n.pool === name);
      out.push(down.has(name) ? `  ${name.padEnd(16)} ${c.red(`not observed: driver ${down.get(name)} is unhealthy`)}` : `  ${name.padEnd(16)} ${String(nodes.filter((n) => n.ready).length).padStart(3)}/${nodes.length} nodes ready`);
    }
  }
  out.push('', c.bold('Nodes'));
  if (observed.nodes.length === 0) out.push(`  ${c.dim(plan ? 'none' : 'none observed')}`);
  for (const n of observed.nodes) {
    const inst = observed.instances.filter((i) => i.node === n.name);
    out.push(`  ${n.name.padEnd(18)} ${n.pool.padEnd(12)} ${n.zone.padEnd(14)} ${n.ready ? c.green('ready    ') : c.red('not ready')} ${String(inst.length).padStart(3)} instance${inst.length === 1 ? ' ' : 's'}  ${inst.map((i) => i.name).join(' ')}`);
  }
  if (plan?.quotas.length) {
    out.push('', c.bold('Quotas (after the pending plan)'));
    for (const q of plan.quotas) {
      const parts = Object.entries(q.limits).map(([k, lim]) => `${resourceName(k)} ${human(k, q.used[k] ?? 0)}/${human(k, lim)}`);
      out.push(`  ${q.name.padEnd(16)} ${parts.join(', ')}`);
    }
  }
  const usage = usageText(observed, c);
  if (usage) out.push(usage.replace(/\n$/, ''));
  if (plan?.anomalies?.length) out.push('', c.bold('Anomalies'), ...anomaliesText(plan.anomalies, c));
  out.push('', c.bold('Drift'));
  if (!plan) out.push(`  ${c.yellow('unknown')}: ${unobserved(observed.failed)} — see Drivers above; qm plan and qm apply need every driver`);
  else if (partial.length) out.push(`  ${c.yellow('unknown')}: ${unobserved([], partial)} — qm plan would place copies elsewhere of what it cannot see; once the nodes are back, qm plan removes the older copies as duplicates`);
  else if (!plan.changes) out.push(`  ${c.green('in sync')}: the fleet matches the policy${plan.summary.blocked ? ` (${plan.summary.blocked} instance${plan.summary.blocked === 1 ? '' : 's'} blocked)` : ''}`);
  else {
    const s = plan.summary;
    const parts = driftParts(plan, duplicates(observed.instances, plan).length);
    out.push(`  ${c.yellow('drift')}: ${parts.join(', ')}${s.blocked ? `; ${s.blocked} blocked` : ''} — qm plan shows the changes, qm apply or qm reconcile --mode fix makes them`);
  }
  return out.join('\n') + '\n';
}

/** One line per anomaly: the metric, which way and since when, how far out now. */
export function anomaliesText(list: readonly PlanAnomaly[], c: Palette): string[] {
  return list.map((a) => {
    const pct = a.deviationPercent !== undefined ? `, ${a.deviationPercent > 0 ? '+' : ''}${a.deviationPercent}%` : '';
    return `  ${c.yellow('!')} ${a.metric.padEnd(24)} ${a.direction} its forecast since ${a.from} (${a.samples} samples): ${a.observed} at ${a.at}, expected ${a.expected} (${a.lower} to ${a.upper}), ${Math.abs(a.deviation)} half-widths out${pct}  ${c.dim(`ScalingPolicy ${a.policy}`)}`;
  });
}

/** Exit 0 whenever the status could be shown, a driver being down included (it is shown unhealthy). */
export async function statusCommand(args: StatusArgs, io: CliIo): Promise<number> {
  const format = args.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new QmError('usage', `--format ${format} is not supported by qm status`, 'use text or json');
  const dir = policyDir(io, args.dir);
  const now = clock(args.now)();
  return withPolicyErrors(io, async () => {
    // The policy first: an empty or invalid directory is refused before a state store is opened (or created) in it.
    const loaded = await loadValidPolicy(dir, undefined, { command: 'status' });
    const policy = loaded.policy;
    const store = await openEnginePort(dir, args.state, io.env);
    try {
      const set = driversFor(policy, store, dir);
      const drivers: DriverHealth[] = [];
      let observed: ObservedFleet;
      try {
        // A driver that is down is left out of the observation and shown unhealthy; the rest is still shown.
        observed = await observeFleet(policy, set, now, { collectFailures: true, usage: true });
        for (const [name, entry] of [...set.drivers].sort(([a], [b]) => (a < b ? -1 : 1))) {
          // A pure provisioner (aws) is healthy when it can reach the pools it scales.
          const { driver } = entry;
          const pools = entry.pools.length ? entry.pools : entry.provisions;
          const h = await driver.health({ policy, pools, now }).catch((e: Error) => ({ ok: false, message: e.message }));
          const failure = observed.failed.find((f) => f.driver === name);
          const message = failure && h.ok ? failure.message : h.message;
          drivers.push({ name, type: driver.type, ok: h.ok && !failure, message, pools: pools.map((p) => p.metadata.name) });
        }
      } finally {
        await set.close();
      }
      const plan = observed.failed.length === 0 ? (await runPlan({ dir, now, store, loaded, observed })).plan : undefined;
      const report: StatusReport = { policy, observed, plan, drivers, locks: await store.listLocks(), lastApply: await store.lastApply() };
      const c = paletteFor(io.stdout, io.env);
      io.stdout.write(format === 'json' ? JSON.stringify(statusJson(report), null, 2) + '\n' : driversText(drivers, c) + locksText(report.locks, report.lastApply, c) + statusText(report, c));
      return 0;
    } finally {
      await store.close();
    }
  });
}
