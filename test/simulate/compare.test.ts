/** `--base REF`: both revisions replay the same history from the same start; the deltas have the expected signs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulate } from '../../src/engine/simulate.js';
import { renderSimulateText } from '../../src/simulate/render-text.js';
import { renderSimulateMarkdown } from '../../src/simulate/render-markdown.js';
import { renderSimulateSvg } from '../../src/simulate/svg.js';
import type { TempRepo } from '../helpers/repo.js';
import { fleetRepo, poolYaml, scalingYaml, STEP, T0 } from './fixture.js';

let repo: TempRepo;
let tightCommit = '';
let roomyCommit = '';
beforeAll(async () => {
  repo = await fleetRepo(1);
  tightCommit = (await repo.git.revparse(['HEAD'])).trim();
  await repo.write('pools/general.yaml', poolYaml(4));
  await repo.write('policies/scaling.yaml', scalingYaml(4));
  roomyCommit = await repo.commit('raise the pool max to 4');
});
afterAll(() => repo.cleanup());

const run = (base: string, ref?: string) => runSimulate({ dir: repo.dir, snapshot: `${repo.dir}/snap.yaml`, from: T0, to: T0 + 7200, step: STEP, nodeStartup: 0, base, ref });

describe('qm simulate --base', () => {
  it('raising a pool max lowers blocked minutes and raises node-hours', async () => {
    const report = await run(tightCommit);
    expect(report.runs.map((r) => r.ref)).toEqual([tightCommit, 'HEAD']);
    expect(report.runs[0]!.commit).toBe(tightCommit);
    const d = report.comparison!.delta;
    expect(d.blockedInstanceMinutes).toBe(-120);
    expect(d.nodeHours).toBe(1);
    expect(d.cost).toBe(2);
    expect(d.belowTargetMinutes).toBe(-60);
    expect(report.comparison).toMatchObject({ base: tightCommit, head: 'HEAD' });
  });

  it('--ref picks the head revision: the other way round, the signs flip', async () => {
    const report = await run(roomyCommit, tightCommit);
    expect(report.runs[1]!.commit).toBe(tightCommit);
    expect(report.comparison!.delta.blockedInstanceMinutes).toBe(120);
    expect(report.comparison!.delta.nodeHours).toBe(-1);
  });

  it('renders the comparison as a table, Mermaid charts and an SVG', async () => {
    const report = await run(tightCommit);
    const text = renderSimulateText(report);
    expect(text).toMatch(/blocked instance-minutes\s+120\s+0\s+−120/);
    expect(text).toMatch(/node-hours\s+2\s+3\s+\+1/);
    const md = renderSimulateMarkdown(report);
    expect(md).toContain('| blocked instance-minutes | 120 | 0 | −120 |');
    // Nodes per pool, demand and capacity, blocked instances: base and head lines in each.
    expect(md.match(/```mermaid\n/g)).toHaveLength(3);
    expect(md).toContain('xychart-beta');
    const blocked = md.split('**Blocked instances**')[1]!;
    expect(blocked).toMatch(/line \[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,/);
    const svg = renderSimulateSvg(report);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<polyline /g)!.length).toBe(2 + 3 + 2);
    expect(renderSimulateSvg(await run(tightCommit))).toBe(svg);
  });
});
