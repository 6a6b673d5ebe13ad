/**
 * `qm serve` reusing its previous plan (engine/plan-reuse.ts) as a real process: counted in
 * qm_plan_reused_total and said in the log line, still counted as a run ending ok; a policy change
 * is planned and applied at the next run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/repo.js';
import type { TempRepo } from '../helpers/repo.js';
import { sample, startServe, waitFor } from './harness.js';
import type { ServeProc } from './harness.js';

import { SMALL_POOL as POOL, chatAgent as AGENT } from '../helpers/small-fleet.js';

describe('qm serve on a fleet without ScalingPolicies', () => {
  let repo: TempRepo;
  let serve: ServeProc;

  beforeAll(async () => {
    repo = await tempRepo({ git: true });
    await repo.write('pools/general.yaml', POOL);
    await repo.write('agents/chat.yaml', AGENT(3));
    await repo.commit('fleet');
    serve = await startServe(repo.dir, ['--interval', '1s', '--mode', 'fix']);
  }, 60_000);

  afterAll(async () => {
    await serve?.stop('SIGKILL', 5000);
    await repo?.cleanup();
  });

  const metric = async (name: string, labels: Record<string, string> = {}) => sample((await serve.get('/metrics')).body, name, labels) ?? 0;

  it('reuses the plan while nothing changes, and plans and applies a changed policy file', async () => {
    await waitFor('two runs that reused the plan', async () => (await metric('qm_plan_reused_total')) >= 2, 90_000, serve.stderr);
    const reused = serve.logs().filter((l) => l.plan === 'reused');
    expect(reused.length).toBeGreaterThanOrEqual(2);
    expect(reused.every((l) => l.msg === 'in sync' && l.drift === 0)).toBe(true);
    // The first run fixed the fleet, the next planned the fixed fleet: neither reused.
    expect(serve.logs().filter((l) => l.msg === 'in sync' || l.msg === 'drift fixed').slice(0, 2).map((l) => l.plan)).toEqual([undefined, undefined]);
    expect(await metric('qm_reconcile_total', { result: 'ok' })).toBeGreaterThanOrEqual(4);
    expect(await metric('qm_instances', { agent: 'chat', state: 'running' })).toBe(3);

    await repo.write('agents/chat.yaml', AGENT(4));
    await waitFor('the fourth replica', async () => (await metric('qm_instances', { agent: 'chat', state: 'running' })) === 4, 60_000, serve.stderr);
    expect(serve.logs().some((l) => l.msg === 'drift fixed' && l.plan === undefined)).toBe(true);
    expect(await serve.stop('SIGTERM')).toBe(0);
  }, 180_000);
});
