/**
 * Schema-valid document values → typed documents in canonical units. Quantities and durations are
 * parsed here, so their errors say exactly how to fix them.
 */
import type {
  AffinityRuleDoc, AgentDoc, AnyDoc, DriverDoc, Kind, MetricSourceDoc, PolicyDoc, PoolDoc, QuotaDoc,
  ScalingPolicyDoc, SchedulingProfileDoc, SourceRef, StaticNode,
} from '../model/documents.js';
import { API_VERSION, DEFAULT_PROFILE_SPEC, DEFAULT_SCALE_DOWN_UNNEEDED_SECONDS, DEFAULT_SCALE_DOWN_UTILIZATION_PERCENT } from '../model/documents.js';
import type { DiagnosticCode } from '../model/diagnostic.js';
import { pointerSegment } from '../model/diagnostic.js';
import type { Parsed, ResourceList } from '../model/quantity.js';
import { CANONICAL_KEYS, EXTENDED_RESOURCE_RE, parseDuration, parseResource } from '../model/quantity.js';
import { fieldPath } from './schema.js';

export interface NormalizeProblem {
  code: DiagnosticCode;
  pointer: string;
  message: string;
  hint?: string;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown, d: string): string => (typeof v === 'string' ? v : d);
const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);
const strMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) out[k] = String(x);
  return out;
};

class Collector {
  readonly problems: NormalizeProblem[] = [];

  fail(pointer: string, p: Parsed<unknown>): void {
    if (p.ok) return;
    const code: DiagnosticCode = /share above one device/.test(p.message) ? 'GpuShareTooLarge' : 'InvalidQuantity';
    const problem: NormalizeProblem = { code, pointer, message: p.message };
    if (p.hint) problem.hint = p.hint;
    this.problems.push(problem);
  }

  resources(v: unknown, pointer: string, allowAgents = false): ResourceList {
    const out: ResourceList = {};
    for (const [key, raw] of Object.entries(obj(v))) {
      // A key that is neither well known nor a domain-prefixed extended resource (`memroy`) is the
      // schema's UnknownField; counting it as an extended resource would only add noise downstream.
      if (!(key in CANONICAL_KEYS) && !(allowAgents && key === 'agents') && !EXTENDED_RESOURCE_RE.test(key)) continue;
      const at = `${pointer}/${pointerSegment(key)}`;
      // Named by its key, as people write it ("memory '4GB ' is not a quantity"); the position says where.
      const p = parseResource(key, raw);
      if (p.ok) out[p.value[0]] = p.value[1];
      else this.fail(at, p);
    }
    return out;
  }

  duration(v: unknown, pointer: string, fallback: number): number {
    if (v === undefined) return fallback;
    const p = parseDuration(v, fieldPath(pointer));
    if (!p.ok) {
      this.fail(pointer, p);
      return fallback;
    }
    return p.value;
  }
}

/** Ratios per resource key (cpu: 2.0) → per canonical key (cpuMillis: 2.0). */
function canonicalRatios(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(obj(v))) out[(CANONICAL_KEYS as Record<string, string>)[k] ?? k] = num(x, 1);
  return out;
}

function pool(spec: Obj, c: Collector): PoolDoc['spec'] {
  const region = str(spec.region, 'local');
  const node = obj(spec.node);
  const shape = {
    capacity: c.resources(node.capacity, '/spec/node/capacity'),
    labels: strMap(node.labels),
    taints: arr(node.taints).map((t) => ({ key: str(obj(t).key, ''), ...(obj(t).value !== undefined ? { value: String(obj(t).value) } : {}), effect: str(obj(t).effect, 'NoSchedule') as 'NoSchedule' })),
    costPerHour: num(node.costPerHour, 0),
    powerWatts: num(node.powerWatts, 0),
  };
  const zones = arr(spec.zones).map(String);
  const nodes = spec.nodes === undefined ? undefined : arr(spec.nodes).map((n, i): StaticNode => {
    const o = obj(n);
    const sn: StaticNode = {
      name: str(o.name, ''),
      labels: { ...shape.labels, ...strMap(o.labels) },
      capacity: { ...shape.capacity, ...c.resources(o.capacity, `/spec/nodes/${i}/capacity`) },
    };
    if (typeof o.zone === 'string') sn.zone = o.zone;
    if (typeof o.address === 'string') sn.address = o.address;
    return sn;
  });
  const size = obj(spec.size);
  const derived = nodes?.length;
  const min = num(size.min, derived ?? 1);
  const max = num(size.max, derived ?? Math.max(min, 10));
  const out: PoolDoc['spec'] = {
    driver: str(spec.driver, 'sim'),
    tier: str(spec.tier, 'silver') as PoolDoc['spec']['tier'],
    region,
    zones: zones.length ? zones : [`${region}-a`],
    state: str(spec.state, 'active') as PoolDoc['spec']['state'],
    node: shape,
    size: { min, max, initial: num(size.initial, derived ?? min) },
    overcommit: canonicalRatios(spec.overcommit),
  };
  if (nodes) out.nodes = nodes;
  if (typeof spec.provisioner === 'string') out.provisioner = spec.provisioner;
  if (spec.reserve !== undefined) out.reserve = { percent: num(obj(spec.reserve).percent, 0), forPriorityAtLeast: num(obj(spec.reserve).forPriorityAtLeast, 0) };
  if (spec.access !== undefined) {
    const a = obj(spec.access);
    out.access = {};
    if (a.agentTypes !== undefined) out.access.agentTypes = arr(a.agentTypes).map(String);
    if (a.owners !== undefined) out.access.owners = arr(a.owners).map(String);
  }
  return out;
}

function agent(spec: Obj, c: Collector): AgentDoc['spec'] {
  const res = obj(spec.resources);
  const resources: AgentDoc['spec']['resources'] = { requests: c.resources(res.requests, '/spec/resources/requests') };
  if (res.limits !== undefined) resources.limits = c.resources(res.limits, '/spec/resources/limits');
  return {
    type: str(spec.type, 'default'),
    owner: str(spec.owner, ''),
    replicas: num(spec.replicas, 1),
    class: str(spec.class, 'burstable') as AgentDoc['spec']['class'],
    priority: num(spec.priority, 50),
    resources,
    placement: obj(spec.placement) as AgentDoc['spec']['placement'],
    runtime: obj(spec.runtime) as AgentDoc['spec']['runtime'],
    dependsOn: arr(spec.dependsOn).map(String),
  };
}

function quota(spec: Obj, c: Collector): QuotaDoc['spec'] {
  const out: QuotaDoc['spec'] = { owner: str(spec.owner, ''), limits: c.resources(spec.limits, '/spec/limits', true) };
  if (spec.scope !== undefined) out.scope = obj(spec.scope) as QuotaDoc['spec']['scope'] & object;
  if (typeof spec.cohort === 'string') out.cohort = spec.cohort;
  if (spec.borrowingLimit !== undefined) out.borrowingLimit = c.resources(spec.borrowingLimit, '/spec/borrowingLimit', true);
  if (spec.lendingLimit !== undefined) out.lendingLimit = c.resources(spec.lendingLimit, '/spec/lendingLimit', true);
  if (spec.reclaimWithinCohort === 'Never' || spec.reclaimWithinCohort === 'LowerPriority' || spec.reclaimWithinCohort === 'Any') out.reclaimWithinCohort = spec.reclaimWithinCohort;
  return out;
}

function cronWindows<T extends Obj>(list: unknown, pointer: string, c: Collector): (T & { cron: string; timezone: string; duration: number })[] {
  return arr(list).map((w, i) => {
    const o = obj(w);
    return { ...(o as T), cron: str(o.cron, ''), timezone: str(o.timezone, 'UTC'), duration: c.duration(o.duration, `${pointer}/${i}/duration`, 0) };
  });
}

function scalingPolicy(spec: Obj, c: Collector): ScalingPolicyDoc['spec'] {
  const behavior = obj(spec.behavior);
  const rule = (v: unknown, p: string, d: { stabilizationWindow: number; cooldown: number }) => {
    const o = obj(v);
    const r: ScalingPolicyDoc['spec']['behavior']['scaleUp'] = {
      stabilizationWindow: c.duration(o.stabilizationWindow, `${p}/stabilizationWindow`, d.stabilizationWindow),
      cooldown: c.duration(o.cooldown, `${p}/cooldown`, d.cooldown),
    };
    if (typeof o.maxStep === 'number') r.maxStep = o.maxStep;
    if (typeof o.maxPercent === 'number') r.maxPercent = o.maxPercent;
    return r;
  };
  const target = obj(spec.target);
  const out: ScalingPolicyDoc['spec'] = {
    target: { kind: str(target.kind, 'Pool') as 'Pool', name: str(target.name, '') },
    min: num(spec.min, 0),
    max: num(spec.max, 0),
    tolerancePercent: num(spec.tolerancePercent, 10),
    metrics: arr(spec.metrics) as ScalingPolicyDoc['spec']['metrics'],
    triggers: arr(spec.triggers).map((t, i) => ({ ...(obj(t) as unknown as ScalingPolicyDoc['spec']['triggers'][number]), for: c.duration(obj(t).for, `/spec/triggers/${i}/for`, 0) })),
    schedules: cronWindows<{ min?: number; max?: number }>(spec.schedules, '/spec/schedules', c),
    behavior: {
      scaleUp: rule(behavior.scaleUp, '/spec/behavior/scaleUp', { stabilizationWindow: 0, cooldown: 60 }),
      scaleDown: rule(behavior.scaleDown, '/spec/behavior/scaleDown', { stabilizationWindow: 300, cooldown: 300 }),
    },
    windows: cronWindows<{ deny: boolean }>(spec.windows, '/spec/windows', c).map((w) => ({ ...w, deny: w.deny === true })),
    scaleDownUtilizationPercent: num(spec.scaleDownUtilizationPercent, DEFAULT_SCALE_DOWN_UTILIZATION_PERCENT),
    scaleDownUnneededTime: c.duration(spec.scaleDownUnneededTime, '/spec/scaleDownUnneededTime', DEFAULT_SCALE_DOWN_UNNEEDED_SECONDS),
  };
  if (typeof spec.targetUtilizationPercent === 'number') out.targetUtilizationPercent = spec.targetUtilizationPercent;
  if (spec.anomalies !== undefined) {
    const a = obj(spec.anomalies);
    out.anomalies = { enabled: a.enabled !== false, consecutive: num(a.consecutive, 3), level: num(a.level, 0.95) };
  }
  if (spec.predictive !== undefined) {
    const p = obj(spec.predictive);
    out.predictive = {
      metric: obj(p.metric) as unknown as ScalingPolicyDoc['spec']['metrics'][number]['metric'],
      targetPerReplica: num(p.targetPerReplica, 1),
      horizon: c.duration(p.horizon, '/spec/predictive/horizon', 1800),
      lookback: c.duration(p.lookback, '/spec/predictive/lookback', 14 * 86400),
      mode: str(p.mode, 'forecastOnly') as 'forecastOnly',
    };
  }
  return out;
}

function profile(spec: Obj, c: Collector): SchedulingProfileDoc['spec'] {
  const d = DEFAULT_PROFILE_SPEC;
  const rb = obj(spec.rebalance);
  return {
    algorithm: str(spec.algorithm, d.algorithm) as SchedulingProfileDoc['spec']['algorithm'],
    scoreWeights: { ...d.scoreWeights, ...(obj(spec.scoreWeights) as Record<string, number>) },
    preemption: typeof spec.preemption === 'boolean' ? spec.preemption : d.preemption,
    rebalance: {
      enabled: typeof rb.enabled === 'boolean' ? rb.enabled : d.rebalance.enabled,
      maxImbalancePercent: num(rb.maxImbalancePercent, d.rebalance.maxImbalancePercent),
      maxMovesPerRun: num(rb.maxMovesPerRun, d.rebalance.maxMovesPerRun),
    },
    disruptionBudget: { maxUnavailablePercent: num(obj(spec.disruptionBudget).maxUnavailablePercent, d.disruptionBudget.maxUnavailablePercent) },
    timeBudget: c.duration(spec.timeBudget, '/spec/timeBudget', d.timeBudget),
    seed: num(spec.seed, d.seed),
  };
}

function metricSource(spec: Obj, c: Collector): MetricSourceDoc['spec'] {
  const out: MetricSourceDoc['spec'] = {};
  if (spec.prometheus !== undefined) {
    const p = obj(spec.prometheus);
    out.prometheus = { url: str(p.url, ''), timeout: c.duration(p.timeout, '/spec/prometheus/timeout', 5), retries: num(p.retries, 2) };
  }
  if (spec.file !== undefined) {
    const f = obj(spec.file);
    out.file = { path: str(f.path, ''), ...(f.replay === true ? { replay: true } : {}) };
  }
  if (spec.utilization !== undefined) out.utilization = {};
  return out;
}

/**
 * A Driver's settings stay as written (each driver reads its own block), but its durations are
 * checked here, so `stopGracePeriod: 2 seconds` is an error of qm validate rather than of qm plan.
 */
const DRIVER_DURATIONS: Record<string, readonly string[]> = { docker: ['stopGracePeriod', 'startTimeout'], exec: ['timeout'], kubernetes: ['startTimeout'], clusterapi: ['startTimeout'], aws: ['startTimeout'] };

function driver(spec: Obj, c: Collector): DriverDoc['spec'] {
  for (const [type, fields] of Object.entries(DRIVER_DURATIONS)) {
    const block = obj(spec[type]);
    for (const f of fields) if (block[f] !== undefined) c.duration(block[f], `/spec/${type}/${f}`, 0);
  }
  return spec as unknown as DriverDoc['spec'];
}

/** Turn one schema-valid document into its typed form; problems point into the document. */
export function normalizeDocument(kind: Kind, value: unknown, source: SourceRef): { doc: AnyDoc; problems: NormalizeProblem[] } {
  const v = obj(value);
  const md = obj(v.metadata);
  const metadata = { name: str(md.name, ''), labels: strMap(md.labels), annotations: strMap(md.annotations) };
  const spec = obj(v.spec);
  const c = new Collector();
  const base = { apiVersion: API_VERSION, metadata, source } as const;
  let doc: AnyDoc;
  switch (kind) {
    case 'Pool': doc = { ...base, kind, spec: pool(spec, c) }; break;
    case 'Agent': doc = { ...base, kind, spec: agent(spec, c) }; break;
    case 'Quota': doc = { ...base, kind, spec: quota(spec, c) }; break;
    case 'AffinityRule': doc = { ...base, kind, spec: spec as unknown as AffinityRuleDoc['spec'] }; break;
    case 'ScalingPolicy': doc = { ...base, kind, spec: scalingPolicy(spec, c) }; break;
    case 'SchedulingProfile': doc = { ...base, kind, spec: profile(spec, c) }; break;
    case 'Policy': doc = { ...base, kind, spec: spec as unknown as PolicyDoc['spec'] }; break;
    case 'MetricSource': doc = { ...base, kind, spec: metricSource(spec, c) }; break;
    case 'Driver': doc = { ...base, kind, spec: driver(spec, c) }; break;
  }
  return { doc, problems: c.problems };
}
