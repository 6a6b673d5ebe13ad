/**
 * Known answers: figures worked out by hand for a fleet of 4-CPU nodes at 2 USD an hour running
 * 2-CPU chat instances, one per 100 rpm. Demand doubles (200 → 400 rpm) one hour into a two-hour
 * window of 24 five-minute steps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulate } from '../../src/engine/simulate.js';
import { renderSimulateJson } from '../../src/simulate/report.js';
import type { TempRepo } from '../helpers/repo.js';
import { fleetRepo, STEP, T0 } from './fixture.js';

const simulate = (repo: TempRepo, extra: { nodeStartup?: number; base?: string; ref?: string } = {}) =>
  runSimulate({ dir: repo.dir, snapshot: `${repo.dir}/snap.yaml`, from: T0, to: T0 + 7200, step: STEP, nodeStartup: extra.nodeStartup ?? 0, ref: extra.ref, base: extra.base });

let roomy: TempRepo;
let tight: TempRepo;
beforeAll(async () => {
  [roomy, tight] = await Promise.all([fleetRepo(4), fleetRepo(1)]);
});
afterAll(async () => {
  await roomy.cleanup();
  await tight.cleanup();
});

describe('qm simulate: known answers', () => {
  it('a step in demand: the agent doubles, the pool grows by one node in the same step', async () => {
    const report = await simulate(roomy);
    const run = report.runs[0]!;
    expect(run.steps).toHaveLength(24);
    // Steps 0–11: 2 replicas on 1 node; from step 12 (T0 + 60 min): 4 replicas on 2 nodes.
    expect(run.steps[11]!.agents.chat).toEqual({ replicas: 2, placed: 2, blocked: 0 });
    expect(run.steps[12]!.agents.chat).toEqual({ replicas: 4, placed: 4, blocked: 0 });
    expect(run.steps[12]!.pools.general).toMatchObject({ nodes: 2, ready: 2, utilizationPercent: { cpu: 100 } });
    // 12 steps × 1 node + 12 steps × 2 nodes, 5 minutes each = 3 node-hours at 2 USD.
    expect(run.totals.nodeHours).toBe(3);
    expect(run.totals.cost).toBe(6);
    // One scaleAgent (2 → 4) and one scalePool (1 → 2).
    expect(run.totals.scaleActions).toBe(2);
    expect(run.totals.blockedInstanceMinutes).toBe(0);
    expect(run.totals.peakNodes).toEqual({ general: 2 });
    expect(run.totals.belowTargetMinutes).toEqual({ chat: 0 });
  });

  it('a pool max too low: the two instances the pool cannot hold are blocked for the last hour', async () => {
    const run = (await simulate(tight)).runs[0]!;
    expect(run.steps[12]!.agents.chat).toEqual({ replicas: 4, placed: 2, blocked: 2 });
    // 2 instances × 12 steps × 5 minutes.
    expect(run.totals.blockedInstanceMinutes).toBe(120);
    expect(run.totals.belowTargetMinutes).toEqual({ chat: 60 });
    expect(run.totals.nodeHours).toBe(2);
    // The planner asks for 4 replicas again at each of the 12 steps, because only 2 run (as qm
    // reconcile would: the autoscaler's current count is what runs); the pool never grows.
    expect(run.totals.scaleActions).toBe(12);
    expect(run.totals.peakNodes).toEqual({ general: 1 });
  });

  it('a node-startup delay: what goes on the new node waits until it is ready', async () => {
    // Ready 3 minutes after the ask: blocked for one step (2 × 5 minutes), placed at the next.
    const short = (await simulate(roomy, { nodeStartup: 180 })).runs[0]!;
    expect(short.steps[12]!.pools.general).toMatchObject({ nodes: 2, ready: 1 });
    expect(short.steps[12]!.agents.chat).toEqual({ replicas: 4, placed: 2, blocked: 2 });
    expect(short.steps[13]!.agents.chat).toEqual({ replicas: 4, placed: 4, blocked: 0 });
    expect(short.totals.blockedInstanceMinutes).toBe(10);
    // A booting node is billed: the node-hours do not change.
    expect(short.totals.nodeHours).toBe(3);
    // scalePool once; scaleAgent 2 → 4 at steps 12 and 13 (at 13 only 2 ran when it planned).
    expect(short.totals.scaleActions).toBe(3);
    // 12 minutes: ready at T0 + 72 min, so steps at 60, 65 and 70 minutes wait — and no second
    // node is asked for meanwhile (the planner counts the booting node as capacity coming).
    const long = (await simulate(roomy, { nodeStartup: 720 })).runs[0]!;
    expect(long.totals.blockedInstanceMinutes).toBe(30);
    // scalePool once; scaleAgent at steps 12–15 (each planned while 2 ran).
    expect(long.totals.scaleActions).toBe(5);
    expect(long.totals.peakNodes).toEqual({ general: 2 });
  });

  it('is deterministic: two runs give the same JSON byte for byte', async () => {
    const a = renderSimulateJson(await simulate(roomy, { nodeStartup: 180 }));
    const b = renderSimulateJson(await simulate(roomy, { nodeStartup: 180 }));
    expect(a).toBe(b);
    expect(JSON.parse(a).runs[0].steps).toHaveLength(24);
  });
});
