// Benchmark: `qm pr plan` on a 500-file policy repository with 10,000 instances — Git diff from the
// merge base, validation of the head, planning base and head against the same observed state, the
// difference, locks, rendering, comment and check run — against a minimal local GitHub on
// 127.0.0.1. Network time (every fetch the GitHub client makes, measured around fetch) is reported
// apart and excluded from the figure the target applies to (≤ 5 s).
//
//   node bench/pr.mjs            (after npm run build; QM_DIST=dir to use another build)
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = process.env.QM_DIST ? path.resolve(process.env.QM_DIST) : path.join(ROOT, 'dist');
const TOKEN = 'ghs_benchtoken0123456789abcdefABCDEF012';

/** 10 pool files + 490 agent files = 500 files; 10,000 instances. */
function writeFleet(dir) {
  for (const d of ['pools', 'agents', 'policies']) mkdirSync(path.join(dir, d), { recursive: true });
  for (let p = 0; p < 10; p++)
    writeFileSync(path.join(dir, 'pools', `pool-${p}.yaml`), `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: pool-${p}}
spec:
  zones: [z-a, z-b, z-c]
  node:
    capacity: {cpu: 32, memory: 128Gi${p % 3 === 0 ? ', gpu: 4' : ''}}
    costPerHour: ${(1 + p / 10).toFixed(2)}
  size: {min: 100, max: 200, initial: 100}
`);
  for (let a = 0; a < 490; a++) writeFileSync(path.join(dir, 'agents', `agent-${a}.yaml`), agent(a, a < 470 ? 20 : 30));
}

function agent(a, replicas) {
  return `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: agent-${a}, labels: {app: app-${a % 40}}}
spec:
  owner: team-${a % 10}
  replicas: ${replicas}
  priority: ${a % 100}
  resources:
    requests: {cpu: ${[250, 500, 1000, 2000][a % 4]}m, memory: ${[1, 2, 4][a % 3]}Gi}
  placement:
    pools: [pool-${a % 10}]
`;
}

const git = (cwd, ...args) => {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};

/** Just enough of GitHub for `qm pr plan`: comments and check runs. */
function startGithub() {
  let id = 1;
  const comments = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const send = (status, data) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(data));
      };
      if (req.headers.authorization !== `token ${TOKEN}`) return send(401, { message: 'Bad credentials' });
      const url = new URL(req.url, 'http://x');
      if (req.method === 'GET' && url.pathname.endsWith('/comments')) return send(200, comments);
      if (req.method === 'POST' && url.pathname.endsWith('/comments')) {
        const c = { id: id++, body: JSON.parse(body).body };
        comments.push(c);
        return send(201, c);
      }
      if (url.pathname.includes('/check-runs')) return send(req.method === 'POST' ? 201 : 200, { id: 77 });
      return send(404, { message: 'Not Found' });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}`, comments })));
}

/** Apply main's policy to the simulated fleet first: a pull request is reviewed against a running fleet. */
async function applyMain(dir, state) {
  const { openStateStore } = await import(pathToFileURL(path.join(DIST, 'state', 'index.js')).href);
  const { StorePort } = await import(pathToFileURL(path.join(DIST, 'engine', 'store-port.js')).href);
  const { reconcileOnce } = await import(pathToFileURL(path.join(DIST, 'engine', 'reconcile.js')).href);
  const store = await openStateStore(state);
  try {
    const r = await reconcileOnce({ dir, store: new StorePort(store), mode: 'fix', now: () => '2026-11-28T10:00:00Z' });
    if (r.outcome && r.outcome.status !== 'applied') throw new Error(`applying main failed: ${r.outcome.status}`);
  } finally {
    await store.close();
  }
}

/** `steady`: main is applied before the pull request is planned (the usual case); else an empty fleet. */
export async function runPrBench({ steady = true } = {}) {
  const { prCommand } = await import(pathToFileURL(path.join(DIST, 'cli', 'commands', 'pr.js')).href);
  const dir = mkdtempSync(path.join(tmpdir(), 'qm-bench-pr-'));
  const gh = await startGithub();
  // Time spent waiting on the network, measured around every fetch the GitHub client makes.
  let networkMs = 0;
  let requests = 0;
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (...args) => {
    const t = performance.now();
    try {
      return await realFetch(...args);
    } finally {
      networkMs += performance.now() - t;
      requests++;
    }
  };
  try {
    writeFleet(dir);
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, '-c', 'user.email=b@x', '-c', 'user.name=b', 'add', '-A');
    git(dir, '-c', 'user.email=b@x', '-c', 'user.name=b', 'commit', '-q', '-m', 'fleet');
    // The pull request: 40 agents get 5 more replicas, one pool a higher floor.
    git(dir, 'checkout', '-q', '-b', 'change');
    for (let a = 0; a < 40; a++) writeFileSync(path.join(dir, 'agents', `agent-${a}.yaml`), agent(a, 25));
    const pool = path.join(dir, 'pools', 'pool-1.yaml');
    writeFileSync(pool, readFileSync(pool, 'utf8').replace('min: 100, max: 200, initial: 100', 'min: 104, max: 200, initial: 104'));
    git(dir, '-c', 'user.email=b@x', '-c', 'user.name=b', 'commit', '-qam', 'change');
    git(dir, 'checkout', '-q', 'main');
    const state = path.join(dir, '.git', 'state.db');
    if (steady) await applyMain(dir, state);

    let out = '';
    let err = '';
    const io = {
      stdout: { write: (s) => (out += s) },
      stderr: { write: (s) => (err += s) },
      env: { PATH: process.env.PATH, GITHUB_TOKEN: TOKEN, GITHUB_API_URL: gh.url, QM_STATE: state, QM_GITHUB_WRITE_INTERVAL_MS: '0', NO_COLOR: '1' },
      cwd: dir,
    };
    const t = performance.now();
    // Branch names, as a user passes them outside Actions; qm resolves them to these commits.
    const code = await prCommand('plan', { repo: 'acme/fleet', pr: '1', base: 'main', head: 'change', out: 'plan.json' }, io);
    const totalMs = performance.now() - t;
    if (process.env.BENCH_VERBOSE) console.error(err);
    if (code !== 0) throw new Error(`qm pr plan exited ${code}: ${err}\n${gh.comments[0]?.body.slice(0, 2000) ?? ''}`);
    const plan = JSON.parse(readFileSync(path.join(dir, 'plan.json'), 'utf8'));
    const instances = plan.actions.filter((a) => a.type === 'place').length;
    const summary = /\*\*Compared with[^\n]*/.exec(gh.comments[0]?.body ?? '')?.[0] ?? '';
    return [
      {
        name: steady
          ? `qm pr plan: 500 files, 10,200 instances running, base and head planned (+${instances} placements)`
          : `qm pr plan: 500 files, 10,200 instances on an empty fleet, base and head planned`,
        ms: totalMs - networkMs,
        totalMs,
        networkMs,
        requests,
        note: summary.replace(/\*\*/g, ''),
      },
    ];
  } finally {
    globalThis.fetch = realFetch;
    gh.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of [...(await runPrBench()), ...(await runPrBench({ steady: false }))]) {
    console.log(`${r.name}: ${r.ms.toFixed(0)} ms excluding network (${r.totalMs.toFixed(0)} ms in all, ${r.networkMs.toFixed(0)} ms in ${r.requests} requests); target ≤ 5000 ms`);
    console.log(`  ${r.note}`);
  }
}
