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
