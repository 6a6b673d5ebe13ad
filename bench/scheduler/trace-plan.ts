/**
 * Speed of `qm plan` at trace scale (issue #13 item 3): one batch of the Alibaba GPU trace (the
 * default workload, seed 42: pods in seeded arrival order until GPU demand reaches 100 % of the
 * 1,213 nodes' GPUs, as gpu-trace.ts and packing.ts take it), written by fleet-repo.ts as a policy
 * repository plus a node snapshot, planned with `node bin/qm.js plan DIR --snapshot FILE --format
 * json` — the whole command: Node start-up, loading and validating the policy, the snapshot,
 * scheduling, rendering. Reports the median wall time of the runs (and CPU time when /usr/bin/time
 * is there: GC threads make it exceed wall time on several cores).
 *
 * With `--baseline OTHER/bin/qm.js` the runs alternate between the two CLIs on the same files, so a
 * before/after comparison sees the same machine load, and the two plans must be byte-identical.
 *
 * Run from the repository root after `npm run build` (or `npm run bench -- trace-plan [--runs=3 …]`):
 *   node bench/out/tsc/bench/scheduler/trace-plan.js [--runs 3] [--seed 42] [--variant default] [--algorithm best-fit-decreasing]
 *     [--baseline PATH/bin/qm.js] [--keep DIR]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { arrivals, groupAgents, parseNodeCsv, repoFiles, snapshotOf, writeRepo } from './fleet-repo.js';
import { generateVariant, parsePodCsv } from './variants.js';

function options(argv: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}": options are --runs, --seed, --variant, --algorithm, --baseline, --keep`);
    const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
    o[k] = v ?? argv[++i] ?? '';
  }
  return o;
}

interface Run {
  wall: number;
  cpu?: number;
  stdout: string;
}

const TIME = '/usr/bin/time';

/** One `qm plan` run: wall seconds, and user + system CPU seconds of the child when /usr/bin/time exists. */
function plan(cli: string, dir: string, snapshot: string): Run {
  const args = [cli, 'plan', dir, '--snapshot', snapshot, '--format', 'json', '--now', '2026-01-01T00:00:00Z'];
  const timed = existsSync(TIME);
  const t0 = performance.now();
  const r = timed
    ? spawnSync(TIME, ['-f', 'qm-cpu %U %S', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1' } })
    : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: '1' } });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`qm plan ${dir} (${cli}) exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  const m = /qm-cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { wall, ...(m ? { cpu: Number(m[1]) + Number(m[2]) } : {}), stdout: r.stdout };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function main(): void {
  const o = options(process.argv.slice(2));
  const root = process.cwd();
  const cli = join(root, 'bin/qm.js');
  const data = join(root, 'bench/data/alibaba-gpu-v2023');
  if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('dist/cli/main.js not found: run `npm run build` and start from the repository root');
  const runs = Number(o.runs ?? 3);
  const seed = Number(o.seed ?? 42);
  const algorithm = o.algorithm ?? 'best-fit-decreasing';
  const baseline = o.baseline ? resolve(o.baseline) : undefined;
  const variant = o.variant ?? 'default';
  const pods = generateVariant(parsePodCsv(readFileSync(join(data, 'openb_pod_list_default.csv'), 'utf8')), variant, 1);
  const nodes = parseNodeCsv(readFileSync(join(data, 'openb_node_list_gpu_node.csv'), 'utf8'));
  const capacity = nodes.reduce((s, n) => s + n.gpus * 1000, 0);
  const batch = arrivals(pods, seed, capacity);
  const work = o.keep ?? mkdtempSync(join(tmpdir(), 'qm-trace-plan-'));
  try {
    writeRepo(work, repoFiles(batch, nodes, { algorithm, seed }));
    const snapshot = join(work, 'snapshot.json');
    writeFileSync(snapshot, snapshotOf(nodes));
    const ours: Run[] = [];
    const theirs: Run[] = [];
    const load = loadavg()[0]!;
    for (let i = 0; i < runs; i++) {
      if (baseline) theirs.push(plan(baseline, work, snapshot));
      ours.push(plan(cli, work, snapshot));
    }
    const loadAfter = loadavg()[0]!;
    const summary = JSON.parse(ours[0]!.stdout).summary as { place: number; blocked: number };
    const row = (name: string, rs: Run[]) => {
      const cpu = rs.every((r) => r.cpu !== undefined) ? median(rs.map((r) => r.cpu!)).toFixed(2) : '–';
      return `| ${name} | ${median(rs.map((r) => r.wall)).toFixed(2)} | ${Math.min(...rs.map((r) => r.wall)).toFixed(2)} | ${Math.max(...rs.map((r) => r.wall)).toFixed(2)} | ${cpu} |`;
    };
    console.log(`One batch of the Alibaba GPU trace (${variant} workload, seed ${seed}, ${algorithm}): ${batch.length} instances in ${groupAgents(batch).length} Agents on ${nodes.length} nodes; ${summary.place} placed, ${summary.blocked} blocked. ${runs} runs each, load average ${load.toFixed(1)} → ${loadAfter.toFixed(1)}.\n`);
    console.log('| qm plan DIR --snapshot FILE --format json | median s | min | max | CPU s (median) |\n|---|---:|---:|---:|---:|');
    if (baseline) console.log(row(`baseline (${baseline})`, theirs));
    console.log(row('this tree', ours));
    if (baseline) {
      const same = theirs.every((r) => r.stdout === ours[0]!.stdout) && ours.every((r) => r.stdout === ours[0]!.stdout);
      console.log(`\nPlans ${same ? 'byte-identical' : 'DIFFER'} between the two CLIs and across runs.`);
      if (!same) process.exitCode = 1;
    }
  } finally {
    if (!o.keep) rmSync(work, { recursive: true, force: true });
  }
}

main();
