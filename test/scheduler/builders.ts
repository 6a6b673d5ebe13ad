/**
 * Small object builders for scheduler tests (kube-scheduler's MakePod()/MakeNode() style):
 * makeNode('n1').pool('gpu').gpu(4).obj(), makeAgent('chat').replicas(3).req({cpu: 1}).obj().
 */
import {
  API_VERSION,
  DEFAULT_PROFILE_SPEC,
  type AffinityRuleDoc,
  type AffinityRuleSpec,
  type AgentClass,
  type AgentDoc,
  type AgentSpec,
  type PolicySet,
  type PoolDoc,
  type PoolSpec,
  type QuotaDoc,
  type QuotaSpec,
  type SchedulingProfileSpec,
  type Taint,
  type Tier,
} from '../../src/model/documents.js';
import { parseResource, type ResourceList } from '../../src/model/quantity.js';
import type { ObservedInstance, ObservedNode } from '../../src/model/state.js';

const source = { file: 'test.yaml', index: 0, line: 1, column: 1 };

/** Human quantities ({cpu: 2, memory: '4Gi', gpu: 0.5, agents: 3}) → canonical units. */
export function res(raw: Record<string, unknown> | undefined): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(raw ?? {})) {
    if (k === 'agents' || k.endsWith('Millis') || k.endsWith('Bytes') || k === 'networkMbps') {
      out[k] = Number(v);
      continue;
    }
    const p = parseResource(k, v);
    if (!p.ok) throw new Error(`bad quantity ${k}=${String(v)}: ${p.message}`);
    out[p.value[0]] = p.value[1];
  }
  return out;
}

function meta(name: string, labels: Record<string, string> = {}) {
  return { name, labels, annotations: {} };
}

export class PoolBuilder {
  private readonly s: PoolSpec;
  private labels: Record<string, string> = {};
  constructor(private readonly name: string) {
    this.s = {
      driver: 'sim',
      tier: 'silver',
      region: 'local',
      zones: ['local-a'],
      state: 'active',
      node: { capacity: {}, labels: {}, taints: [], costPerHour: 0, powerWatts: 0 },
      size: { min: 0, max: 10, initial: 0 },
      overcommit: {},
    };
  }
  tier(t: Tier): this { this.s.tier = t; return this; }
  region(r: string): this { this.s.region = r; return this; }
  state(s: PoolSpec['state']): this { this.s.state = s; return this; }
  overcommit(o: Record<string, number>): this { this.s.overcommit = Object.fromEntries(Object.entries(o).map(([k, v]) => [canonical(k), v])); return this; }
  reserve(percent: number, forPriorityAtLeast: number): this { this.s.reserve = { percent, forPriorityAtLeast }; return this; }
  access(a: PoolSpec['access']): this { this.s.access = a; return this; }
  label(k: string, v: string): this { this.labels[k] = v; return this; }
  obj(): PoolDoc {
    return { apiVersion: API_VERSION, kind: 'Pool', metadata: meta(this.name, this.labels), spec: this.s, source };
  }
}

function canonical(k: string): string {
  return ({ cpu: 'cpuMillis', memory: 'memoryBytes', storage: 'storageBytes', network: 'networkMbps', gpu: 'gpuMillis' } as Record<string, string>)[k] ?? k;
}

export const makePool = (name: string) => new PoolBuilder(name);

export class NodeBuilder {
  private readonly n: ObservedNode;
  constructor(name: string) {
    this.n = { name, pool: 'default', region: 'local', zone: 'local-a', labels: {}, taints: [], ready: true, capacity: res({ cpu: 4, memory: '16Gi' }), costPerHour: 0, powerWatts: 0 };
  }
  pool(p: string): this { this.n.pool = p; return this; }
  zone(z: string): this { this.n.zone = z; return this; }
  region(r: string): this { this.n.region = r; return this; }
  label(k: string, v: string): this { this.n.labels = { ...this.n.labels, [k]: v }; return this; }
  labels(l: Record<string, string>): this { this.n.labels = { ...this.n.labels, ...l }; return this; }
  taint(key: string, value: string | undefined, effect: Taint['effect'] = 'NoSchedule'): this { this.n.taints = [...this.n.taints, value === undefined ? { key, effect } : { key, value, effect }]; return this; }
  capacity(c: Record<string, unknown>): this { this.n.capacity = res(c); return this; }
  gpu(devices: number): this { this.n.capacity = { ...this.n.capacity, gpuMillis: devices * 1000 }; return this; }
  notReady(): this { this.n.ready = false; return this; }
  cost(c: number): this { this.n.costPerHour = c; return this; }
  power(w: number): this { this.n.powerWatts = w; return this; }
  obj(): ObservedNode { return { ...this.n }; }
}

export const makeNode = (name: string) => new NodeBuilder(name);

export class AgentBuilder {
  private readonly s: AgentSpec;
  private labels: Record<string, string> = {};
  constructor(private readonly name: string) {
    this.s = {
      type: 'general',
      owner: 'team',
      replicas: 1,
      class: 'burstable',
      priority: 50,
      resources: { requests: res({ cpu: 1, memory: '1Gi' }) },
      placement: {},
      runtime: {},
      dependsOn: [],
    };
  }
  replicas(n: number): this { this.s.replicas = n; return this; }
  req(r: Record<string, unknown>): this { this.s.resources.requests = res(r); return this; }
  priority(p: number): this { this.s.priority = p; return this; }
  cls(c: AgentClass): this { this.s.class = c; return this; }
  type(t: string): this { this.s.type = t; return this; }
  owner(o: string): this { this.s.owner = o; return this; }
  label(k: string, v: string): this { this.labels[k] = v; return this; }
  labelsOf(l: Record<string, string>): this { this.labels = { ...this.labels, ...l }; return this; }
  pools(...p: string[]): this { this.s.placement.pools = p; return this; }
  tiers(...t: Tier[]): this { this.s.placement.tiers = t; return this; }
  nodeSelector(sel: Record<string, string>): this { this.s.placement.nodeSelector = sel; return this; }
  tolerate(t: NonNullable<AgentSpec['placement']['tolerations']>[number]): this { this.s.placement.tolerations = [...(this.s.placement.tolerations ?? []), t]; return this; }
  placement(p: Partial<AgentSpec['placement']>): this { Object.assign(this.s.placement, p); return this; }
  dependsOn(...a: string[]): this { this.s.dependsOn = a; return this; }
  obj(): AgentDoc {
    return { apiVersion: API_VERSION, kind: 'Agent', metadata: meta(this.name, this.labels), spec: structuredClone(this.s), source };
  }
}

export const makeAgent = (name: string) => new AgentBuilder(name);

export function makeQuota(name: string, spec: Omit<QuotaSpec, 'limits' | 'borrowingLimit' | 'lendingLimit'> & { limits: Record<string, unknown>; borrowingLimit?: Record<string, unknown>; lendingLimit?: Record<string, unknown> }): QuotaDoc {
  const s: QuotaSpec = { ...spec, limits: res(spec.limits) } as QuotaSpec;
  if (spec.borrowingLimit) s.borrowingLimit = res(spec.borrowingLimit);
  if (spec.lendingLimit) s.lendingLimit = res(spec.lendingLimit);
  return { apiVersion: API_VERSION, kind: 'Quota', metadata: meta(name), spec: s, source };
}

export function makeRule(name: string, spec: AffinityRuleSpec): AffinityRuleDoc {
  return { apiVersion: API_VERSION, kind: 'AffinityRule', metadata: meta(name), spec, source };
}

export function makeInstance(name: string, agent: string, node: string, extra: Partial<ObservedInstance> = {}): ObservedInstance {
  return { name, agent, node, requests: {}, ...extra };
}

export interface PolicyParts {
  pools?: PoolDoc[];
  agents?: AgentDoc[];
  quotas?: QuotaDoc[];
  rules?: AffinityRuleDoc[];
  profile?: Partial<SchedulingProfileSpec>;
}

/** A PolicySet with defaults; pools referenced by nodes but not given are fine (treated as plain active pools). */
export function makePolicy(parts: PolicyParts): PolicySet {
  const sortByName = <T extends { metadata: { name: string } }>(l: T[]) => [...l].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  const profile = { ...structuredClone(DEFAULT_PROFILE_SPEC), ...(parts.profile ?? {}) };
  if (parts.profile?.scoreWeights) profile.scoreWeights = { ...DEFAULT_PROFILE_SPEC.scoreWeights, ...parts.profile.scoreWeights };
  return {
    pools: sortByName(parts.pools ?? []),
    agents: sortByName(parts.agents ?? []),
    quotas: sortByName(parts.quotas ?? []),
    affinityRules: sortByName(parts.rules ?? []),
    scalingPolicies: [],
    profile: { apiVersion: API_VERSION, kind: 'SchedulingProfile', metadata: meta('default'), spec: profile, source },
    policies: [],
    metricSources: [],
    drivers: [],
  };
}
