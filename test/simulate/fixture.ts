/** A small fleet whose simulation can be worked out by hand: one pool of 4-CPU nodes, one agent of 2-CPU instances scaled by a CSV metric. */
import { tempRepo } from '../helpers/repo.js';
import type { TempRepo } from '../helpers/repo.js';

export const T0 = Date.parse('2026-11-20T00:00:00Z') / 1000;
export const STEP = 300;
export const iso = (t: number) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** rpm every 5 minutes from T0 − 1h to T0 + 3h: `before` until T0 + `jumpAt`, `after` from then on. */
export function rpmCsv(before: number, after: number, jumpAt = 3600): string {
  const rows = ['timestamp,series,value'];
  for (let t = T0 - 3600; t <= T0 + 3 * 3600; t += 300) rows.push(`${iso(t)},rpm,${t < T0 + jumpAt ? before : after}`);
  return `${rows.join('\n')}\n`;
}

export function poolYaml(max: number): string {
  return `apiVersion: quartermaster.dev/v1alpha1
kind: Pool
metadata: {name: general}
spec:
  node:
    capacity: {cpu: 4, memory: 16Gi}
    costPerHour: 2
  size: {min: 1, max: ${max}}
`;
}

export function scalingYaml(poolMax: number): string {
  return `apiVersion: quartermaster.dev/v1alpha1
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
---
apiVersion: quartermaster.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: general}
spec:
  target: {kind: Pool, name: general}
  min: 1
  max: ${poolMax}
`;
}

export const AGENT_YAML = `apiVersion: quartermaster.dev/v1alpha1
kind: Agent
metadata: {name: chat}
spec:
  owner: team-a
  replicas: 2
  resources:
    requests: {cpu: 2, memory: 1Gi}
`;

export const SNAPSHOT = `nodes:
  - {name: general-0, pool: general}
instances:
  - {name: chat-0, agent: chat, node: general-0}
  - {name: chat-1, agent: chat, node: general-0}
`;

/** A Git repository with the fleet committed; `poolMax` bounds both the Pool and its ScalingPolicy. */
export async function fleetRepo(poolMax: number, csv = rpmCsv(200, 400)): Promise<TempRepo> {
  const repo = await tempRepo({ git: true });
  await repo.write('pools/general.yaml', poolYaml(poolMax));
  await repo.write('agents/chat.yaml', AGENT_YAML);
  await repo.write('policies/scaling.yaml', scalingYaml(poolMax));
  await repo.write('metrics/rpm.csv', csv);
  await repo.write('snap.yaml', SNAPSHOT);
  await repo.commit('fleet');
  return repo;
}
