/**
 * The JSON Schemas in schemas/ are the single source of truth for field names, types and
 * defaults (SPEC §1). These tests keep them strict-mode clean, fully described, consistent with
 * the SPEC examples and the normalised model, and in sync with docs/reference.md.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, Options } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { renderReference } from '../scripts/gen-reference.mjs';
import { API_VERSION, DEFAULT_PROFILE_SPEC } from '../src/model/documents.js';
import { parseDuration } from '../src/model/quantity.js';
import { validateAgainstSchema } from '../src/config/schema.js';

const SCHEMAS_DIR = fileURLToPath(new URL('../schemas/', import.meta.url));
const REFERENCE_MD = fileURLToPath(new URL('../docs/reference.md', import.meta.url));
const BASE = 'https://quartermaster.dev/schemas/';

const KIND_FILES: Record<string, string> = {
  Pool: 'pool.schema.json',
  Agent: 'agent.schema.json',
  Quota: 'quota.schema.json',
  AffinityRule: 'affinity-rule.schema.json',
  ScalingPolicy: 'scaling-policy.schema.json',
  SchedulingProfile: 'scheduling-profile.schema.json',
  Policy: 'policy.schema.json',
  MetricSource: 'metric-source.schema.json',
  Driver: 'driver.schema.json',
};
const OTHER_FILES = ['common.schema.json', 'snapshot.schema.json', 'plan.schema.json', 'diagnostics.schema.json'];
const ALL_FILES = [...Object.values(KIND_FILES), ...OTHER_FILES].sort();

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const SCHEMAS = new Map<string, JsonObject>(
  ALL_FILES.map((f) => [f, JSON.parse(readFileSync(SCHEMAS_DIR + f, 'utf8')) as JsonObject]),
);

const AJV_OPTIONS: Options = { strict: true, allErrors: true, allowUnionTypes: true, verbose: true };

function makeAjv(extra: Options = {}): Ajv2020 {
  const ajv = new Ajv2020({ ...AJV_OPTIONS, ...extra });
  addFormats.default(ajv);
  for (const schema of SCHEMAS.values()) ajv.addSchema(schema);
  return ajv;
}

const ajv = makeAjv();

function validator(file: string) {
  const v = ajv.getSchema(BASE + file);
  if (v === undefined) throw new Error(`no schema ${file}`);
  return v;
}

/** Validates a document against the schema of its kind. */
function check(doc: unknown): ErrorObject[] {
  const kind = (doc as { kind?: string }).kind ?? '';
  const file = KIND_FILES[kind];
  if (file === undefined) throw new Error(`unknown kind ${kind}`);
  const v = validator(file);
  return v(doc) ? [] : [...(v.errors ?? [])];
}

function checkFile(file: string, data: unknown): ErrorObject[] {
  const v = validator(file);
  return v(data) ? [] : [...(v.errors ?? [])];
}

/** The SPEC examples omit apiVersion: add it in front. */
function withApiVersion(doc: unknown): JsonObject {
  const d = doc as JsonObject;
  return 'apiVersion' in d ? d : { apiVersion: API_VERSION, ...d };
}

function doc(text: string): JsonObject {
  return withApiVersion(parse(text));
}

function docs(text: string): JsonObject[] {
  return parseAllDocuments(text).map((d) => withApiVersion(d.toJS()));
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Visits every subschema with its JSON pointer inside the file. */
function walk(node: Json, pointer: string, visit: (schema: JsonObject, pointer: string) => void): void {
  if (Array.isArray(node)) {
    node.forEach((child, i) => walk(child, `${pointer}/${i}`, visit));
    return;
  }
  if (!isObject(node)) return;
  visit(node, pointer);
  for (const [key, child] of Object.entries(node)) {
    if (key === 'enum' || key === 'const' || key === 'default' || key === 'examples') continue;
    const seg = key.replace(/~/g, '~0').replace(/\//g, '~1');
    walk(child, `${pointer}/${seg}`, visit);
  }
}

// ---------------------------------------------------------------------------------------------
// SPEC §2 and §3 examples, copied verbatim (apiVersion added where the SPEC leaves it out).

const POOL_EXAMPLE = `
kind: Pool
metadata: {name: gpu-east}
spec:
  driver: sim                  # a Driver document's name, or a built-in type with defaults: sim | docker | kubernetes | aws
  provisioner: aws-east        # optional: a second driver that changes the node count (e.g. kubernetes places, aws scales)
  tier: gold                   # bronze | silver | gold | platinum            (default silver)
  region: us-east-1            #                                            (default "local")
  zones: [us-east-1a, us-east-1b]   # new nodes are spread over zones, fewest first (default ["<region>-a"])
  state: active                # active | draining | maintenance — no new placements unless active;
                               # draining also moves existing instances away
  node:                        # shape of every node
    capacity: {cpu: 16, memory: 64Gi, storage: 500Gi, network: 10Gbps, gpu: 4}
    labels: {accelerator: a100}
    taints: [{key: dedicated, value: ml, effect: NoSchedule}]   # NoSchedule | PreferNoSchedule
    costPerHour: 3.2
    powerWatts: 700
  size: {min: 1, max: 10, initial: 2}   # node-count bounds; initial = nodes a new simulated pool starts with (default min)
  nodes:                       # optional fixed nodes (a static pool: no node scaling; size is derived)
    - {name: dgx-1, zone: us-east-1a, labels: {rack: r1}, capacity: {gpu: 8}}   # capacity/labels extend the shape
    - {name: host-b, address: "ssh://ops@host-b"}   # address: how the driver reaches it (a Docker endpoint, …)
  overcommit: {cpu: 2.0}       # ≥ 1: all requests on a node may reach capacity × ratio;
                               # guaranteed requests must still fit in capacity × 1
  reserve: {percent: 10, forPriorityAtLeast: 80}   # agents below that priority see capacity × (1 - 10%)
  access: {agentTypes: [research], owners: [ml-team]}   # absent = everyone
`;

const AGENT_EXAMPLE = `
kind: Agent
metadata: {name: research-bot, labels: {app: research}}
spec:
  type: research               # free string, matched by Pool.access.agentTypes
  owner: ml-team               # principal for quotas
  replicas: 3                  # instances are named <agent>-0 … <agent>-(n-1); scale-down removes the highest
  class: guaranteed            # guaranteed | burstable | best_effort          (default burstable)
  priority: 80                 # 0–100                                         (default 50)
  resources:
    requests: {cpu: 2, memory: 8Gi, gpu: 1}
    limits:   {cpu: 2, memory: 8Gi}     # guaranteed: limits, if given, equal requests
  placement:
    pools: [gpu-east]          # only these pools
    tiers: [gold, platinum]    # only these tiers
    nodeSelector: {accelerator: a100}
    tolerations: [{key: dedicated, operator: Equal, value: ml, effect: NoSchedule}]  # operator Equal | Exists
    # plus any of the AffinityRule.spec fields below except appliesTo, applying to this agent
  runtime: {image: "registry.local/research:1.4", command: [], env: {}}   # opaque to the planner, handed to drivers
  dependsOn: [vector-db]       # placed only once every instance of these agents is placed
`;

const AFFINITY_RULE_EXAMPLE = `
kind: AffinityRule
metadata: {name: chat-spread}
spec:
  appliesTo: {matchLabels: {app: chat}}        # selector over agent views
  nodeAffinity:
    required: {matchLabels: {disk: ssd}}       # selector over node views
    preferred: [{weight: 50, selector: {match: {"==": [{"var": "tier"}, "gold"]}}}]   # weight 1–100
  agentAffinity:                               # be in the same topology domain as matching instances
    - {selector: {matchLabels: {app: vector-db}}, topologyKey: zone, required: true}
  agentAntiAffinity:                           # never share a domain with matching instances
    - {selector: {matchLabels: {app: chat}}, topologyKey: node, required: false, weight: 100}
  topologySpread:
    - {topologyKey: zone, maxSkew: 1, whenUnsatisfiable: DoNotSchedule, minDomains: 3}   # selector defaults to the same Agent
`;

const QUOTA_EXAMPLE = `
kind: Quota
metadata: {name: ml-team}
spec:
  owner: ml-team
  scope: {pools: [gpu-east], tiers: [gold]}    # optional; default: everything
  limits: {cpu: 128, memory: 512Gi, gpu: 8, agents: 200}   # agents = instance count
  cohort: research             # optional: members share their unused limits
  borrowingLimit: {cpu: 32}    # at most this much above own limits, from the cohort
  lendingLimit: {gpu: 2}       # at most this much of own unused quota lent to others
`;

const SCALING_POLICY_EXAMPLE = `
kind: ScalingPolicy
metadata: {name: gpu-east}
spec:
  target: {kind: Pool, name: gpu-east}          # or {kind: Agent, name: research-bot}
  min: 2
  max: 20
  targetUtilizationPercent: 70   # Pool only: requested/allocatable (dominant resource); pending instances always count
  metrics:                       # desired = ceil(current × value / target), within tolerance (default 10%)
    - {metric: {source: prom, query: 'sum(agent_queue_depth{agent="research-bot"})'}, targetPerReplica: 100}
  triggers:                      # step rules
    - {name: hot, metric: {source: history, series: cpu_util}, operator: gt, threshold: 85, for: 5m, change: {by: 2}}
  schedules:                     # raise floors / caps in time windows
    - {cron: "0 8 * * 1-5", timezone: Europe/Berlin, duration: 10h, min: 6}
  predictive:
    metric: {source: history, series: requests_per_min}
    targetPerReplica: 1000
    horizon: 30m
    lookback: 14d
    mode: forecastOnly           # forecastOnly (shown in plans, not applied) | forecastAndScale
  behavior:
    scaleUp:   {stabilizationWindow: 0s, cooldown: 60s,  maxStep: 4, maxPercent: 100}
    scaleDown: {stabilizationWindow: 5m, cooldown: 5m, maxStep: 1}
  windows:                       # when disruptive actions (scale-down, moves, evictions) may run
    - {deny: true, cron: "0 9 * * 1-5", timezone: UTC, duration: 8h}
`;

const SCHEDULING_PROFILE_EXAMPLE = `
kind: SchedulingProfile
metadata: {name: default}
spec:
  algorithm: best-fit-decreasing   # greedy | best-fit-decreasing | spread | round-robin | consistent-hash | genetic | optimal
  scoreWeights: {binpack: 1, balance: 1, affinity: 1, spread: 1, cost: 1, power: 0}
  preemption: true
  rebalance: {enabled: true, maxImbalancePercent: 10, maxMovesPerRun: 10}
  disruptionBudget: {maxUnavailablePercent: 25}   # per Agent, for moves and evictions in one plan
  timeBudget: 2s                   # for genetic / optimal
  seed: 1                          # every algorithm is deterministic for the same inputs and seed
`;

const POLICY_EXAMPLE = `
kind: Policy
metadata: {name: cost-center-required}
spec:
  appliesTo: {kinds: [Agent]}
  rules:
    - name: cost-center-label
      deny: {"!": {"var": "metadata.labels.cost-center"}}   # evaluated on the whole document; truthy = violation
      message: "agent has no cost-center label"
      severity: error            # error | warning
`;

const METRIC_SOURCE_AND_DRIVER_EXAMPLE = `
kind: MetricSource
metadata: {name: prom}
spec:
  prometheus: {url: "http://127.0.0.1:9090", timeout: 5s}
---
kind: MetricSource
metadata: {name: history}
spec:
  file: {path: metrics/history.csv}    # CSV with header timestamp,series,value (ISO 8601 or unix seconds)
---
kind: Driver
metadata: {name: prod}
spec:
  type: kubernetes                     # sim | docker | kubernetes | aws | exec
  kubernetes: {context: prod, namespace: agents}
`;

const SNAPSHOT_EXAMPLE = `
nodes:
  - {name: gpu-east-0, pool: gpu-east, zone: us-east-1a, labels: {rack: r1}, ready: true, capacity: {cpu: 16, memory: 64Gi, gpu: 4}}
instances:
  - {name: research-bot-0, agent: research-bot, node: gpu-east-0, startedAt: "2026-11-27T08:00:00Z", gpuDevices: [0]}
    # requests default to the Agent's; an instance whose agent no longer exists is planned for removal
scalingHistory:
  - {target: {kind: Pool, name: gpu-east}, at: "2026-11-28T09:00:00Z", from: 2, to: 4}
`;

const PLAN_EXAMPLE = `{
  "formatVersion": "1.0",
  "planId": "sha256:…",
  "createdAt": "2026-11-28T10:00:00Z",
  "inputs": {"policyDigest": "sha256:…", "gitCommit": "… or null", "stateFingerprint": "sha256:…", "now": "…"},
  "changes": true,
  "summary": {"place": 3, "move": 1, "evict": 1, "remove": 0, "scalePool": 1, "scaleAgent": 0, "blocked": 2},
  "actions": [
    {"id": "a1", "type": "scalePool", "pool": "gpu-east", "from": 4, "to": 6, "addNodes": ["gpu-east-4", "gpu-east-5"], "removeNodes": [], "reason": "…"},
    {"id": "a2", "type": "place", "instance": "research-bot-3", "agent": "research-bot", "pool": "gpu-east", "node": "gpu-east-4",
     "requests": {"cpuMillis": 2000, "memoryBytes": 8589934592, "gpuMillis": 1000}, "gpuDevices": [3], "score": 87, "reason": "…"},
    {"id": "a3", "type": "move", "instance": "chat-2", "agent": "chat", "fromNode": "general-1", "toNode": "general-3", "reason": "…"},
    {"id": "a4", "type": "evict", "instance": "scraper-7", "agent": "scraper", "node": "gpu-east-1", "reason": "preempted by research-bot-1 (priority 80 > 20)"},
    {"id": "a5", "type": "remove", "instance": "chat-5", "agent": "chat", "node": "general-2", "reason": "replicas 6 → 5"},
    {"id": "a6", "type": "scaleAgent", "agent": "chat", "from": 6, "to": 5, "reason": "…"}
  ],
  "blocked": [
    {"instance": "batch-9", "agent": "batch", "reasons": [{"code": "QuotaExceeded", "message": "…"}]}
  ],
  "pools": [{"name": "gpu-east", "nodes": {"current": 4, "planned": 6}, "utilizationPercent": {"cpu": {"current": 91, "planned": 70}}}],
  "quotas": [{"name": "ml-team", "used": {"cpuMillis": 96000}, "limits": {"cpuMillis": 128000}}],
  "forecasts": [],
  "warnings": []
}`;

const DIAGNOSTICS_EXAMPLE = `[{"severity": "error", "code": "UnknownReference", "file": "agents/chat.yaml", "line": 12, "column": 14,
  "jsonPointer": "/spec/placement/pools/0", "message": "pool 'gpu-eats' does not exist", "hint": "did you mean 'gpu-east'?"}]`;

/** The SPEC plan example with its "…" placeholder timestamp filled in. */
function planExample(): JsonObject {
  const plan = JSON.parse(PLAN_EXAMPLE) as JsonObject;
  (plan.inputs as JsonObject).now = '2026-11-28T10:00:00Z';
  return plan;
}

const KIND_EXAMPLES: [string, JsonObject][] = [
  ['Pool', doc(POOL_EXAMPLE)],
  ['Agent', doc(AGENT_EXAMPLE)],
  ['AffinityRule', doc(AFFINITY_RULE_EXAMPLE)],
  ['Quota', doc(QUOTA_EXAMPLE)],
  ['ScalingPolicy', doc(SCALING_POLICY_EXAMPLE)],
  ['SchedulingProfile', doc(SCHEDULING_PROFILE_EXAMPLE)],
  ['Policy', doc(POLICY_EXAMPLE)],
  ...docs(METRIC_SOURCE_AND_DRIVER_EXAMPLE).map((d): [string, JsonObject] => [`${String(d.kind)} ${String((d.metadata as JsonObject).name)}`, d]),
];

const DRIVER_EXAMPLE = METRIC_SOURCE_AND_DRIVER_EXAMPLE.split('---')[2]!;

/**
 * A copy of a SPEC example with the value at an RFC 6901 pointer replaced (`undefined` deletes
 * it); missing intermediate maps are created.
 */
function variant(example: string, pointer: string, value: Json | undefined): JsonObject {
  const d = doc(example);
  const segs = pointer.slice(1).split('/');
  let node: Json = d;
  for (const seg of segs.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node) ? node[Number(seg)] : isObject(node) ? node[seg] : undefined;
    if (next === undefined && isObject(node)) node[seg] = {};
    node = Array.isArray(node) ? node[Number(seg)]! : (node as JsonObject)[seg]!;
  }
  const last = segs[segs.length - 1]!;
  if (Array.isArray(node)) {
    if (value === undefined) node.splice(Number(last), 1);
    else node[Number(last)] = value;
  } else if (isObject(node)) {
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return d;
}

// ---------------------------------------------------------------------------------------------

describe('schema files', () => {
  it('are exactly the expected files', () => {
    const onDisk = readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith('.json')).sort();
    expect(onDisk).toEqual(ALL_FILES);
  });

  it.each(ALL_FILES)('%s has $schema, $id, title and description', (file) => {
    const s = SCHEMAS.get(file)!;
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(s.$id).toBe(BASE + file);
    expect(typeof s.title).toBe('string');
    expect(typeof s.description).toBe('string');
  });

  it.each(ALL_FILES)('%s compiles under Ajv 2020 strict mode', (file) => {
    const fresh = makeAjv();
    expect(typeof fresh.getSchema(BASE + file)).toBe('function');
  });

  it.each(ALL_FILES)('%s compiles with useDefaults (no ignored defaults)', (file) => {
    const fresh = makeAjv({ useDefaults: true });
    expect(typeof fresh.getSchema(BASE + file)).toBe('function');
  });

  it('every $defs entry compiles on its own', () => {
    const fresh = makeAjv();
    for (const [file, schema] of SCHEMAS) {
      for (const name of Object.keys((schema.$defs as JsonObject | undefined) ?? {})) {
        expect(typeof fresh.getSchema(`${BASE}${file}#/$defs/${name}`), `${file}#/$defs/${name}`).toBe('function');
      }
    }
  });

  it('every property, at every depth, has a description', () => {
    const missing: string[] = [];
    for (const [file, schema] of SCHEMAS) {
      walk(schema, '', (node, pointer) => {
        for (const key of ['properties', 'patternProperties', '$defs'] as const) {
          const props = node[key];
          if (!isObject(props)) continue;
          for (const [name, sub] of Object.entries(props)) {
            if (!isObject(sub) || typeof sub.description !== 'string' || sub.description.trim() === '') {
              missing.push(`${file}#${pointer}/${key}/${name}`);
            }
          }
        }
        if (isObject(node.additionalProperties) && typeof node.additionalProperties.description !== 'string') {
          missing.push(`${file}#${pointer}/additionalProperties`);
        }
      });
    }
    expect(missing).toEqual([]);
  });

  it('the kind schemas and common use no oneOf/anyOf/allOf/not/if/then/else', () => {
    const found: string[] = [];
    for (const file of [...Object.values(KIND_FILES), 'common.schema.json']) {
      walk(SCHEMAS.get(file)!, '', (node, pointer) => {
        for (const k of ['oneOf', 'anyOf', 'allOf', 'not', 'if', 'then', 'else']) if (k in node) found.push(`${file}#${pointer}/${k}`);
      });
    }
    expect(found).toEqual([]);
  });

  it('every object with known fields in the kind schemas and common rejects unknown fields', () => {
    // The only open object: an agent's runtime, handed to drivers as is. Driver-type blocks are
    // closed, so a typo there (`netwrok: host`) is an UnknownField rather than a silently ignored setting.
    const open = new Set(['agent.schema.json#/properties/spec/properties/runtime']);
    const bad: string[] = [];
    for (const file of [...Object.values(KIND_FILES), 'common.schema.json', 'snapshot.schema.json']) {
      walk(SCHEMAS.get(file)!, '', (node, pointer) => {
        if (node.type !== 'object') return;
        if (file === 'snapshot.schema.json' && pointer === '') return; // extra top-level status fields are ignored
        const where = `${file}#${pointer}`;
        const hasFields = isObject(node.properties) || isObject(node.patternProperties);
        if (open.has(where)) {
          if (node.additionalProperties !== true) bad.push(`${where} should be open`);
        } else if (hasFields && node.additionalProperties !== false) {
          bad.push(where);
        }
      });
    }
    expect(bad).toEqual([]);
  });

  it('every default is valid for its own field', () => {
    const bad: string[] = [];
    for (const [file, schema] of SCHEMAS) {
      walk(schema, '', (node, pointer) => {
        if (!('default' in node) || pointer === '') return;
        const v = ajv.getSchema(`${BASE}${file}#${pointer}`);
        if (v === undefined || !v(node.default)) bad.push(`${file}#${pointer}: ${JSON.stringify(v?.errors)}`);
      });
    }
    expect(bad).toEqual([]);
  });
});

describe('SPEC examples validate', () => {
  it.each(KIND_EXAMPLES)('%s', (_name, d) => {
    expect(check(d)).toEqual([]);
  });

  it('the snapshot (§3)', () => {
    expect(checkFile('snapshot.schema.json', parse(SNAPSHOT_EXAMPLE))).toEqual([]);
  });

  it('the plan JSON (§4)', () => {
    expect(checkFile('plan.schema.json', planExample())).toEqual([]);
  });

  it('the diagnostics JSON (§6)', () => {
    expect(checkFile('diagnostics.schema.json', JSON.parse(DIAGNOSTICS_EXAMPLE))).toEqual([]);
  });

  it('an empty snapshot and an empty diagnostics array', () => {
    expect(checkFile('snapshot.schema.json', {})).toEqual([]);
    expect(checkFile('diagnostics.schema.json', [])).toEqual([]);
  });
});

describe('valid edge cases', () => {
  it('extended resources, GPU shares and millicores', () => {
    const d = variant(AGENT_EXAMPLE, '/spec/resources', { requests: { cpu: '500m', memory: 512 * 2 ** 20, gpu: 0.25, 'example.com/fpga': 1 } });
    expect(check(d)).toEqual([]);
  });

  it('a minimal document of every kind', () => {
    const minimal = [
      { kind: 'Pool', metadata: { name: 'p' }, spec: { node: { capacity: { cpu: 1 } } } },
      { kind: 'Agent', metadata: { name: 'a' }, spec: { owner: 'o', resources: { requests: {} } } },
      { kind: 'Quota', metadata: { name: 'q' }, spec: { owner: 'o', limits: {} } },
      { kind: 'AffinityRule', metadata: { name: 'r' }, spec: { appliesTo: {} } },
      { kind: 'ScalingPolicy', metadata: { name: 's' }, spec: { target: { kind: 'Agent', name: 'a' }, min: 0, max: 3 } },
      { kind: 'SchedulingProfile', metadata: { name: 'default' }, spec: {} },
      { kind: 'Policy', metadata: { name: 'p' }, spec: { appliesTo: { kinds: ['Pool'] }, rules: [{ name: 'r', deny: false, message: 'm' }] } },
      { kind: 'MetricSource', metadata: { name: 'm' }, spec: {} },
      { kind: 'Driver', metadata: { name: 'd' }, spec: { type: 'sim' } },
    ];
    for (const m of minimal) expect(check(withApiVersion(m)), m.kind).toEqual([]);
  });

  it('driver-specific configuration rejects fields the schema does not know, with did-you-mean', () => {
    const d = doc(DRIVER_EXAMPLE);
    (d.spec as JsonObject).kubernetes = { context: 'prod', namespace: 'agents', qps: 20 };
    (d.spec as JsonObject).docker = { netwrok: 'host', concurrency: 2 };
    (d.spec as JsonObject).sim = { failActions: ['place:a-0'], delayMs: 5 };
    const problems = validateAgainstSchema('Driver', d);
    expect(problems.map((p) => [p.code, p.pointer, p.hint]).sort()).toEqual([
      ['UnknownField', '/spec/docker/netwrok', "did you mean 'network'?"],
      ['UnknownField', '/spec/kubernetes/qps', 'known fields: kubeconfig, context, namespace, poolLabel, concurrency, startTimeout, image'],
    ]);
  });

  it('plan readers accept fields added by a later minor version', () => {
    const plan = planExample();
    plan.formatVersion = '1.7';
    plan.someNewField = { x: 1 };
    ((plan.actions as JsonObject[])[0] as JsonObject).recommendation = 'schedule';
    expect(checkFile('plan.schema.json', plan)).toEqual([]);
  });
});

describe('invalid documents fail with the expected keyword', () => {
  // [case, example, pointer, new value (undefined = delete), expected keyword, expected instancePath]
  const cases: [string, string, string, Json | undefined, string, string][] = [
    ['unknown spec field', POOL_EXAMPLE, '/spec/tierr', 'gold', 'additionalProperties', '/spec'],
    ['unknown top-level field', POOL_EXAMPLE, '/status', {}, 'additionalProperties', ''],
    ['unknown metadata field', POOL_EXAMPLE, '/metadata/namespace', 'x', 'additionalProperties', '/metadata'],
    ['misspelt resource name', AGENT_EXAMPLE, '/spec/resources/requests/memroy', '1Gi', 'additionalProperties', '/spec/resources/requests'],
    ['extended resource without a domain', AGENT_EXAMPLE, '/spec/resources/requests/fpga', 1, 'additionalProperties', '/spec/resources/requests'],
    ['quota-only key in agent requests', AGENT_EXAMPLE, '/spec/resources/requests/agents', 1, 'additionalProperties', '/spec/resources/requests'],
    ['unknown placement field', AGENT_EXAMPLE, '/spec/placement/zones', ['a'], 'additionalProperties', '/spec/placement'],
    ['wrong tier', POOL_EXAMPLE, '/spec/tier', 'diamond', 'enum', '/spec/tier'],
    ['wrong pool state', POOL_EXAMPLE, '/spec/state', 'paused', 'enum', '/spec/state'],
    ['wrong taint effect', POOL_EXAMPLE, '/spec/node/taints/0/effect', 'NoExecute', 'enum', '/spec/node/taints/0/effect'],
    ['wrong agent class', AGENT_EXAMPLE, '/spec/class', 'besteffort', 'enum', '/spec/class'],
    ['wrong toleration operator', AGENT_EXAMPLE, '/spec/placement/tolerations/0/operator', 'In', 'enum', '/spec/placement/tolerations/0/operator'],
    ['wrong trigger operator', SCALING_POLICY_EXAMPLE, '/spec/triggers/0/operator', 'ge', 'enum', '/spec/triggers/0/operator'],
    ['wrong predictive mode', SCALING_POLICY_EXAMPLE, '/spec/predictive/mode', 'auto', 'enum', '/spec/predictive/mode'],
    ['wrong whenUnsatisfiable', AFFINITY_RULE_EXAMPLE, '/spec/topologySpread/0/whenUnsatisfiable', 'Never', 'enum', '/spec/topologySpread/0/whenUnsatisfiable'],
    ['wrong policy kind', POLICY_EXAMPLE, '/spec/appliesTo/kinds/0', 'Agents', 'enum', '/spec/appliesTo/kinds/0'],
    ['wrong driver type', DRIVER_EXAMPLE, '/spec/type', 'nomad', 'enum', '/spec/type'],
    ['wrong algorithm', SCHEDULING_PROFILE_EXAMPLE, '/spec/algorithm', 'first-fit', 'enum', '/spec/algorithm'],
    ['replicas as text', AGENT_EXAMPLE, '/spec/replicas', 'three', 'type', '/spec/replicas'],
    ['fractional replicas', AGENT_EXAMPLE, '/spec/replicas', 1.5, 'type', '/spec/replicas'],
    ['negative replicas', AGENT_EXAMPLE, '/spec/replicas', -1, 'minimum', '/spec/replicas'],
    ['priority above 100', AGENT_EXAMPLE, '/spec/priority', 101, 'maximum', '/spec/priority'],
    ['quantity as a map', POOL_EXAMPLE, '/spec/node/capacity/cpu', { cores: 2 }, 'type', '/spec/node/capacity/cpu'],
    ['label with a non-string value', POOL_EXAMPLE, '/spec/node/labels/gen', 3, 'type', '/spec/node/labels/gen'],
    ['duration as a number', SCALING_POLICY_EXAMPLE, '/spec/predictive/horizon', 30, 'type', '/spec/predictive/horizon'],
    ['runtime command as a string', AGENT_EXAMPLE, '/spec/runtime/command', 'run.sh', 'type', '/spec/runtime/command'],
    ['overcommit below 1', POOL_EXAMPLE, '/spec/overcommit/cpu', 0.5, 'minimum', '/spec/overcommit/cpu'],
    ['weight 0', AFFINITY_RULE_EXAMPLE, '/spec/agentAntiAffinity/0/weight', 0, 'minimum', '/spec/agentAntiAffinity/0/weight'],
    ['preferred weight above 100', AFFINITY_RULE_EXAMPLE, '/spec/nodeAffinity/preferred/0/weight', 101, 'maximum', '/spec/nodeAffinity/preferred/0/weight'],
    ['maxSkew 0', AFFINITY_RULE_EXAMPLE, '/spec/topologySpread/0/maxSkew', 0, 'minimum', '/spec/topologySpread/0/maxSkew'],
    ['quota agents not a whole number', QUOTA_EXAMPLE, '/spec/limits/agents', 1.5, 'type', '/spec/limits/agents'],
    ['percent above 100', SCHEDULING_PROFILE_EXAMPLE, '/spec/disruptionBudget/maxUnavailablePercent', 150, 'maximum', '/spec/disruptionBudget/maxUnavailablePercent'],
    ['target utilization 0', SCALING_POLICY_EXAMPLE, '/spec/targetUtilizationPercent', 0, 'exclusiveMinimum', '/spec/targetUtilizationPercent'],
    ['name not a DNS-1123 label', POOL_EXAMPLE, '/metadata/name', 'GPU_East', 'pattern', '/metadata/name'],
    ['name too long', POOL_EXAMPLE, '/metadata/name', 'a'.repeat(64), 'maxLength', '/metadata/name'],
    ['missing owner', AGENT_EXAMPLE, '/spec/owner', undefined, 'required', '/spec'],
    ['missing requests', AGENT_EXAMPLE, '/spec/resources/requests', undefined, 'required', '/spec/resources'],
    ['missing node capacity', POOL_EXAMPLE, '/spec/node/capacity', undefined, 'required', '/spec/node'],
    ['missing quota limits', QUOTA_EXAMPLE, '/spec/limits', undefined, 'required', '/spec'],
    ['missing appliesTo', AFFINITY_RULE_EXAMPLE, '/spec/appliesTo', undefined, 'required', '/spec'],
    ['missing scaling bound', SCALING_POLICY_EXAMPLE, '/spec/max', undefined, 'required', '/spec'],
    ['missing rule message', POLICY_EXAMPLE, '/spec/rules/0/message', undefined, 'required', '/spec/rules/0'],
    ['missing prometheus url', METRIC_SOURCE_AND_DRIVER_EXAMPLE.split('---')[0]!, '/spec/prometheus/url', undefined, 'required', '/spec/prometheus'],
    ['missing driver type', DRIVER_EXAMPLE, '/spec/type', undefined, 'required', '/spec'],
    ['missing metadata', POOL_EXAMPLE, '/metadata', undefined, 'required', ''],
    ['wrong apiVersion', POOL_EXAMPLE, '/apiVersion', 'quartermaster.dev/v1', 'const', '/apiVersion'],
  ];

  it.each(cases)('%s', (_name, example, pointer, value, keyword, instancePath) => {
    const errors = check(variant(example, pointer, value));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.map((e) => [e.keyword, e.instancePath])).toContainEqual([keyword, instancePath]);
  });

  it('a document checked against another kind\'s schema fails on kind', () => {
    const errors = checkFile('agent.schema.json', doc(POOL_EXAMPLE));
    expect(errors.map((e) => [e.keyword, e.instancePath])).toContainEqual(['const', '/kind']);
  });

  it('the plan rejects an unknown major version and an unknown action type', () => {
    const plan = planExample();
    plan.formatVersion = '2.0';
    (plan.actions as JsonObject[]).push({ id: 'a7', type: 'explode', reason: '…' });
    const errors = checkFile('plan.schema.json', plan);
    expect(errors.map((e) => [e.keyword, e.instancePath])).toContainEqual(['pattern', '/formatVersion']);
    expect(errors.map((e) => [e.keyword, e.instancePath])).toContainEqual(['oneOf', '/actions/6']);
  });

  it('the plan rejects an unknown blocked reason code', () => {
    const plan = planExample();
    ((plan.blocked as JsonObject[])[0]!.reasons as JsonObject[])[0]!.code = 'OutOfLuck';
    expect(checkFile('plan.schema.json', plan).map((e) => e.keyword)).toContain('enum');
  });

  it('a snapshot rejects an unknown node field and a bad timestamp', () => {
    const snap = parse(SNAPSHOT_EXAMPLE) as JsonObject;
    ((snap.nodes as JsonObject[])[0] as JsonObject).readyy = true;
    ((snap.instances as JsonObject[])[0] as JsonObject).startedAt = 'yesterday';
    const errors = checkFile('snapshot.schema.json', snap).map((e) => [e.keyword, e.instancePath]);
    expect(errors).toContainEqual(['additionalProperties', '/nodes/0']);
    expect(errors).toContainEqual(['format', '/instances/0/startedAt']);
  });

  it('diagnostics reject a 0 line', () => {
    const diags = JSON.parse(DIAGNOSTICS_EXAMPLE) as JsonObject[];
    diags[0]!.line = 0;
    expect(checkFile('diagnostics.schema.json', diags).map((e) => e.keyword)).toContain('minimum');
  });
});

describe('defaults', () => {
  const withDefaults = makeAjv({ useDefaults: true });
  function fill(d: JsonObject): JsonObject {
    const copy = structuredClone(d);
    const v = withDefaults.getSchema(BASE + KIND_FILES[String(copy.kind)]!)!;
    expect(v(copy), JSON.stringify(v.errors)).toBe(true);
    return copy;
  }

  it('SchedulingProfile defaults equal DEFAULT_PROFILE_SPEC', () => {
    const spec = fill(withApiVersion({ kind: 'SchedulingProfile', metadata: { name: 'default' }, spec: {} })).spec as JsonObject;
    const parsed = parseDuration(spec.timeBudget);
    expect(parsed.ok).toBe(true);
    expect({ ...spec, timeBudget: parsed.ok ? parsed.value : NaN }).toEqual(DEFAULT_PROFILE_SPEC);
  });

  it('Pool, Agent and metadata defaults follow the SPEC', () => {
    const pool = fill(withApiVersion({ kind: 'Pool', metadata: { name: 'p' }, spec: { node: { capacity: { cpu: 1 } } } }));
    expect(pool.metadata).toEqual({ name: 'p', labels: {}, annotations: {} });
    expect(pool.spec).toMatchObject({ driver: 'sim', tier: 'silver', region: 'local', state: 'active', overcommit: {}, node: { labels: {}, taints: [], costPerHour: 0, powerWatts: 0 } });
    const agent = fill(withApiVersion({ kind: 'Agent', metadata: { name: 'a' }, spec: { owner: 'o', resources: { requests: { cpu: 1 } } } }));
    expect(agent.spec).toMatchObject({ type: 'default', replicas: 1, class: 'burstable', priority: 50, placement: {}, runtime: {}, dependsOn: [] });
  });

  it('affinity and spread terms default like kube-scheduler', () => {
    const rule = fill(withApiVersion({
      kind: 'AffinityRule',
      metadata: { name: 'r' },
      spec: { appliesTo: {}, agentAntiAffinity: [{ selector: {}, topologyKey: 'node' }], topologySpread: [{ topologyKey: 'zone' }] },
    }));
    const spec = rule.spec as JsonObject;
    expect(spec.agentAntiAffinity).toEqual([{ selector: {}, topologyKey: 'node', required: false, weight: 100 }]);
    expect(spec.topologySpread).toEqual([{ topologyKey: 'zone', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' }]);
  });

  it('ScalingPolicy behavior defaults are HPA-like', () => {
    const sp = fill(withApiVersion({
      kind: 'ScalingPolicy',
      metadata: { name: 's' },
      spec: { target: { kind: 'Pool', name: 'p' }, min: 1, max: 5, predictive: { metric: { source: 'h', series: 's' }, targetPerReplica: 10 } },
    }));
    expect(sp.spec).toMatchObject({
      tolerancePercent: 10,
      metrics: [],
      triggers: [],
      schedules: [],
      windows: [],
      predictive: { horizon: '30m', lookback: '14d', mode: 'forecastOnly' },
      behavior: { scaleUp: { stabilizationWindow: '0s', cooldown: '60s' }, scaleDown: { stabilizationWindow: '5m', cooldown: '5m' } },
    });
  });

  it('Policy severity and MetricSource prometheus defaults', () => {
    const policy = fill(doc(POLICY_EXAMPLE.replace('severity: error', '')));
    expect(((policy.spec as JsonObject).rules as JsonObject[])[0]!.severity).toBe('error');
    const prom = fill(withApiVersion({ kind: 'MetricSource', metadata: { name: 'prom' }, spec: { prometheus: { url: 'http://x' } } }));
    expect((prom.spec as JsonObject).prometheus).toEqual({ url: 'http://x', timeout: '5s', retries: 2 });
  });
});

describe('docs/reference.md', () => {
  it('is up to date with the schemas (run `npm run docs`)', () => {
    expect(readFileSync(REFERENCE_MD, 'utf8')).toBe(renderReference(SCHEMAS_DIR));
  });

  it('is deterministic and covers every field path of the examples', () => {
    const md = renderReference(SCHEMAS_DIR);
    expect(renderReference(SCHEMAS_DIR)).toBe(md);
    for (const path of ['spec.node.capacity.cpu', 'spec.placement.tolerations[].operator', 'spec.behavior.scaleDown.cooldown', 'spec.kubernetes.namespace', 'instances[].gpuDevices', 'actions[].gpuDevices', 'blocked[].reasons[].code']) {
      expect(md).toContain('`' + path + '`');
    }
  });
});
