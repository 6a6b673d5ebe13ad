import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DRIVERS } from '../../src/drivers/registry.js';
import { SimDriver } from '../../src/drivers/sim/driver.js';
import { StorePort } from '../../src/engine/store-port.js';
import { openStateStore } from '../../src/state/index.js';
import { ROOT } from '../helpers/cli.js';
import { conformancePolicy, describeDriverConformance } from './conformance.js';

describeDriverConformance('sim on SQLite', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'qm-sim-'));
  const port = new StorePort(await openStateStore(path.join(dir, 'state.db')));
  return {
    driver: new SimDriver('sim', port),
    policy: conformancePolicy('sim'),
    cleanup: async () => {
      await port.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('driver registry', () => {
  it('registers every folder under src/drivers/ that holds a driver', async () => {
    const entries = await readdir(path.join(ROOT, 'src/drivers'), { withFileTypes: true });
    const folders = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
    expect(folders.filter((f) => !DRIVERS.has(f as never))).toEqual([]);
  });
});

describe('driver routing', () => {
  it('Pool.spec.provisioner sends scalePool to a second driver; placement stays with spec.driver', async () => {
    const { driversFor } = await import('../../src/engine/observe.js');
    const policy = conformancePolicy('sim', [
      { path: 'pools/scaler.yaml', text: 'apiVersion: quartermaster.dev/v1alpha1\nkind: Driver\nmetadata: {name: scaler}\nspec: {type: sim}\n' },
    ]);
    policy.pools[0]!.spec.provisioner = 'scaler';
    const dir = await mkdtemp(path.join(tmpdir(), 'qm-route-'));
    const port = new StorePort(await openStateStore(path.join(dir, 'state.db')));
    try {
      const set = driversFor(policy, port);
      expect(set.placeBy.get('work')!.name).toBe('sim');
      expect(set.scaleBy.get('work')!.name).toBe('scaler');
      expect([...set.drivers.keys()].sort()).toEqual(['scaler', 'sim']);
      await set.close();
    } finally {
      await port.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
