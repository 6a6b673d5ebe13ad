/** Helpers for the `qm serve` tests: real processes on free ports, polled with generous waits. */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { QM, ROOT } from '../helpers/cli.js';
import { tempRepo } from '../helpers/repo.js';
import type { TempRepo } from '../helpers/repo.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An installed binary's path, or undefined. */
export const which = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim() || undefined;

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Poll until `ok` holds (generous: the machine is shared); the error carries `context()`. */
export async function waitFor(what: string, ok: () => Promise<boolean>, ms = 60_000, context: () => string = () => ''): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await ok().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`${what} did not happen within ${ms / 1000}s\n${context().slice(-4000)}`);
}

/** The example fleet (agents, pools, policies, metrics of the repository root) committed in a fresh Git repository. */
export async function exampleFleetRepo(): Promise<TempRepo> {
  const r = await tempRepo({ git: true });
  for (const d of ['agents', 'pools', 'policies', 'metrics']) await cp(path.join(ROOT, d), path.join(r.dir, d), { recursive: true });
  await r.commit('the example fleet');
  return r;
}

export interface ServeProc {
  proc: ChildProcess;
  port: number;
  url: string;
  stderr: () => string;
  /** The JSON log lines so far, parsed. */
  logs: () => Record<string, unknown>[];
  exited: Promise<number | null>;
  get: (p: string) => Promise<{ status: number; body: string }>;
  /** Send a signal unless it has exited; SIGKILL after `ms` if it does not exit. Returns the exit code. */
  stop: (signal?: NodeJS.Signals, ms?: number) => Promise<number | null>;
}

/** Start `node bin/qm.js serve DIR --listen 127.0.0.1:PORT ...args`. */
export async function startServe(dir: string, args: string[], env: Record<string, string> = {}): Promise<ServeProc> {
  const port = await freePort();
  const proc = spawn(process.execPath, [QM, 'serve', dir, '--listen', `127.0.0.1:${port}`, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  proc.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const get = async (p: string) => {
    const r = await fetch(`${url}${p}`);
    return { status: r.status, body: await r.text() };
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', ms = 30_000) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
    process.kill(proc.pid!, signal);
    const code = await Promise.race([exited, sleep(ms).then(() => 'timeout' as const)]);
    if (code === 'timeout') {
      process.kill(proc.pid!, 'SIGKILL');
      return exited;
    }
    return code;
  };
  const logs = () =>
    err
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return { unparsed: l };
        }
      });
  return { proc, port, url, stderr: () => err, logs, exited, get, stop };
}

/** The value of one sample in a text exposition (`name{a="b"}`, labels in any order), or undefined. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}
