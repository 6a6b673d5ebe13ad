/** Building exec drivers for tests: the example plugin (examples/file-cloud) and the broken fixture. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DriverDoc } from '../../src/model/documents.js';
import { createExecDriver } from '../../src/drivers/exec/driver.js';
import type { ExecDriver } from '../../src/drivers/exec/driver.js';
import { ROOT } from '../helpers/cli.js';

export const FILE_CLOUD = path.join(ROOT, 'examples/file-cloud/file_cloud.py');
export const BROKEN = path.join(ROOT, 'test/fixtures/exec/broken_plugin.py');

export function execDoc(name: string, exec: Record<string, unknown>): DriverDoc {
  return {
    apiVersion: 'quartermaster.dev/v1alpha1',
    kind: 'Driver',
    metadata: { name, labels: {} },
    spec: { type: 'exec', exec },
    source: { file: 'drivers.yaml', index: 0, line: 1, column: 1 },
  } as unknown as DriverDoc;
}

/** A store that keeps scaling history in memory. */
export function memoryHistory(): { scalingHistory(): Promise<never[]>; appendScaling(): Promise<void>; events: unknown[] } {
  const events: unknown[] = [];
  return { events, scalingHistory: async () => [], appendScaling: async (...e: unknown[]) => void events.push(e[0]) };
}

export function execDriver(name: string, exec: Record<string, unknown>, opts: { root?: string; env?: Record<string, string | undefined>; log?: (l: string) => void } = {}): ExecDriver {
  return createExecDriver(name, memoryHistory(), execDoc(name, exec), { root: opts.root ?? ROOT, env: opts.env ?? process.env, log: opts.log ?? (() => undefined) });
}

/** Whether a process (or any process of a group, for a negative id) still exists; zombies count as gone. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (pid < 0) return true;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The plugins are Python 3: without it the exec tests skip, except under CI, where they fail (.ci/run installs it). */
export const NO_PYTHON = !process.env.CI && spawnSync('python3', ['--version']).status !== 0;

/**
 * Whether the process is still alive once it had the chance to die: a SIGKILL just sent takes a
 * moment to land on a loaded machine, so poll for up to `ms` before calling it leaked.
 */
export async function aliveAfterKill(pid: number, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > deadline) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
