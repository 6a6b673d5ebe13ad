/** `qm plan --ref`: file metric sources are read as committed in the revision (real Git repository). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileAtCommit } from '../../src/config/load.js';
import { runPlan } from '../../src/engine/plan.js';
import { POOL_YAML, agentYaml, tempRepo, type TempRepo } from '../helpers/repo.js';

const NOW = '2026-11-27T12:00:00Z';
const csv = (rpm: number) => `timestamp,series,value\n${Array.from({ length: 6 }, (_, i) => `2026-11-27T11:${48 + i * 2}:00Z,rpm,${rpm}`).join('\n')}\n`;
const files: Record<string, string> = {
  'pools/general.yaml': POOL_YAML,
  'agents/chat.yaml': agentYaml('chat', '  replicas: 1\n'),
  'policies/metrics.yaml': `apiVersion: quartermaster.dev/v1alpha1
kind: MetricSource
metadata: {name: history}
spec:
  file: {path: metrics/rpm.csv}
---
apiVersion: quartermaster.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: chat}
spec:
  target: {kind: Agent, name: chat}
  min: 1
  max: 8
  metrics: [{metric: {source: history, series: rpm}, targetPerReplica: 100}]
  behavior: {scaleUp: {cooldown: 0s}}
`,
  'snap.yaml': 'nodes:\n  - {name: general-0, pool: general}\n  - {name: general-1, pool: general}\ninstances: []\n',
};

let repo: TempRepo;
let committed = '';
beforeAll(async () => {
  repo = await tempRepo({ git: true });
  for (const [rel, text] of Object.entries(files)) await repo.write(rel, text);
  await repo.write('metrics/rpm.csv', csv(300));
  committed = await repo.commit('fleet with 300 rpm');
  // The work tree moves on without a commit.
  await repo.write('metrics/rpm.csv', csv(500));
});
afterAll(() => repo.cleanup());

const replicasFor = async (ref?: string) => {
  const { plan } = await runPlan({ dir: repo.dir, ref, snapshot: `${repo.dir}/snap.yaml`, now: NOW });
  const scale = plan.actions.find((a) => a.type === 'scaleAgent');
  return scale && scale.type === 'scaleAgent' ? scale.to : 1;
};

describe('metric files at a revision', () => {
  it('--ref reads the committed CSV; the work tree plan reads the edited one', async () => {
    expect(await replicasFor(committed)).toBe(3);
    expect(await replicasFor()).toBe(5);
  });

  it('a CSV the revision does not track is read from the work tree', async () => {
    await repo.git.rm(['-q', '--cached', 'metrics/rpm.csv']);
    await repo.write('.gitignore', '/metrics/\n');
    const untracked = await repo.commit('metrics exported by a job, not committed');
    expect(await readFileAtCommit(repo.dir, untracked, 'metrics/rpm.csv')).toBeUndefined();
    expect(await replicasFor(untracked)).toBe(5);
  });

  it('follows a committed symbolic link inside the revision, not into the work tree', async () => {
    const { symlink } = await import('node:fs/promises');
    await repo.write('common/rpm.csv', csv(300));
    await repo.write('fleet/pools/general.yaml', files['pools/general.yaml']!);
    await repo.write('fleet/agents/chat.yaml', files['agents/chat.yaml']!);
    await repo.write('fleet/policies/metrics.yaml', files['policies/metrics.yaml']!);
    await repo.write('fleet/snap.yaml', files['snap.yaml']!);
    await repo.write('fleet/metrics/.keep', '');
    await symlink('../../common/rpm.csv', `${repo.dir}/fleet/metrics/rpm.csv`);
    const linked = await repo.commit('a fleet in a subdirectory whose metrics file is a link');
    await repo.write('common/rpm.csv', csv(500));
    const dir = `${repo.dir}/fleet`;
    expect((await readFileAtCommit(dir, linked, 'metrics/rpm.csv'))?.toString()).toBe(csv(300));
    const plan = async (ref?: string) => (await runPlan({ dir, ref, snapshot: `${dir}/snap.yaml`, now: NOW })).plan.actions.find((a) => a.type === 'scaleAgent');
    expect(await plan(linked)).toMatchObject({ to: 3 });
    expect(await plan()).toMatchObject({ to: 5 });
  });

  it('never reads outside the repository', async () => {
    expect(await readFileAtCommit(repo.dir, committed, '../etc/passwd')).toBeUndefined();
    expect(await readFileAtCommit(repo.dir, committed, '/etc/passwd')).toBeUndefined();
    expect((await readFileAtCommit(repo.dir, committed, 'metrics/rpm.csv'))?.toString()).toBe(csv(300));
  });
});
