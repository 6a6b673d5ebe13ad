/** Run the real `qm` binary (bin/qm.js → dist/) as a child process. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const QM = path.join(ROOT, 'bin', 'qm.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run qm with args in cwd; NO_COLOR unless the caller's env says otherwise. */
export function qm(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): RunResult {
  const r = spawnSync(process.execPath, [QM, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', ...opts.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
