/**
 * The usage part of `qm status` (issue #15): per agent and per pool, the requests next to the real
 * use the drivers measured, "—" where nothing was measured. Text and JSON.
 */
import { formatBytes, resourceName } from '../../model/quantity.js';
import { toQuantities } from '../../model/quantity-format.js';
import type { ObservedState } from '../../model/state.js';
import type { UsageTotals } from '../../model/usage-summary.js';
import { usageByTarget, utilizationPercent } from '../../model/usage-summary.js';
import type { Palette } from '../../render/color.js';

/** The resources shown, in this order; others (extended resources) are never measured. */
const SHOWN = ['cpuMillis', 'memoryBytes', 'gpuMillis'] as const;

function amount(key: string, v: number): string {
  if (key === 'cpuMillis' || key === 'gpuMillis') return String(Math.round(v) / 1000);
  if (key === 'memoryBytes') return formatBytes(Math.round(v));
  return String(v);
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function entryJson(name: string, t: UsageTotals): unknown {
  const pct = utilizationPercent(t);
  return {
    name,
    instances: t.instances,
    measured: t.measured,
    requests: toQuantities(t.requests),
    // null, not {}: nothing was measured (never zero use).
    use: t.measured ? toQuantities(t.use) : null,
    utilizationPercent: Object.fromEntries(Object.entries(pct).map(([k, v]) => [resourceName(k), round1(v)])),
    ...(t.at ? { measuredAt: t.at } : {}),
  };
}

/** `usage` of qm status --format json: per agent and pool with instances. */
export function usageJson(observed: ObservedState): unknown {
  const u = usageByTarget(observed.instances, observed.nodes);
  return { agents: u.agents.map((a) => entryJson(a.name, a.totals)), pools: u.pools.map((p) => entryJson(p.name, p.totals)) };
}

function line(name: string, t: UsageTotals, c: Palette, width: number): string {
  const pct = utilizationPercent(t);
  const parts: string[] = [];
  for (const k of SHOWN) {
    if (t.requests[k] === undefined && t.use[k] === undefined) continue;
    const req = t.requests[k] !== undefined ? amount(k, t.requests[k]) : '0';
    const use = t.use[k] !== undefined ? amount(k, t.use[k]) : c.dim('—');
    const p = pct[k] !== undefined ? ` (${round1(pct[k])}%${t.measured < t.instances ? ' of the measured' : ''})` : '';
    parts.push(`${resourceName(k)} ${req} → ${use}${p}`);
  }
  const measured = t.measured === t.instances ? `${t.measured}/${t.instances} measured` : c.yellow(`${t.measured}/${t.instances} measured`);
  return `  ${name.padEnd(width)} ${measured}  ${parts.join('  ') || c.dim('no requests')}`;
}

/** The "Usage" section: requests → real use per agent and pool; nothing when no instance runs. */
export function usageText(observed: ObservedState, c: Palette): string {
  const u = usageByTarget(observed.instances, observed.nodes);
  if (u.agents.length === 0) return '';
  const out = ['', c.bold('Usage (requests → real use)')];
  if (!observed.instances.some((i) => i.usage)) out.push(`  ${c.dim('— not measured: the drivers of these pools report no real use (docker and kubernetes with metrics.k8s.io do)')}`);
  else {
    const width = Math.max(22, ...u.agents.map((a) => a.name.length + 6), ...u.pools.map((p) => p.name.length + 5));
    for (const a of u.agents) out.push(line(`agent ${a.name}`, a.totals, c, width));
    for (const p of u.pools) out.push(line(`pool ${p.name}`, p.totals, c, width));
  }
  return out.join('\n') + '\n';
}
