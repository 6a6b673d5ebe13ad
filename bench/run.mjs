// `npm run bench`: runs every benchmark (after `npm run build`) and prints markdown tables to paste
// into docs/benchmarks.md. Raw figures also go to bench/out/results.json.
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { runValidateBench } from './validate.mjs';
import { runPlanBench } from './plan.mjs';

// Benchmark names select what runs; `--name=value` options (and `--timing`) go to the packing and trace-plan benches.
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const packingOptions = process.argv.slice(2).filter((a) => a.startsWith('--'));
const want = (name) => only.length === 0 || only.includes(name);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const results = { machine, date: new Date().toISOString() };
console.log(`Machine: ${machine}\n`);

if (want('validate')) {
  results.validate = runValidateBench({ runs: Number(process.env.BENCH_RUNS ?? 7) });
  console.log('## qm validate (wall clock, including Node start-up; median of runs)\n');
  console.log('| benchmark | median ms | min | max |\n|---|---:|---:|---:|');
  for (const r of results.validate) console.log(`| ${r.name} | ${r.median.toFixed(0)} | ${r.min.toFixed(0)} | ${r.max.toFixed(0)} |`);
  console.log();
}

if (want('plan')) {
  results.plan = runPlanBench();
  console.log('## qm plan / qm apply on the sim driver (whole command, wall clock)\n');
  console.log('| benchmark | ms | note |\n|---|---:|---|');
  for (const r of results.plan) console.log(`| ${r.name} | ${r.ms.toFixed(0)} | ${r.note} |`);
  console.log();
}

if (want('scheduler')) {
  // The scheduler benchmarks are TypeScript programs: compile the project beside them first.
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--outDir', 'bench/out/tsc'], { encoding: 'utf8', stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error('tsc failed');
  const runs = [
    ['Scale: 150,000 instances on 5,000 nodes (best-fit-decreasing)', ['bench/out/tsc/bench/scheduler/scale.js', '5000', '150000']],
    ['Packing on the Alibaba GPU trace (GPU capacity allocated, mean of 10 seeds)', ['bench/out/tsc/bench/scheduler/gpu-trace.js']],
    ['Optimality: nodes used against the highs MILP optimum', ['bench/out/tsc/bench/scheduler/optimality.js', '20']],
  ];
  results.scheduler = {};
  for (const [title, args] of runs) {
    console.log(`## ${title}\n`);
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`${args[0]} failed`);
    results.scheduler[title] = r.stdout;
    console.log(r.stdout.trim() + '\n');
  }
}

// Not part of a plain `npm run bench`: hundreds of `qm plan` runs (see bench/scheduler/README.md).
if (only.includes('packing')) {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--outDir', 'bench/out/tsc'], { encoding: 'utf8', stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error('tsc failed');
  console.log('## Packing on the FGD workload variants through qm plan (GPU capacity allocated)\n');
  const r = spawnSync(process.execPath, ['bench/out/tsc/bench/scheduler/packing.js', '--json', 'bench/out/packing.json', ...packingOptions], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error('bench/scheduler/packing.ts failed');
  results.packing = r.stdout;
  console.log(r.stdout.trim() + '\n');
}

// `qm plan` end to end on one batch of the Alibaba GPU trace (issue #13 item 3); `--runs=N`, `--baseline=OTHER/bin/qm.js`.
if (want('trace-plan')) {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--outDir', 'bench/out/tsc'], { encoding: 'utf8', stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error('tsc failed');
  console.log('## qm plan on one batch of the Alibaba GPU trace (whole command, wall clock)\n');
  const traceOptions = packingOptions.filter((a) => /^--(runs|seed|variant|algorithm|baseline|keep)=/.test(a));
  const r = spawnSync(process.execPath, ['bench/out/tsc/bench/scheduler/trace-plan.js', ...traceOptions], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error('bench/scheduler/trace-plan.ts failed');
  results.tracePlan = r.stdout;
  console.log(r.stdout.trim() + '\n');
}

if (want('kubernetes')) {
  // A TypeScript program (it starts the Kubernetes API test server of test/kubernetes in its own process).
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--outDir', 'bench/out/tsc'], { encoding: 'utf8', stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error('tsc failed');
  console.log('## Kubernetes driver against the API test server (5,000 nodes, 50,000 pods)\n');
  const r = spawnSync(process.execPath, ['bench/out/tsc/bench/kubernetes/bench.js'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error('bench/kubernetes/bench.ts failed');
  results.kubernetes = r.stdout;
  console.log(r.stdout.trim() + '\n');
}

for (const [name, script, title] of [
  ['state', 'bench/state.mjs', 'State store operations (SQLite; PostgreSQL when QM_TEST_POSTGRES_URL is set)'],
  ['autoscaler', 'bench/autoscaler.mjs', 'Autoscaler: policy evaluation time and a replayed request series'],
  ['forecast', 'bench/forecast.mjs', 'Forecast accuracy (rolling-origin backtests) and latency'],
  ['docker', 'bench/docker.mjs', 'Docker driver: placing instances on local engines'],
  ['exec', 'bench/exec/run.mjs', 'Exec driver: 10,000 place actions through the example plugin (Python)'],
  ['pr', 'bench/pr.mjs', 'qm pr plan on a 500-file repository with 10,000 instances'],
  ['simulate', 'bench/simulate.mjs', 'qm simulate: one week at 5-minute steps, 1,000 instances on 100 nodes'],
  ['serve', 'bench/serve.mjs', 'qm serve: /metrics latency, CPU share and memory'],
  ['usage-insert', 'bench/usage-insert.mjs', 'qm serve usage history: 10,000 samples a minute for 200 minutes through store.usage.record (SQLite)'],
  ['recommend', 'bench/recommend.mjs', 'qm recommend over 720,000 usage samples (SQLite; PostgreSQL when QM_TEST_POSTGRES_URL is set)'],
]) {
  if (!want(name)) continue;
  if (!existsSync(script)) continue;
  console.log(`## ${title}\n`);
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${script} failed`);
  results[name] = r.stdout;
  console.log(r.stdout.split('\n').filter((l) => !l.startsWith('Machine:')).join('\n').trim() + '\n');
}

mkdirSync('bench/out', { recursive: true });
writeFileSync('bench/out/results.json', JSON.stringify(results, null, 2));
