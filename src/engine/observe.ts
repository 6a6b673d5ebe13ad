/** Observe the fleet: through the pools' drivers, or from a snapshot file (read-only). */
import type { PolicySet, PoolDoc } from '../model/documents.js';
import type { ObservedState } from '../model/state.js';
import type { Driver } from '../drivers/contract.js';
import { DriverError } from '../drivers/contract.js';
import { createDriver } from '../drivers/registry.js';
import type { SimStore } from '../drivers/sim/store.js';
import { QmError } from '../model/errors.js';
import { isStoreFailure } from '../state/failure.js';
import { instrumentDriver } from './telemetry.js';

export interface DriverSet {
  /**
   * Driver name → driver, the pools it serves (places on) and the pools it provisions for another
   * placing driver (observed only for their warnings: the placing driver observes the nodes).
   */
  drivers: Map<string, { driver: Driver; pools: PoolDoc[]; provisions: PoolDoc[] }>;
  /** Pool name → the driver that places on it, and the one that scales it. */
  placeBy: Map<string, Driver>;
  scaleBy: Map<string, Driver>;
  close(): Promise<void>;
}

/** One driver instance per driver name used by a pool (placement or provisioning). */
export function driversFor(policy: PolicySet, store: SimStore, root?: string): DriverSet {
  const drivers = new Map<string, { driver: Driver; pools: PoolDoc[]; provisions: PoolDoc[] }>();
  const get = (name: string) => {
    let d = drivers.get(name);
    if (!d) {
      const doc = policy.drivers.find((x) => x.metadata.name === name);
      d = { driver: instrumentDriver(createDriver({ name, store, ...(doc ? { doc } : {}), ...(root !== undefined ? { root } : {}) })), pools: [], provisions: [] };
      drivers.set(name, d);
    }
    return d;
  };
  const placeBy = new Map<string, Driver>();
  const scaleBy = new Map<string, Driver>();
  for (const pool of policy.pools) {
    const d = get(pool.spec.driver);
    d.pools.push(pool);
    placeBy.set(pool.metadata.name, d.driver);
    let provisioner = d.driver;
    if (pool.spec.provisioner && pool.spec.provisioner !== pool.spec.driver) {
      const p = get(pool.spec.provisioner);
      p.provisions.push(pool);
      provisioner = p.driver;
    }
    // A provisioner that cannot scale refuses at apply time with the driver named; planning still works.
    scaleBy.set(pool.metadata.name, provisioner);
    // A placing driver that cannot list the pool's machines (Docker engines) takes them from the provisioner.
    if (!pool.spec.nodes && provisioner !== d.driver && provisioner.machines && d.driver.provisionedBy) d.driver.provisionedBy(pool.metadata.name, provisioner.name, provisioner.machines);
  }
  return {
    drivers,
    placeBy,
    scaleBy,
    async close() {
      await Promise.all([...drivers.values()].map((d) => d.driver.close()));
    },
  };
}

/** A driver that could not be observed (only with `collectFailures`). */
export interface DriverFailure {
  driver: string;
  pools: string[];
  message: string;
  hint?: string | undefined;
}

export type ObservedFleet = ObservedState & { warnings: string[]; failed: DriverFailure[] };

/**
 * Observe every pool through its driver and merge the results, sorted by name. A driver that fails
 * makes the whole observation fail (QmError 'driver'), unless `collectFailures`: then its pools are
 * left out and the failure is listed in `failed` (qm status shows what it can). With `usage`, the
 * drivers that can also measure real use (DriverContext.usage).
 */
export async function observeFleet(policy: PolicySet, set: DriverSet, now: string, opts: { collectFailures?: boolean; usage?: boolean } = {}): Promise<ObservedFleet> {
  const nodes: ObservedState['nodes'] = [];
  const instances: ObservedState['instances'] = [];
  const history: ObservedState['scalingHistory'] = [];
  const warnings: string[] = [];
  const failed: DriverFailure[] = [];
  const seenHistory = new Set<string>();
  for (const [name, entry] of [...set.drivers].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const { driver } = entry;
    // A pure provisioner is observed with the pools it scales, for its warnings (an Auto Scaling
    // group whose bounds disagree with the pool's); the nodes are the placing driver's to report.
    const provisionerOnly = entry.pools.length === 0;
    const pools = provisionerOnly ? entry.provisions : entry.pools;
    if (pools.length === 0) continue;
    let obs;
    try {
      obs = await driver.observe({ policy, pools, now, ...(opts.usage && !provisionerOnly ? { usage: true } : {}) });
      if (provisionerOnly) obs = { ...obs, nodes: [], instances: [] };
    } catch (e) {
      // The state store failing under the sim driver is not the driver's fault: say what the store says.
      if (isStoreFailure(e)) throw e;
      const served = pools.map((p) => p.metadata.name).join(', ');
      const message = e instanceof DriverError ? `${e.message} (serving pools ${served})` : `driver ${name}: observing pools ${served} failed: ${(e as Error).message}`;
      const hint = e instanceof DriverError && e.hint ? e.hint : 'check that the driver is reachable; qm plan --snapshot FILE plans without it';
      if (!opts.collectFailures) throw new QmError('driver', message, hint);
      failed.push({ driver: name, pools: pools.map((p) => p.metadata.name), message, hint });
      continue;
    }
    nodes.push(...obs.nodes);
    instances.push(...obs.instances);
    warnings.push(...obs.warnings);
    for (const h of obs.scalingHistory) {
      const key = JSON.stringify(h);
      if (!seenHistory.has(key)) history.push(h);
      seenHistory.add(key);
    }
  }
  const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return { nodes: nodes.sort(byName), instances: instances.sort(byName), scalingHistory: history.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)), warnings, failed };
}
