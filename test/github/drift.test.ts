/** Scheduled reconcile: one "drift detected" issue, opened, kept up to date, closed when the drift is gone. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reconcileOnce } from '../../src/engine/reconcile.js';
import { StorePort } from '../../src/engine/store-port.js';
import { openStateStore } from '../../src/state/index.js';
import { DRIFT_LABEL, DRIFT_MARKER } from '../../src/github/drift-issue.js';
import { harness } from './harness.js';
import type { Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.cleanup();
});

describe('qm pr drift', () => {
  it('opens one issue while the fleet drifts, updates it, and closes it when the drift is gone', async () => {
    const first = await h.run('drift', undefined);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^drift: \d+ difference\(s\); issue opened #501/);
    expect(h.gh.issues).toHaveLength(1);
    const issue = h.gh.issues[0]!;
    expect(issue).toMatchObject({ title: 'Quartermaster: drift detected', state: 'open', labels: [{ name: DRIFT_LABEL }] });
    expect(String(issue.body)).toContain(DRIFT_MARKER);
    expect(String(issue.body)).toContain('instance research-bot-0 is missing');

    const second = await h.run('drift', undefined);
    // Kept up to date in place: updated, or left alone when nothing in it changed.
    expect(second.stdout).toMatch(/issue (updated|unchanged) #501/);
    expect(h.gh.issues).toHaveLength(1);

    // Someone fixes the drift.
    const store = await openStateStore(h.state);
    const port = new StorePort(store);
    await reconcileOnce({ dir: h.repo.dir, store: port, mode: 'fix', now: () => new Date().toISOString() });
    await store.close();

    const third = await h.run('drift', undefined);
    expect(third.stdout).toContain('in sync; issue closed #501');
    expect(h.gh.issues[0]).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(h.gh.commentsOn(501).at(-1)!.body).toContain('The drift is gone');
    const fourth = await h.run('drift', undefined);
    expect(fourth.stdout).toContain('in sync; issue none');
  });
});
