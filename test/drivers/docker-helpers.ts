/**
 * Real Docker engines for the docker driver's tests: each `dockerd` gets its own data root, exec
 * root and unix socket under /tmp/qmd-XXXX/ (short: socket paths max ~107 chars), is stopped by its
 * PID, and gets the image `agent:local` imported from a busybox rootfs (no registry).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, copyFileSync, closeSync } from 'node:fs';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export const IMAGE = 'agent:local';

const BUSYBOX = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

/** Whether this machine can run the docker tests (root, dockerd, the docker CLI, busybox). */
export function dockerAvailable(): { ok: boolean; why: string } {
  if (process.getuid?.() !== 0) return { ok: false, why: 'not root' };
  if (!onPath('dockerd')) return { ok: false, why: 'dockerd is not installed (apt-get install docker.io)' };
  if (!onPath('docker')) return { ok: false, why: 'the docker CLI is not installed (apt-get install docker.io)' };
  if (!BUSYBOX) return { ok: false, why: 'busybox is not installed (apt-get install busybox-static)' };
  return { ok: true, why: '' };
}

/**
 * Skip only outside CI: in CI (process.env.CI set) a missing dockerd must fail the suite, so the
 * caller does not skip and `startDaemons` throws with the reason.
 */
export const SKIP_DOCKER = !process.env.CI && !dockerAvailable().ok;

export interface Daemon {
  dir: string;
  sock: string;
  /** unix:///tmp/qmd-XXXX/docker.sock */
  address: string;
  pid: number;
  /** Also listening on tcp://127.0.0.1:port with TLS, certificates in `certs` (ca.pem, cert.pem, key.pem for clients). */
  tcp?: { port: number; certs: string };
  /** Also listening here without TLS (`tcp://127.0.0.2:2375`: loopback addresses standing for machines' private addresses). */
  hosts?: string[];
  /** Killed hard and not restarted yet: its containers outlive it until a daemon on the same roots stops them. */
  killed?: boolean;
}

const running = new Set<Daemon>();
process.on('exit', () => {
  // Last resort if a test process dies before afterAll: never leave a daemon behind.
  for (const d of running) try { process.kill(d.pid, 'SIGKILL'); } catch { /* gone */ }
});

/** GET /_ping on a unix socket: true when the engine answers OK. */
export function ping(sock: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: sock, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function launch(d: Omit<Daemon, 'pid'>): number {
  const log = openSync(`${d.dir}/dockerd.log`, 'a');
  const tls = d.tcp ? ['-H', `tcp://127.0.0.1:${d.tcp.port}`, '--tlsverify', '--tlscacert', `${d.tcp.certs}/ca.pem`, '--tlscert', `${d.tcp.certs}/server-cert.pem`, '--tlskey', `${d.tcp.certs}/server-key.pem`] : [];
  const child = spawn('dockerd', [
    '--iptables=false', '--ip6tables=false', '--bridge=none', '--storage-driver=overlay2',
    '--data-root', `${d.dir}/data`, '--exec-root', `${d.dir}/exec`, '-H', d.address, ...(d.hosts ?? []).flatMap((h) => ['-H', h]), ...tls, '--pidfile', `${d.dir}/docker.pid`,
  ], { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  child.unref();
  if (!child.pid) throw new Error('dockerd did not start');
  return child.pid;
}

async function waitReady(d: Daemon, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ping(d.sock)) return;
    if (!alive(d.pid)) break;
    await sleep(100);
  }
  const log = existsSync(`${d.dir}/dockerd.log`) ? readFileSync(`${d.dir}/dockerd.log`, 'utf8').split('\n').slice(-15).join('\n') : '';
  throw new Error(`dockerd (pid ${d.pid}) at ${d.address} did not become ready:\n${log}`);
}

/** Alive and not a zombie. */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let rootfs: string | undefined;

/** A minimal rootfs: busybox and the applets the tests run. */
function busyboxRootfs(): string {
  if (rootfs) return rootfs;
  rootfs = mkdtempSync('/tmp/qmd-rootfs-');
  mkdirSync(`${rootfs}/bin`);
  mkdirSync(`${rootfs}/tmp`);
  copyFileSync(BUSYBOX!, `${rootfs}/bin/busybox`);
  for (const applet of ['sh', 'sleep', 'cat', 'echo', 'ls', 'true', 'env', 'ps', 'kill']) symlinkSync('busybox', `${rootfs}/bin/${applet}`);
  return rootfs;
}

/** Import agent:local into a daemon from the busybox rootfs. */
export function importImage(d: Daemon): void {
  const r = spawnSync('sh', ['-c', `tar -C '${busyboxRootfs()}' -c . | docker -H '${d.address}' import - ${IMAGE}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker import into ${d.address} failed: ${r.stderr}`);
}

/** Whether openssl is there to make certificates for the TLS test. */
export const HAVE_OPENSSL = onPath('openssl');

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as `docker` expects them in DOCKER_CERT_PATH. */
export function makeCerts(dir: string): void {
  const sh = (cmd: string) => {
    const r = spawnSync('sh', ['-c', cmd], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  };
  sh('openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=qm-test-ca -keyout ca-key.pem -out ca.pem 2>/dev/null');
  sh('openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server-key.pem -out server.csr 2>/dev/null');
  sh('printf "subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n" > server.ext && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 -extfile server.ext -out server-cert.pem 2>/dev/null');
  sh('openssl req -newkey rsa:2048 -nodes -subj /CN=qm-client -keyout key.pem -out client.csr 2>/dev/null');
  sh('printf "extendedKeyUsage=clientAuth\\n" > client.ext && openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 -extfile client.ext -out cert.pem 2>/dev/null');
}

/** A TCP port free on every one of these loopback addresses (all of 127.0.0.0/8 is loopback). */
export async function freePortOn(hosts: readonly string[]): Promise<number> {
  const net = await import('node:net');
  const tryListen = (port: number, host: string) => new Promise<number | undefined>((resolve) => {
    const srv = net.createServer().on('error', () => resolve(undefined)).listen(port, host, () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  for (let k = 0; k < 20; k++) {
    const port = await tryListen(0, hosts[0]!);
    if (port === undefined) break;
    let free = true;
    for (const h of hosts.slice(1)) if ((await tryListen(port, h)) === undefined) free = false;
    if (free) return port;
  }
  throw new Error(`no TCP port free on all of ${hosts.join(', ')}`);
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Start `n` daemons side by side, each with agent:local; with `tls`, the first also listens on
 * tcp://127.0.0.1 with TLS and client certificates; with `hosts`, daemon i also listens on the
 * addresses hosts[i] (plain TCP). Throws (with the reason) when docker is unavailable.
 */
export async function startDaemons(n: number, opts: { tls?: boolean; hosts?: string[][] } = {}): Promise<Daemon[]> {
  const avail = dockerAvailable();
  if (!avail.ok) throw new Error(`the docker tests need real Docker engines: ${avail.why}`);
  const out: Daemon[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const dir = mkdtempSync('/tmp/qmd-');
      const sock = `${dir}/docker.sock`;
      const d: Daemon = { dir, sock, address: `unix://${sock}`, pid: 0, ...(opts.hosts?.[i] ? { hosts: opts.hosts[i] } : {}) };
      if (opts.tls && i === 0) {
        mkdirSync(`${dir}/certs`);
        makeCerts(`${dir}/certs`);
        d.tcp = { port: await freePort(), certs: `${dir}/certs` };
      }
      d.pid = launch(d);
      running.add(d);
      out.push(d);
    }
    await Promise.all(out.map((d) => waitReady(d)));
    for (const d of out) importImage(d);
    return out;
  } catch (e) {
    await stopDaemons(out);
    throw e;
  }
}

/** Kill a daemon hard (SIGKILL), as a crash would; its containers' shims may live on. */
export function killDaemon(d: Daemon): void {
  try { process.kill(d.pid, 'SIGKILL'); } catch { /* gone */ }
  d.killed = true;
}

/** Start a killed daemon again on the same roots and socket. */
export async function restartDaemon(d: Daemon): Promise<void> {
  for (let i = 0; i < 50 && alive(d.pid); i++) await sleep(100);
  // The killed daemon's containerd dies with it, but not instantly; a new dockerd that still sees its
  // pid (or a zombie that nobody reaped) waits for it forever instead of starting its own.
  const pidFile = `${d.dir}/exec/containerd/containerd.pid`;
  const old = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
  for (let i = 0; i < 100 && old > 0 && isRunning(old); i++) await sleep(100);
  if (old > 0 && isRunning(old)) try { process.kill(old, 'SIGKILL'); } catch { /* gone */ }
  rmSync(pidFile, { force: true });
  rmSync(d.sock, { force: true });
  d.pid = launch(d);
  await waitReady(d);
  d.killed = false;
}

function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m === dir || m.startsWith(`${dir}/`));
  for (const m of mounts.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m]);
}

/** Stop daemons by PID (SIGTERM, then SIGKILL after 20 s), then remove their roots. */
export async function stopDaemons(daemons: readonly Daemon[]): Promise<void> {
  await Promise.all(daemons.map(async (d) => {
    // A daemon killed hard left its containers running under their shims: a daemon on the same
    // roots takes them back, and its orderly shutdown stops them.
    if (d.killed) await restartDaemon(d).catch(() => undefined);
    if (d.pid && alive(d.pid)) {
      try { process.kill(d.pid, 'SIGTERM'); } catch { /* gone */ }
      for (let i = 0; i < 200 && alive(d.pid); i++) await sleep(100);
      if (alive(d.pid)) killDaemon(d);
    }
    running.delete(d);
    unmountUnder(d.dir);
    rmSync(d.dir, { recursive: true, force: true });
  }));
}

/** Remove the busybox rootfs made for the image. */
export function removeRootfs(): void {
  if (rootfs) rmSync(rootfs, { recursive: true, force: true });
  rootfs = undefined;
}

/** `docker -H ADDRESS …` and its output; throws on failure. */
export function dockerCli(d: Daemon, args: string[]): string {
  const r = spawnSync('docker', ['-H', d.address, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} on ${d.address} failed: ${r.stderr}`);
  return r.stdout;
}
