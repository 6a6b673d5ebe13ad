/** `qm simulate` through the real binary: output formats, and bad input as one sentence with exit 1. */
import { readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qm } from '../helpers/cli.js';
import type { TempRepo } from '../helpers/repo.js';
import { fleetRepo, iso, T0 } from './fixture.js';

let repo: TempRepo;
beforeAll(async () => {
  repo = await fleetRepo(4);
});
afterAll(() => repo.cleanup());

const window = ['--from', iso(T0), '--to', iso(T0 + 7200)];
const sim = (args: string[]) => qm(['simulate', repo.dir, '--snapshot', `${repo.dir}/snap.yaml`, ...args], { cwd: repo.dir });

/** Exit 1, nothing on stdout, `qm: <one sentence>` (and perhaps a hint), never a stack trace. */
function oneSentence(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^qm: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines.slice(1).every((l) => l.startsWith('hint: '))).toBe(true);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('qm simulate (CLI)', () => {
  it('prints the summary, writes the JSON and the SVG', async () => {
    const r = sim([...window, '--node-startup', '0s', '--out', 'sim.json', '--chart', 'sim.svg']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Simulated 2026-11-20T00:00:00Z … 2026-11-20T02:00:00Z: 24 steps of 5 min/);
    expect(r.stdout).toMatch(/node-hours\s+3\n/);
    const json = JSON.parse(await readFile(`${repo.dir}/sim.json`, 'utf8'));
    expect(json).toMatchObject({ formatVersion: '1.0', step: 300, runs: [{ ref: 'HEAD', totals: { nodeHours: 3, scaleActions: 2 } }] });
    expect(await readFile(`${repo.dir}/sim.svg`, 'utf8')).toMatch(/^<svg /);
    const again = sim([...window, '--node-startup', '0s', '--format', 'json']);
    expect(again.stdout).toBe(await readFile(`${repo.dir}/sim.json`, 'utf8'));
    await rm(`${repo.dir}/sim.json`);
    await rm(`${repo.dir}/sim.svg`);
  });

  it('markdown has the table and the Mermaid charts', () => {
    const r = sim([...window, '--format', 'markdown']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('| node-hours | 3 |');
    expect(r.stdout).toContain('xychart-beta');
  });

  it('starts from the state store read-only: nothing is applied to the driver', () => {
    const state = ['--state', `${repo.dir}/.qm/sim.db`];
    const r = qm(['simulate', repo.dir, ...window, '--node-startup', '0s', ...state], { cwd: repo.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The sim driver's new pool starts with size.initial (1) node and nothing running: the first step places both replicas.
    expect(r.stdout).toMatch(/node-hours\s+3\n/);
    const plan = JSON.parse(qm(['plan', repo.dir, '--now', iso(T0), '--format', 'json', ...state], { cwd: repo.dir }).stdout);
    expect(plan.actions.filter((a: { type: string }) => a.type === 'place').map((a: { instance: string }) => a.instance)).toEqual(['chat-0', 'chat-1']);
  });

  it('--from after --to', () => oneSentence(sim(['--from', iso(T0 + 7200), '--to', iso(T0)]), /--from 2026-11-20T02:00:00Z is not before --to 2026-11-20T00:00:00Z/));
  it('a step of zero', () => oneSentence(sim([...window, '--step', '0s']), /--step must be longer than 0s/));
  it('a window too large', () => oneSentence(sim(['--from', '2020-01-01T00:00:00Z', '--to', '2026-01-01T00:00:00Z', '--step', '1m']), /more than the 50000 qm simulate replays/));
  it('a time that is not one', () => oneSentence(sim(['--from', 'yesterday', '--to', iso(T0)]), /--from 'yesterday' is not a time/));
  it('an unknown ref', () => oneSentence(sim([...window, '--base', 'no-such-branch']), /Git revision 'no-such-branch' does not exist/));

  it('a missing series', async () => {
    await repo.write('metrics/rpm.csv', 'timestamp,series,value\n2026-11-20T00:00:00Z,other,1\n');
    try {
      oneSentence(sim(window), /MetricSource history: .*rpm.*nothing was simulated/);
    } finally {
      await repo.git.checkout(['--', 'metrics/rpm.csv']);
    }
  });

  it('a missing source file', async () => {
    await rm(`${repo.dir}/metrics/rpm.csv`);
    try {
      oneSentence(sim(window), /MetricSource history: cannot read metrics\/rpm.csv: no such file; nothing was simulated/);
    } finally {
      await repo.git.checkout(['--', 'metrics/rpm.csv']);
    }
  });
});
