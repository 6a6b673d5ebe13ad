/**
 * ssh:// endpoints, as the docker CLI reaches them: `ssh [-p PORT] TARGET docker system dial-stdio`
 * and HTTP spoken over the child's stdin/stdout. An http.Agent hands these pipes out as sockets,
 * so kept-alive connections reuse one ssh session instead of starting one per request.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

/** The ssh command line for a target: BatchMode, so a missing key fails instead of prompting. */
export function sshArgs(target: string, port?: number): string[] {
  return ['-o', 'BatchMode=yes', ...(port ? ['-p', String(port)] : []), '--', target, 'docker', 'system', 'dial-stdio'];
}

/** A Duplex over `ssh … docker system dial-stdio`, with the socket methods http.Agent calls. */
class DialStdio extends Duplex {
  private readonly child;
  private stderr = '';

  constructor(target: string, port: number | undefined) {
    super();
    this.child = spawn('ssh', sshArgs(target, port), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) this.child.stdout.pause();
    });
    this.child.stdout.on('end', () => this.push(null));
    this.child.stderr.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString('utf8')).slice(-2000);
    });
    this.child.on('error', (e) => this.destroy(e));
    this.child.on('exit', (code) => {
      if (code !== 0 && code !== null) this.destroy(new Error(`ssh ${target} exited with ${code}${this.stderr.trim() ? `: ${this.stderr.trim()}` : ''}`));
    });
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.child.stdin.write(chunk, cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.child.stdin.end(cb);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    cb(err);
  }

  // What http.Agent and ClientRequest call on a net.Socket; a pipe has no such knobs.
  setKeepAlive(): this { return this; }
  setNoDelay(): this { return this; }
  setTimeout(): this { return this; }
  ref(): this { return this; }
  unref(): this { return this; }
}

/** An http.Agent whose connections are ssh dial-stdio sessions. */
export class SshAgent extends http.Agent {
  constructor(
    private readonly target: string,
    private readonly port: number | undefined,
    opts: http.AgentOptions,
  ) {
    super(opts);
  }

  override createConnection(): Socket {
    return new DialStdio(this.target, this.port) as unknown as Socket;
  }
}
