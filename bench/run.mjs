// `npm run bench`: runs every benchmark and prints a markdown table to paste into docs/benchmarks.md.
import { cpus, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { runValidateBench } from './validate.mjs';

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const results = { machine, date: new Date().toISOString(), validate: runValidateBench({ runs: Number(process.env.BENCH_RUNS ?? 7) }) };
console.log(`Machine: ${machine}\n`);
console.log('| benchmark | median ms | min | max |\n|---|---:|---:|---:|');
for (const r of results.validate) console.log(`| ${r.name} | ${r.median.toFixed(0)} | ${r.min.toFixed(0)} | ${r.max.toFixed(0)} |`);
mkdirSync('bench/out', { recursive: true });
writeFileSync('bench/out/results.json', JSON.stringify(results, null, 2));
