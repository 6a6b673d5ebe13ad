// Benchmark: the docker driver on three local Docker engines (three dockerd daemons started here,
// each with its own roots and socket, stopped by PID at the end). Measures, in the same run:
//   - `qm apply` placing N instances (default 200) across the three engines (whole command, wall clock),
//     and the containers started per second per engine that the driver reports;
//   - `docker run -d` alone: one container at a time (latency), and N containers with the same
//     parallelism as qm (per engine 4 in flight), as the baseline;
//   - `qm apply` removing them again.
// Needs root, dockerd, the docker CLI and busybox (apt-get install docker.io busybox-static).
//   node bench/docker.mjs [--instances 200] [--json]
// Figures go to docs/docker.md (Performance); raw results to bench/out/docker.json.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const QM = path.join(ROOT, 'bin', 'qm.js');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const N = Number(arg('--instances', 200));
const ENGINES = 3;
const PER_ENGINE = 4;
const IMAGE = 'agent:local';

const daemons = [];

function sh(cmd, opts = {}) {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout;
}

function ping(sock) {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: sock, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function startDaemon(rootfs) {
  const dir = mkdtempSync('/tmp/qmd-');
  const sock = `${dir}/docker.sock`;
  const log = openSync(`${dir}/dockerd.log`, 'a');
  const child = spawn('dockerd', ['--iptables=false', '--ip6tables=false', '--bridge=none', '--storage-driver=overlay2', '--data-root', `${dir}/data`, '--exec-root', `${dir}/exec`, '-H', `unix://${sock}`, '--pidfile', `${dir}/docker.pid`], { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  child.unref();
  const d = { dir, sock, address: `unix://${sock}`, pid: child.pid };
  daemons.push(d);
  for (let i = 0; i < 300 && !(await ping(sock)); i++) await sleep(100);
  if (!(await ping(sock))) throw new Error(`dockerd at ${d.address} did not start: ${readFileSync(`${dir}/dockerd.log`, 'utf8').slice(-1000)}`);
  sh(`tar -C '${rootfs}' -c . | docker -H '${d.address}' import - ${IMAGE}`);
  return d;
}

async function stopDaemons() {
  await Promise.all(daemons.map(async (d) => {
    if (alive(d.pid)) {
      process.kill(d.pid, 'SIGTERM');
      for (let i = 0; i < 300 && alive(d.pid); i++) await sleep(100);
      if (alive(d.pid)) process.kill(d.pid, 'SIGKILL');
    }
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m === d.dir || m.startsWith(`${d.dir}/`));
    for (const m of mounts.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m]);
    rmSync(d.dir, { recursive: true, force: true });
  }));
  daemons.length = 0;
}

function busyboxRootfs() {
  const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error('busybox is missing: apt-get install busybox-static');
  const dir = mkdtempSync('/tmp/qmd-rootfs-');
  mkdirSync(`${dir}/bin`);
  copyFileSync(busybox, `${dir}/bin/busybox`);
  for (const a of ['sh', 'sleep']) symlinkSync('busybox', `${dir}/bin/${a}`);
  return dir;
}

/** Run `docker run -d` for `count` containers over the engines, `PER_ENGINE` at a time on each. */
async function dockerRunAll(count, prefix) {
  const per = daemons.map(() => []);
  for (let i = 0; i < count; i++) per[i % daemons.length].push(i);
  const t = performance.now();
  await Promise.all(daemons.map(async (d, e) => {
    const queue = [...per[e]];
    await Promise.all(Array.from({ length: PER_ENGINE }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        await new Promise((resolve, reject) => {
          const c = spawn('docker', ['-H', d.address, 'run', '-d', '--init', '--network', 'none', '--cpus', '1', '--memory', '64m', '--name', `${prefix}-${i}`, IMAGE, 'sleep', '3600'], { stdio: 'ignore' });
          c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker run exited ${code}`))));
        });
      }
    }));
  }));
  return performance.now() - t;
}

function removeAll(prefix) {
  for (const d of daemons) {
    const ids = sh(`docker -H '${d.address}' ps -aq --filter name=${prefix}-`).split('\n').filter(Boolean);
    if (ids.length) sh(`docker -H '${d.address}' rm -f ${ids.join(' ')}`);
  }
}

function qm(args, cwd) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [QM, ...args], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' }, maxBuffer: 64 * 2 ** 20 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`qm ${args.join(' ')} exited ${r.status}: ${r.stderr}\n${r.stdout.slice(-2000)}`);
  return { ms, stdout: r.stdout, stderr: r.stderr };
}

function fleet(dir, replicas) {
  mkdirSync(path.join(dir, 'pools'), { recursive: true });
  mkdirSync(path.join(dir, 'agents'), { recursive: true });
  writeFileSync(path.join(dir, 'pools', 'local.yaml'), `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: local}
spec:
  driver: docker
  node: {capacity: {cpu: 2, memory: 8Gi}}
  nodes:
${daemons.map((d, i) => `    - {name: engine-${i}, address: "${d.address}"}`).join('\n')}
`);
  writeFileSync(path.join(dir, 'agents', 'worker.yaml'), `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: worker}
spec:
  owner: bench
  replicas: ${replicas}
  resources:
    requests: {cpu: 10m, memory: 16Mi}
    limits: {cpu: 1, memory: 64Mi}
  placement:
    topologySpread: [{topologyKey: node, maxSkew: 1, whenUnsatisfiable: DoNotSchedule}]
  runtime: {image: "${IMAGE}", command: [sleep, "3600"]}
`);
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('run as root: the benchmark starts its own dockerd daemons');
  const rootfs = busyboxRootfs();
  const work = mkdtempSync('/tmp/qm-bench-docker-');
  const results = { machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`, date: new Date().toISOString(), instances: N, engines: ENGINES };
  try {
    for (let i = 0; i < ENGINES; i++) await startDaemon(rootfs);
    results.dockerVersion = sh(`docker -H '${daemons[0].address}' version -f '{{.Server.Version}}'`).trim();

    // Baseline 1: one `docker run -d` at a time on one engine (CLI start-up included).
    const single = [];
    for (let i = 0; i < 10; i++) single.push(await dockerRunAll(1, `single${i}`));
    removeAll('single');
    single.sort((a, b) => a - b);
    results.dockerRunOneMs = single[Math.floor(single.length / 2)];

    // Baseline 2: N containers with `docker run -d`, PER_ENGINE at a time on each engine.
    results.dockerRunAllMs = await dockerRunAll(N, 'base');
    removeAll('base');

    // qm: place N instances, then remove them.
    fleet(work, N);
    const planned = JSON.parse(qm(['plan', '--format', 'json'], work).stdout);
    if (planned.summary.place !== N) throw new Error(`expected ${N} placements, the plan has ${planned.summary.place} (blocked ${planned.summary.blocked})`);
    const apply = qm(['apply', '--auto-approve', '--concurrency', String(ENGINES * PER_ENGINE)], work);
    results.qmApplyPlaceMs = apply.ms;
    const line = apply.stderr.split('\n').find((l) => l.includes('started')) ?? '';
    results.perEngine = [...line.matchAll(/(unix:\/\/\S+) (\d+) in ([\d.]+)s \(([\d.]+)\/s\)/g)].map((m) => ({ engine: m[1], started: Number(m[2]), seconds: Number(m[3]), perSecond: Number(m[4]) }));
    const running = daemons.map((d) => sh(`docker -H '${d.address}' ps -q --filter label=quartermaster.dev/instance`).split('\n').filter(Boolean).length);
    results.running = running;
    fleet(work, 0);
    results.qmApplyRemoveMs = qm(['apply', '--auto-approve', '--concurrency', String(ENGINES * PER_ENGINE)], work).ms;
  } finally {
    await stopDaemons();
    rmSync(rootfs, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }

  mkdirSync(path.join(ROOT, 'bench', 'out'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench', 'out', 'docker.json'), JSON.stringify(results, null, 2));
  if (process.argv.includes('--json')) return console.log(JSON.stringify(results, null, 2));
  const s = (ms) => (ms / 1000).toFixed(1);
  console.log(`Machine: ${results.machine}; Docker ${results.dockerVersion}; ${ENGINES} local engines, ${PER_ENGINE} in flight per engine\n`);
  console.log('| benchmark | seconds | containers/s | note |\n|---|---:|---:|---|');
  console.log(`| \`qm apply\`: place ${N} instances on ${ENGINES} engines | ${s(results.qmApplyPlaceMs)} | ${(N / (results.qmApplyPlaceMs / 1000)).toFixed(1)} | whole command: Node start-up, observe, plan, create + start; running after: ${results.running.join(' + ')} |`);
  console.log(`| \`docker run -d\` × ${N}, same parallelism | ${s(results.dockerRunAllMs)} | ${(N / (results.dockerRunAllMs / 1000)).toFixed(1)} | the CLI alone, one process per container |`);
  console.log(`| \`docker run -d\` × 1 (median of 10) | ${(results.dockerRunOneMs / 1000).toFixed(2)} | ${(1000 / results.dockerRunOneMs).toFixed(1)} | one container at a time |`);
  console.log(`| \`qm apply\`: remove the ${N} instances | ${s(results.qmApplyRemoveMs)} | ${(N / (results.qmApplyRemoveMs / 1000)).toFixed(1)} | stop (SIGTERM, tini as PID 1) + remove |`);
  console.log('\nContainers started per second, per engine (as the driver reports it at the end of qm apply):\n');
  console.log('| engine | started | seconds | per second |\n|---|---:|---:|---:|');
  results.perEngine.forEach((e, i) => console.log(`| engine-${i} | ${e.started} | ${e.seconds.toFixed(1)} | ${e.perSecond.toFixed(1)} |`));
}

const onSignal = () => void stopDaemons().finally(() => process.exit(130));
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
main().catch(async (e) => {
  console.error(e instanceof Error ? e.message : e);
  await stopDaemons();
  process.exit(1);
});
