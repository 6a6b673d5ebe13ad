/**
 * A conformance scenario as a user would write it: a policy repository (YAML files) and a snapshot
 * file, so it can run through the real loader, validator, snapshot reader and planner
 * (`qm plan --snapshot`).
 */
import type { PlainScenario } from './plain.js';

const DEFAULT_CAPACITY = { cpu: 4, memory: '16Gi' };
const header = (kind: string, name: string, labels?: Record<string, string>) =>
  `apiVersion: quartermaster.dev/v1alpha1\nkind: ${kind}\nmetadata: ${JSON.stringify({ name, ...(labels && Object.keys(labels).length ? { labels } : {}) })}\n`;

/** Files of the policy repository, and the snapshot text. JSON is valid YAML, so specs are written as JSON. */
export function scenarioToRepo(s: PlainScenario): { files: { path: string; text: string }[]; snapshot: string } {
  const files: { path: string; text: string }[] = [];
  const poolNames = new Set<string>([...(s.pools ?? []).map((p) => p.name), ...s.nodes.map((n) => n.pool ?? 'default')]);
  for (const name of [...poolNames].sort()) {
    const p = (s.pools ?? []).find((x) => x.name === name);
    const nodes = s.nodes.filter((n) => (n.pool ?? 'default') === name);
    const zones = [...new Set(nodes.map((n) => n.zone ?? 'local-a'))].filter((z) => z !== '');
    // A static pool: the validator then checks requests against the real nodes (labels, capacity).
    const spec: Record<string, unknown> = {
      tier: p?.tier ?? 'silver',
      region: p?.region ?? 'local',
      state: p?.state ?? 'active',
      zones: zones.length ? zones : ['local-a'],
      node: { capacity: nodes[0]?.capacity ?? DEFAULT_CAPACITY },
      ...(nodes.length ? { nodes: nodes.map((n) => ({ name: n.name, zone: n.zone ?? 'local-a', labels: n.labels ?? {}, capacity: n.capacity ?? DEFAULT_CAPACITY })) } : { size: { min: 0, max: 10, initial: 0 } }),
      ...(p?.overcommit ? { overcommit: p.overcommit } : {}),
      ...(p?.reserve ? { reserve: p.reserve } : {}),
      ...(p?.access ? { access: p.access } : {}),
    };
    files.push({ path: `pools/${name}.yaml`, text: header('Pool', name) + `spec: ${JSON.stringify(spec)}\n` });
  }
  for (const a of s.agents) {
    const spec = {
      type: a.type ?? 'general',
      owner: a.owner ?? 'team',
      replicas: a.replicas ?? 1,
      class: a.class ?? 'burstable',
      priority: a.priority ?? 50,
      resources: { requests: a.requests ?? { cpu: 1, memory: '1Gi' } },
      ...(a.placement ? { placement: a.placement } : {}),
      ...(a.dependsOn ? { dependsOn: a.dependsOn } : {}),
    };
    files.push({ path: `agents/${a.name}.yaml`, text: header('Agent', a.name, a.labels) + `spec: ${JSON.stringify(spec)}\n` });
  }
  for (const { name, ...spec } of s.rules ?? []) files.push({ path: `policies/rule-${name}.yaml`, text: header('AffinityRule', name) + `spec: ${JSON.stringify(spec)}\n` });
  for (const { name, ...spec } of s.quotas ?? []) files.push({ path: `policies/quota-${name}.yaml`, text: header('Quota', name) + `spec: ${JSON.stringify(spec)}\n` });
  if (s.profile && Object.keys(s.profile).length) {
    const { timeBudget, ...rest } = s.profile as Record<string, unknown>;
    const spec = { ...rest, ...(timeBudget !== undefined ? { timeBudget: `${String(timeBudget)}s` } : {}) };
    files.push({ path: 'policies/profile.yaml', text: header('SchedulingProfile', 'default') + `spec: ${JSON.stringify(spec)}\n` });
  }
  const snapshot = {
    nodes: s.nodes.map((n) => ({
      name: n.name,
      pool: n.pool ?? 'default',
      zone: n.zone ?? 'local-a',
      region: n.region ?? 'local',
      labels: n.labels ?? {},
      taints: n.taints ?? [],
      ready: n.ready !== false,
      capacity: n.capacity ?? DEFAULT_CAPACITY,
      ...(n.costPerHour ? { costPerHour: n.costPerHour } : {}),
      ...(n.powerWatts ? { powerWatts: n.powerWatts } : {}),
    })),
    instances: (s.instances ?? []).map((i) => ({ name: i.name, agent: i.agent, node: i.node, ...(i.requests ? { requests: i.requests } : {}), ...(i.startedAt ? { startedAt: i.startedAt } : {}), ...(i.gpuDevices ? { gpuDevices: i.gpuDevices } : {}) })),
  };
  return { files, snapshot: JSON.stringify(snapshot, null, 1) + '\n' };
}
