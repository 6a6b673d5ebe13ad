/** Small builders for the store suite: observed objects, a movable clock, an expected QmError. */
import { expect } from 'vitest';
import { QmError } from '../../src/model/errors.js';
import type { ObservedInstance, ObservedNode } from '../../src/model/state.js';

export const node = (name: string, extra: Partial<ObservedNode> = {}): ObservedNode => ({
  name,
  pool: 'gpu-east',
  region: 'us-east-1',
  zone: 'us-east-1a',
  labels: { rack: 'r1' },
  taints: [],
  ready: true,
  capacity: { cpuMillis: 16000, memoryBytes: 68719476736, gpuMillis: 4000 },
  costPerHour: 3.2,
  powerWatts: 700,
  ...extra,
});

export const instance = (name: string, nodeName: string, extra: Partial<ObservedInstance> = {}): ObservedInstance => ({
  name,
  agent: name.replace(/-\d+$/, ''),
  node: nodeName,
  requests: { cpuMillis: 2000, memoryBytes: 8589934592 },
  ...extra,
});

/** A clock the test moves. */
export function clock(start = '2026-11-28T10:00:00.000Z') {
  let t = Date.parse(start);
  return { now: () => new Date(t), advance: (seconds: number) => (t += seconds * 1000) };
}

export async function rejection(p: Promise<unknown>): Promise<QmError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(QmError);
  return err as QmError;
}
