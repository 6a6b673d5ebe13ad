/** Every driver type, registered once. A test checks each folder under src/drivers/ is registered. */
import type { DriverDoc, DriverType } from '../model/documents.js';
import { QmError } from '../model/errors.js';
import type { Driver } from './contract.js';
import type { SimStore } from './sim/store.js';
import { SimDriver } from './sim/driver.js';
import type { SimOptions } from './sim/driver.js';
import { createDockerDriver } from './docker/driver.js';
import { createKubernetesDriver } from './kubernetes/driver.js';
import { createClusterApiDriver } from './clusterapi/driver.js';
import { createAwsDriver } from './aws/driver.js';
import { createExecDriver } from './exec/driver.js';

export interface DriverFactoryContext {
  /** The Driver document's name, or the built-in type name. */
  name: string;
  /** The Driver document, when the pool names one. */
  doc?: DriverDoc;
  store: SimStore;
  /** The policy repository root (an exec driver's relative command resolves against it); absent: the working directory. */
  root?: string;
}

export type DriverFactory = (ctx: DriverFactoryContext) => Driver;

function register(entries: [DriverType, DriverFactory][]): ReadonlyMap<DriverType, DriverFactory> {
  const map = new Map<DriverType, DriverFactory>();
  for (const [type, f] of entries) {
    if (map.has(type)) throw new Error(`driver type '${type}' is registered twice`);
    map.set(type, f);
  }
  return map;
}

export const DRIVERS = register([
  ['sim', (ctx) => new SimDriver(ctx.name, ctx.store, (ctx.doc?.spec.sim as SimOptions | undefined) ?? {})],
  ['docker', (ctx) => createDockerDriver(ctx.name, ctx.store, ctx.doc)],
  ['kubernetes', (ctx) => createKubernetesDriver(ctx.name, ctx.store, ctx.doc)],
  ['clusterapi', (ctx) => createClusterApiDriver(ctx.name, ctx.store, ctx.doc)],
  ['aws', (ctx) => createAwsDriver(ctx.name, ctx.store, ctx.doc)],
  ['exec', (ctx) => createExecDriver(ctx.name, ctx.store, ctx.doc, { root: ctx.root ?? process.cwd() })],
]);

/** Instantiate the driver a pool names: a Driver document's name, or a built-in type. */
export function createDriver(ctx: DriverFactoryContext): Driver {
  const type = (ctx.doc?.spec.type ?? ctx.name) as DriverType;
  const factory = DRIVERS.get(type);
  if (!factory) throw new QmError('driver', `driver ${ctx.name}: type '${type}' is not available in this version of qm`, `available: ${[...DRIVERS.keys()].join(', ')}; plan against a snapshot with --snapshot FILE`);
  return factory(ctx);
}
