// Summarise a V8 .cpuprofile (from `node --cpu-prof`): top functions by self time and by total
// (inclusive) time, as markdown tables for docs/benchmarks.md.
// Usage: node bench/profile-summary.mjs FILE.cpuprofile [top=20]
import { readFileSync } from 'node:fs';

export function summarise(file, top = 20) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Sample time: each sample lasts until the next one.
  const self = new Map();
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i + 1] ?? 0;
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const key = (n) => {
    const f = n.callFrame;
    const url = f.url.replace(/^file:\/\//, '').replace(/^.*\/(dist|node_modules)\//, '$1/');
    return `${f.functionName || '(anonymous)'} ${url ? `${url}:${f.lineNumber + 1}` : ''}`.trim();
  };
  const selfBy = new Map();
  const totalBy = new Map();
  for (const [id, t] of self) {
    const n = byId.get(id);
    selfBy.set(key(n), (selfBy.get(key(n)) ?? 0) + t);
    // Inclusive: every distinct function on the stack gets the sample once.
    const seen = new Set();
    for (let c = id; c !== undefined; c = parent.get(c)) {
      const k = key(byId.get(c));
      if (seen.has(k)) continue;
      seen.add(k);
      totalBy.set(k, (totalBy.get(k) ?? 0) + t);
    }
  }
  const rows = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, t]) => `| \`${k}\` | ${(t / 1000).toFixed(0)} | ${((100 * t) / total).toFixed(1)} |`);
  return { totalMs: total / 1000, self: rows(selfBy), inclusive: rows(totalBy) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = summarise(process.argv[2], Number(process.argv[3] ?? 20));
  console.log(`Profiled: ${s.totalMs.toFixed(0)} ms\n\nSelf time:\n\n| function | ms | % |\n|---|---:|---:|\n${s.self.join('\n')}\n`);
  console.log(`Total (inclusive) time:\n\n| function | ms | % |\n|---|---:|---:|\n${s.inclusive.join('\n')}`);
}
