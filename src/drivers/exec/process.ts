/**
 * One plugin program, speaking JSON-RPC 2.0 on stdin/stdout, one JSON object per line (SPEC §8).
 * Started lazily on the first request, in its own process group (so a shell script's children go
 * with it), and stopped by close(): `shutdown`, a short wait, then SIGTERM and SIGKILL to the group.
 * Requests may be in flight together; answers are matched by id. Failures come back as RpcFailure
 * values with a one-sentence detail; the caller turns them into DriverErrors naming the program.
 */
import type { execa as ExecaFn, ResultPromise } from 'execa';

/** execa, loaded when the first program starts: importing it costs ~0.2 s that commands without an exec driver should not pay. */
type Execa = typeof ExecaFn;
let execaModule: Promise<Execa> | undefined;
const loadExeca = (): Promise<Execa> => (execaModule ??= import('execa').then((m) => m.execa));
import { createInterface } from 'node:readline';

export interface RpcFailure {
  /** exited/timeout/garbage/protocol: the program is unusable; error: it answered with a JSON-RPC error. */
  kind: 'exited' | 'timeout' | 'garbage' | 'protocol' | 'error' | 'start';
  detail: string;
  /** JSON-RPC error code, for `error`. */
  code?: number;
  host?: string;
  hint?: string;
}

export class RpcFailureError extends Error {
  constructor(readonly failure: RpcFailure) {
    super(failure.detail);
    this.name = 'RpcFailureError';
  }
}

export interface ProgramSpec {
  /** The resolved program and its arguments. */
  command: string[];
  cwd: string;
  env: Record<string, string>;
  /** Milliseconds a request may take. */
  timeoutMs: number;
  /** Where the program's stderr lines go (already prefixed by the caller). */
  log: (line: string) => void;
}

interface Pending {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: RpcFailureError) => void;
  timer: NodeJS.Timeout;
}

/** How long `shutdown` may take before the process group is terminated, and TERM before KILL. */
const SHUTDOWN_GRACE_MS = 1000;
const KILL_GRACE_MS = 1000;

/** Process groups still alive, killed if qm exits without closing (an uncaught error, process.exit). */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  });
  // Dying of a signal emits no 'exit': where no command handles the signal itself (qm apply and
  // qm reconcile do, and close their drivers), kill the plugins, then die of it as before.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      if (process.listenerCount(sig) > 1) return;
      for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
      process.off(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

export class RpcProcess {
  private child: ResultPromise | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private outputLine = 0;
  private lastStderr = '';
  /** Set once the program became unusable; every later request fails with it. */
  private broken: RpcFailure | undefined;
  private exited: Promise<void> | undefined;
  private closing = false;
  private starting: Promise<void> | undefined;

  constructor(private readonly spec: ProgramSpec) {}

  /** Send a request and wait for its answer (or a failure). */
  async request(method: string, params: unknown): Promise<unknown> {
    if (this.broken) throw new RpcFailureError(this.broken);
    // (The child is a thenable: it is read from the field, never resolved through a promise.)
    if (!this.child) await (this.starting ??= loadExeca().then((run) => void this.ensureStarted(run)));
    const child = this.child;
    if (this.broken) throw new RpcFailureError(this.broken);
    if (!child) throw new RpcFailureError({ kind: 'start', detail: 'the program could not be started' });
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        const secs = this.spec.timeoutMs / 1000;
        this.fail({ kind: 'timeout', detail: `the program did not answer within ${secs}s (spec.exec.timeout), so it was stopped` }, id);
      }, this.spec.timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      // A failed write means the program is gone: its exit (or failure to start) reports it.
      child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  private ensureStarted(execa: Execa): ResultPromise {
    if (this.child) return this.child;
    installExitHook();
    const [file, ...args] = this.spec.command;
    const child = execa(file!, args, {
      cwd: this.spec.cwd,
      env: this.spec.env,
      // Own process group: the whole tree can be signalled at once, and Ctrl-C in a terminal
      // reaches qm, which then shuts the program down in order.
      detached: true,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: false,
    });
    this.child = child;
    if (child.pid !== undefined) liveGroups.add(child.pid);
    child.stdin!.on('error', () => undefined); // EPIPE when it died: reported through its exit
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.trim()) this.lastStderr = line.trim();
      this.spec.log(line);
    });
    this.exited = child.then(
      // No exit code and no signal: it never started (the result carries the spawn error's code).
      (r) => this.onExit(r.exitCode, r.signal, r.exitCode === undefined && r.signal === undefined ? r : undefined),
      (e: unknown) => this.onExit(undefined, undefined, e),
    );
    return child;
  }

  private onLine(line: string): void {
    this.outputLine++;
    if (!line.trim()) return;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      return this.fail({ kind: 'garbage', detail: `the program wrote a line that is not JSON (line ${this.outputLine} of its output, ${line.length} characters); it must write only JSON-RPC answers to stdout, and logs to stderr` });
    }
    const m = msg as { id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown; data?: { host?: unknown; hint?: unknown } } };
    if (this.closing && typeof m?.id === 'number' && !this.pending.has(m.id)) return; // the answer to shutdown
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg) || typeof m.id !== 'number' || !this.pending.has(m.id)) {
      // Notifications from the program are not part of protocol version 1.
      const what = typeof m?.id === 'number' ? `an answer to request ${m.id}, which is not waiting` : 'a JSON value that is not an answer to a request (no known id)';
      return this.fail({ kind: 'protocol', detail: `the program wrote ${what} (line ${this.outputLine} of its output)` });
    }
    const p = this.pending.get(m.id)!;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.error !== undefined) {
      const e = m.error;
      const code = typeof e?.code === 'number' ? e.code : undefined;
      const text = typeof e?.message === 'string' && e.message.trim() ? e.message.trim() : 'it answered with an error without a message';
      const f: RpcFailure = { kind: 'error', detail: text };
      if (code !== undefined) f.code = code;
      if (code === -32601) f.detail = `the program does not implement the method ${p.method} (JSON-RPC error -32601: ${text})`;
      if (typeof e?.data?.host === 'string') f.host = e.data.host;
      if (typeof e?.data?.hint === 'string') f.hint = e.data.hint;
      p.reject(new RpcFailureError(f));
    } else if (!('result' in (msg as object))) {
      this.fail({ kind: 'protocol', detail: `the program answered request ${m.id} with neither result nor error (line ${this.outputLine} of its output)` });
    } else {
      p.resolve(m.result);
    }
  }

  private exitFailure(code: number | undefined, signal: string | undefined, cause?: unknown): RpcFailure {
    const causeCode = (cause as { code?: string } | undefined)?.code;
    if (causeCode === 'ENOENT') return { kind: 'start', detail: `the program could not be started: ${this.spec.command[0]} does not exist`, hint: 'correct spec.exec.command (a relative path is resolved against the policy repository root)' };
    if (causeCode === 'EACCES') return { kind: 'start', detail: `the program could not be started: ${this.spec.command[0]} is not executable`, hint: `chmod +x it, or name its interpreter first in spec.exec.command (["python3", "…"])` };
    if (causeCode !== undefined && code === undefined && signal === undefined) return { kind: 'start', detail: `the program could not be started (${causeCode})` };
    const how = signal ? `was killed by ${signal}` : code === undefined ? 'closed its output' : `exited with code ${code}`;
    const words = this.lastStderr ? ` (last line on stderr: ${JSON.stringify(truncate(this.lastStderr, 200))})` : ' (nothing on stderr)';
    return { kind: 'exited', detail: `the program ${how}${words}` };
  }

  private onExit(code: number | undefined, signal: string | undefined, cause?: unknown): void {
    if (this.child?.pid !== undefined) {
      // The leader is gone; children it left in the group go too.
      killGroup(this.child.pid, 'SIGKILL');
      liveGroups.delete(this.child.pid);
    }
    if (this.closing && this.pending.size === 0) return;
    if (!this.broken) this.fail(this.exitFailure(code, signal, cause));
  }

  /**
   * The program is unusable: fail every waiting request (the one that caused it with `failure`,
   * the others saying why they were cut short) and stop the program.
   */
  private fail(failure: RpcFailure, culprit?: number): void {
    if (!this.broken) this.broken = failure;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      const f = culprit === undefined || id === culprit ? failure : { kind: failure.kind, detail: `the program was stopped while this request waited, because ${failureCause(failure)}` };
      p.reject(new RpcFailureError(f));
    }
    this.pending.clear();
    void this.terminate();
  }

  private async terminate(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined || !liveGroups.has(pid)) return;
    killGroup(pid, 'SIGTERM');
    const gone = await Promise.race([this.exited!.then(() => true), sleep(KILL_GRACE_MS).then(() => false)]);
    if (!gone) killGroup(pid, 'SIGKILL');
    await this.exited;
  }

  /** `shutdown`, a short wait for the program to exit by itself, then the process group is terminated. */
  async close(): Promise<void> {
    if (!this.child || this.closing) return;
    this.closing = true;
    if (!this.broken && this.child.pid !== undefined && liveGroups.has(this.child.pid)) {
      const id = this.nextId++;
      this.child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id, method: 'shutdown', params: {} })}\n`);
      this.child.stdin!.end();
      await Promise.race([this.exited, sleep(SHUTDOWN_GRACE_MS)]);
    }
    await this.terminate();
    await this.exited;
  }

  /** The process group id while the program runs (tests check nothing is left). */
  get pid(): number | undefined {
    return this.child?.pid;
  }
}

function failureCause(f: RpcFailure): string {
  return f.detail.replace(/^the program /, 'it ');
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
