// `npm run bench`: runs every benchmark (after `npm run build`) and prints markdown tables to paste
// into docs/benchmarks.md. Raw figures also go to bench/out/results.json.
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { runValidateBench } from './validate.mjs';
import { runPlanBench } from './plan.mjs';

const only = process.argv.slice(2);
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

for (const [name, script, title] of [
  ['state', 'bench/state.mjs', 'State store operations (SQLite; PostgreSQL when QM_TEST_POSTGRES_URL is set)'],
]) {
  if (!want(name)) continue;
  console.log(`## ${title}\n`);
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${script} failed`);
  results[name] = r.stdout;
  console.log(r.stdout.split('\n').filter((l) => !l.startsWith('Machine:')).join('\n').trim() + '\n');
}

mkdirSync('bench/out', { recursive: true });
writeFileSync('bench/out/results.json', JSON.stringify(results, null, 2));
