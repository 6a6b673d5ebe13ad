/** The pull request's "Replay of the last N days" section: when it appears, what it shows, and that it never throws. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadValidPolicy } from '../../src/engine/plan.js';
import { replayRelevant, replaySection } from '../../src/github/replay.js';
import type { TempRepo } from '../helpers/repo.js';
import { AGENT_YAML, fleetRepo, iso, poolYaml, scalingYaml, T0 } from './fixture.js';

let repo: TempRepo;
let tight = '';
let roomy = '';
let agentOnly = '';
beforeAll(async () => {
  repo = await fleetRepo(1);
  tight = (await repo.git.revparse(['HEAD'])).trim();
  await repo.write('pools/general.yaml', poolYaml(4));
  await repo.write('policies/scaling.yaml', scalingYaml(4));
  roomy = await repo.commit('raise the pool max to 4');
  await repo.write('agents/chat.yaml', AGENT_YAML.replace('owner: team-a', 'owner: team-b'));
  agentOnly = await repo.commit('a new owner: nothing a replay would show');
});
afterAll(() => repo.cleanup());

const policyAt = async (ref: string) => (await loadValidPolicy(repo.dir, ref)).policy;

describe('pull-request replay', () => {
  it('appears for a Pool or ScalingPolicy change, not for an owner change or a fleet without scaling', async () => {
    expect(replayRelevant(await policyAt(tight), await policyAt(roomy))).toBe(true);
    expect(replayRelevant(await policyAt(roomy), await policyAt(agentOnly))).toBe(false);
    const head = await policyAt(roomy);
    const unscaled = { ...head, scalingPolicies: [] };
    expect(replayRelevant({ ...unscaled, pools: [] }, unscaled)).toBe(false);
  });

  it('shows base and the pull request side by side, collapsed', async () => {
    const md = await replaySection({ dir: repo.dir, baseSha: tight, headSha: roomy, baseRef: 'main', now: iso(T0 + 7200 + 60), window: 7200, snapshot: `${repo.dir}/snap.yaml` });
    expect(md).toMatch(/^<details><summary>Replay of the last 2 hours: base and this pull request/);
    // New nodes take 3 minutes in the replay: the pull request's node comes one step late.
    expect(md).toContain('| blocked instance-minutes | 120 | 10 | −110 |');
    expect(md).toContain('| node-hours | 2 | 3 | +1 |');
    expect(md).toContain('base `main`');
    expect(md).toContain('head `this pull request`');
    expect(md.trimEnd().endsWith('</details>')).toBe(true);
  });

  it('says why when the replay cannot run, instead of failing', async () => {
    const md = await replaySection({ dir: repo.dir, baseSha: tight, headSha: roomy, baseRef: 'main', now: iso(T0 + 7200), window: 7200, snapshot: `${repo.dir}/no-such-snapshot.yaml` });
    expect(md).toMatch(/^<details><summary>Replay of the last 2 hours: not available<\/summary>\n\nThe replay could not run: snapshot .*no-such-snapshot.yaml cannot be read/);
  });
});

describe('qm pr plan with a scaling change (local GitHub)', () => {
  it('posts the replay section collapsed in the plan comment, and the check still follows the plan', async () => {
    const { harness } = await import('../github/harness.js');
    const h = await harness();
    try {
      const policy = `apiVersion: quartermaster.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: general}
spec:
  target: {kind: Pool, name: general}
  min: 3
  max: 4
`;
      const head = await h.branch('general-floor-3', { 'policies/general-scaling.yaml': policy });
      h.openPull(7, head);
      const r = await h.run('plan', await h.pullRequestEvent(7, 'opened'), { now: '2026-11-28T10:00:00Z', replayWindow: '2h' });
      expect(r.code).toBe(0);
      const body = h.gh.commentsOn(7).at(-1)!.body;
      expect(body).toContain('<details><summary>Replay of the last 2 hours: base and this pull request');
      // The base keeps general at its 2 initial nodes; the pull request's floor of 3 adds one for 2 hours at 0.40/h.
      expect(body).toContain('| peak nodes general | 2 | 3 | +1 |');
      expect(body).toContain('| node-hours | 12 | 14 | +2 |');
      expect(h.gh.checks.at(-1)!.conclusion).toBe('success');
      const off = await h.run('plan', await h.pullRequestEvent(7, 'synchronize'), { now: '2026-11-28T10:00:00Z', replayWindow: '0s' });
      expect(off.code).toBe(0);
      expect(h.gh.commentsOn(7).at(-1)!.body).not.toContain('Replay of the last');
    } finally {
      await h.cleanup();
    }
  });
});
