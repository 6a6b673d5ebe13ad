/**
 * StorePort keeps the sim cluster it read, at its revision, between reads (qm serve observes every
 * minute): a write by anyone, this process or another on the same state store, must be seen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StorePort } from '../../src/engine/store-port.js';
import { openStateStore } from '../../src/state/index.js';
import type { ObservedNode } from '../../src/model/state.js';

const dir = mkdtempSync(path.join(tmpdir(), 'qm-port-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const node = (name: string): ObservedNode => ({ name, pool: 'p', region: 'r', zone: 'z', labels: { tier: 'a' }, taints: [], ready: true, capacity: { cpuMillis: 4000 }, costPerHour: 0, powerWatts: 0 });

describe('StorePort.simGet', () => {
  it('serves the kept copy while the revision holds, and reads again after a write from this port or another process', async () => {
    const file = path.join(dir, 'state.db');
    const mine = await openStateStore(file);
    const other = await openStateStore(file);
    try {
      const port = new StorePort(mine);
      expect(await mine.cluster.revision('c')).toBe(0);
      await port.simApply('c', [{ op: 'putNode', node: node('n-0') }, { op: 'putInstance', instance: { name: 'i-0', agent: 'a', node: 'n-0', requests: { cpuMillis: 100 } } }]);
      expect(await mine.cluster.revision('c')).toBe(1);
      const first = await port.simGet('c');
      expect(first.instances.map((i) => i.name)).toEqual(['i-0']);
      const again = await port.simGet('c');
      // The same objects: nothing was parsed again.
      expect(again.instances[0]).toBe(first.instances[0]);
      // Shared between reads, so nobody may change them in place.
      expect(Object.isFrozen(first.instances[0])).toBe(true);
      expect(Object.isFrozen(first.nodes[0]!.labels)).toBe(true);
      expect(() => {
        (first.instances[0]!.requests as Record<string, number>).cpuMillis = 1;
      }).toThrow(TypeError);

      // Another process writes the same store.
      await other.cluster.putInstance('c', { name: 'i-1', agent: 'a', node: 'n-0', requests: { cpuMillis: 200 } });
      expect(await mine.cluster.revision('c')).toBe(2);
      const seen = await port.simGet('c');
      expect(seen.instances.map((i) => i.name)).toEqual(['i-0', 'i-1']);

      // This port writes: the next read is fresh too.
      await port.simApply('c', [{ op: 'deleteInstance', name: 'i-0' }]);
      expect((await port.simGet('c')).instances.map((i) => i.name)).toEqual(['i-1']);
      // An empty write does not move the revision (and changes nothing).
      expect(await other.cluster.write('c', [])).toBe(3);
      expect(await mine.cluster.revision('c')).toBe(3);
    } finally {
      await mine.close();
      await other.close();
    }
  });
});
