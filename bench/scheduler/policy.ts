/** Minimal PolicySet construction for benchmarks (no loader, no test helpers). */
import { API_VERSION, DEFAULT_PROFILE_SPEC, type AgentDoc, type AgentSpec, type PolicySet, type PoolDoc, type SchedulingProfileSpec } from '../../src/model/documents.js';

const source = { file: 'bench', index: 0, line: 1, column: 1 };
const meta = (name: string, labels: Record<string, string> = {}) => ({ name, labels, annotations: {} });

export function pool(name: string, spec: Partial<PoolDoc['spec']> = {}): PoolDoc {
  return {
    apiVersion: API_VERSION,
    kind: 'Pool',
    metadata: meta(name),
    spec: {
      driver: 'sim',
      tier: 'silver',
      region: 'local',
      zones: ['local-a'],
      state: 'active',
      node: { capacity: {}, labels: {}, taints: [], costPerHour: 0, powerWatts: 0 },
      size: { min: 0, max: 0, initial: 0 },
      overcommit: {},
      ...spec,
    },
    source,
  };
}

export function agent(name: string, spec: Partial<AgentSpec>, labels: Record<string, string> = {}): AgentDoc {
  return {
    apiVersion: API_VERSION,
    kind: 'Agent',
    metadata: meta(name, labels),
    spec: {
      type: 'general',
      owner: 'team',
      replicas: 1,
      class: 'burstable',
      priority: 50,
      resources: { requests: {} },
      placement: {},
      runtime: {},
      dependsOn: [],
      ...spec,
    },
    source,
  };
}

export function policy(pools: PoolDoc[], agents: AgentDoc[], profile: Partial<SchedulingProfileSpec> = {}): PolicySet {
  const byName = <T extends { metadata: { name: string } }>(l: T[]) => [...l].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  return {
    pools: byName(pools),
    agents: byName(agents),
    quotas: [],
    affinityRules: [],
    scalingPolicies: [],
    profile: { apiVersion: API_VERSION, kind: 'SchedulingProfile', metadata: meta('default'), spec: { ...DEFAULT_PROFILE_SPEC, ...profile }, source },
    policies: [],
    metricSources: [],
    drivers: [],
  };
}
