/** `qm status [DIR] [--format text|json] [--state LOC]`: pools, nodes, utilisation, quotas, drift. */
import { QmError } from '../../model/errors.js';
import type { ObservedState } from '../../model/state.js';
import { toQuantities } from '../../model/quantity-format.js';
import { formatBytes, resourceName } from '../../model/quantity.js';

/** A canonical amount in the unit people write: cores, bytes with a binary suffix, devices. */
function human(key: string, v: number): string {
  if (key === 'cpuMillis' || key === 'gpuMillis') return String(Math.round(v) / 1000);
  if (key === 'memoryBytes' || key === 'storageBytes') return formatBytes(v);
  if (key === 'networkMbps') return `${v}Mbps`;
  return String(v);
}
import type { Plan } from '../../model/plan.js';
import { loadValidPolicy, runPlan } from '../../engine/plan.js';
import { openEnginePort } from '../../engine/store-port.js';
import { driversFor } from '../../engine/observe.js';
import { paletteFor } from '../../render/color.js';
import type { Palette } from '../../render/color.js';
import type { CliIo } from '../io.js';
import { clock, policyDir, withPolicyErrors } from './common.js';

export interface StatusArgs {
  dir?: string | undefined;
  format?: string | undefined;
  state?: string | undefined;
  now?: string | undefined;
}

/** The snapshot of SPEC §3 (quantities as people write them), plus quotas and drift. */
export function statusJson(observed: ObservedState, plan: Plan): unknown {
  return {
    nodes: observed.nodes.map((n) => ({ name: n.name, pool: n.pool, region: n.region, zone: n.zone, labels: n.labels, taints: n.taints, ready: n.ready, capacity: toQuantities(n.capacity), ...(n.address ? { address: n.address } : {}) })),
    instances: observed.instances.map((i) => ({ name: i.name, agent: i.agent, node: i.node, requests: toQuantities(i.requests), ...(i.startedAt ? { startedAt: i.startedAt } : {}), ...(i.gpuDevices ? { gpuDevices: i.gpuDevices } : {}) })),
    scalingHistory: observed.scalingHistory,
    pools: plan.pools.map((p) => ({ name: p.name, nodes: p.nodes.current, utilizationPercent: Object.fromEntries(Object.entries(p.utilizationPercent).map(([k, v]) => [k, v.current])) })),
    quotas: plan.quotas,
    drift: { inSync: !plan.changes, summary: plan.summary },
  };
}

function bar(pct: number, c: Palette, width = 10): string {
  const fill = Math.min(width, Math.round((Math.min(pct, 100) / 100) * width));
  const s = '█'.repeat(fill) + '░'.repeat(width - fill);
  return (pct > 90 ? c.red : pct > 70 ? c.yellow : c.green)(s);
}

export interface DriverHealth {
  name: string;
  type: string;
  ok: boolean;
  message: string;
  pools: string[];
}

export function driversText(drivers: readonly DriverHealth[], c: Palette): string {
  const lines = drivers.map((d) => `  ${d.name.padEnd(16)} ${d.type.padEnd(10)} ${d.ok ? c.green('healthy') : c.red('unhealthy')}  ${c.dim(d.message)}  pools: ${d.pools.join(', ')}`);
  return [c.bold('Drivers'), ...lines, ''].join('\n') + '\n';
}

export function statusText(observed: ObservedState, plan: Plan, c: Palette): string {
  const out: string[] = [];
  out.push(c.bold('Pools'));
  for (const p of plan.pools) {
    const nodes = observed.nodes.filter((n) => n.pool === p.name);
    const ready = nodes.filter((n) => n.ready).length;
    const util = Object.entries(p.utilizationPercent).map(([k, v]) => `${k} ${bar(v.current, c)} ${String(v.current).padStart(5)}%`).join('  ');
    out.push(`  ${p.name.padEnd(16)} ${String(ready).padStart(3)}/${nodes.length} nodes ready  ${util}`);
  }
  out.push('', c.bold('Nodes'));
  for (const n of observed.nodes) {
    const inst = observed.instances.filter((i) => i.node === n.name);
    out.push(`  ${n.name.padEnd(18)} ${n.pool.padEnd(12)} ${n.zone.padEnd(14)} ${n.ready ? c.green('ready    ') : c.red('not ready')} ${String(inst.length).padStart(3)} instance${inst.length === 1 ? ' ' : 's'}  ${inst.map((i) => i.name).join(' ')}`);
  }
  if (plan.quotas.length) {
    out.push('', c.bold('Quotas (after the pending plan)'));
    for (const q of plan.quotas) {
      const parts = Object.entries(q.limits).map(([k, lim]) => `${resourceName(k)} ${human(k, q.used[k] ?? 0)}/${human(k, lim)}`);
      out.push(`  ${q.name.padEnd(16)} ${parts.join(', ')}`);
    }
  }
  out.push('', c.bold('Drift'));
  if (!plan.changes) out.push(`  ${c.green('in sync')}: the fleet matches the policy${plan.summary.blocked ? ` (${plan.summary.blocked} instance${plan.summary.blocked === 1 ? '' : 's'} blocked)` : ''}`);
  else {
    const s = plan.summary;
    const parts = [[s.place, 'missing (to place)'], [s.move, 'on the wrong node (to move)'], [s.remove, 'not declared (to remove)'], [s.evict, 'to evict'], [s.scalePool, 'pool node counts off'], [s.scaleAgent, 'agent replica changes']].filter(([n]) => (n as number) > 0).map(([n, t]) => `${n} ${t}`);
    out.push(`  ${c.yellow('drift')}: ${parts.join(', ')}${s.blocked ? `; ${s.blocked} blocked` : ''} — qm plan shows the changes, qm apply or qm reconcile --mode fix makes them`);
  }
  return out.join('\n') + '\n';
}

export async function statusCommand(args: StatusArgs, io: CliIo): Promise<number> {
  const format = args.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new QmError('usage', `--format ${format} is not supported by qm status`, 'use text or json');
  const dir = policyDir(io, args.dir);
  return withPolicyErrors(io, async () => {
    // The policy first: an empty or invalid directory is refused before a state store is opened (or created) in it.
    const loaded = await loadValidPolicy(dir, undefined, { command: 'status' });
    const store = await openEnginePort(dir, args.state, io.env);
    try {
      const now = clock(args.now)();
      const { plan, observed, policy } = await runPlan({ dir, now, store, loaded });
      const set = driversFor(policy, store);
      const drivers: DriverHealth[] = [];
      try {
        for (const [name, { driver, pools }] of [...set.drivers].sort(([a], [b]) => (a < b ? -1 : 1))) {
          const h = await driver.health({ policy, pools, now }).catch((e: Error) => ({ ok: false, message: e.message }));
          drivers.push({ name, type: driver.type, ok: h.ok, message: h.message, pools: pools.map((p) => p.metadata.name) });
        }
      } finally {
        await set.close();
      }
      const c = paletteFor(io.stdout, io.env);
      io.stdout.write(format === 'json' ? JSON.stringify({ ...(statusJson(observed, plan) as object), drivers }, null, 2) + '\n' : driversText(drivers, c) + statusText(observed, plan, c));
      return 0;
    } finally {
      await store.close();
    }
  });
}
