/**
 * The program's answers, checked and turned into the contract's types. An answer of the wrong
 * shape is a Problem naming the field ("nodes[2].capacity.cpu"), never a crash later in planning.
 * Observed nodes and instances take the snapshot shapes of SPEC §3: quantities as Kubernetes
 * writes them, absent fields from the pool's node shape.
 */
import type { PoolDoc } from '../../model/documents.js';
import type { ResourceList } from '../../model/quantity.js';
import { parseResource } from '../../model/quantity.js';
import type { ObservedInstance, ObservedNode } from '../../model/state.js';
import { nodeDefaults } from '../../config/snapshot.js';
import type { DriverCapabilities, Health } from '../contract.js';

export class AnswerProblem extends Error {
  constructor(readonly field: string, readonly problem: string) {
    super(`${field} ${problem}`);
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the text ${JSON.stringify(v.length > 30 ? `${v.slice(0, 30)}…` : v)}`;
  return typeof v === 'object' ? 'an object' : `the ${typeof v} ${String(v)}`;
}

function need(cond: boolean, field: string, expected: string, v: unknown): void {
  if (!cond) throw new AnswerProblem(field, v === undefined ? `is missing (it should be ${expected})` : `should be ${expected}, not ${describe(v)}`);
}

const str = (o: Obj, k: string, at: string, required = false): string | undefined => {
  const v = o[k];
  if (v === undefined && !required) return undefined;
  need(typeof v === 'string' && v !== '', `${at}.${k}`, 'a non-empty string', v);
  return v as string;
};

const strMap = (o: Obj, k: string, at: string): Record<string, string> | undefined => {
  const v = o[k];
  if (v === undefined) return undefined;
  need(isObj(v), `${at}.${k}`, 'an object of strings', v);
  for (const [kk, vv] of Object.entries(v as Obj)) need(typeof vv === 'string', `${at}.${k}.${kk}`, 'a string', vv);
  return v as Record<string, string>;
};

const num = (o: Obj, k: string, at: string): number | undefined => {
  const v = o[k];
  if (v === undefined) return undefined;
  need(typeof v === 'number' && Number.isFinite(v) && v >= 0, `${at}.${k}`, 'a number of at least 0', v);
  return v as number;
};

function resources(v: unknown, at: string): ResourceList | undefined {
  if (v === undefined) return undefined;
  need(isObj(v), at, 'an object of quantities (cpu: 4, memory: 8Gi)', v);
  const out: ResourceList = {};
  for (const [k, x] of Object.entries(v as Obj)) {
    const r = parseResource(k, x);
    if (!r.ok) throw new AnswerProblem(`${at}.${k}`, `is invalid: ${r.message}`);
    out[r.value[0]] = r.value[1];
  }
  return out;
}

export function initializeAnswer(v: unknown): { name?: string; capabilities: DriverCapabilities } {
  need(isObj(v), 'the answer', 'an object {name, capabilities}', v);
  const o = v as Obj;
  need(isObj(o.capabilities), 'capabilities', 'an object {scaleNodes, placeOnNode}', o.capabilities);
  const c = o.capabilities as Obj;
  need(typeof c.scaleNodes === 'boolean', 'capabilities.scaleNodes', 'true or false', c.scaleNodes);
  need(typeof c.placeOnNode === 'boolean', 'capabilities.placeOnNode', 'true or false', c.placeOnNode);
  const name = str(o, 'name', 'the answer');
  return { ...(name ? { name } : {}), capabilities: { scaleNodes: c.scaleNodes as boolean, placeOnNode: c.placeOnNode as boolean } };
}

export function healthAnswer(v: unknown): Health {
  need(isObj(v), 'the answer', 'an object {ok, message}', v);
  const o = v as Obj;
  need(typeof o.ok === 'boolean', 'ok', 'true or false', o.ok);
  need(o.message === undefined || typeof o.message === 'string', 'message', 'a string', o.message);
  return { ok: o.ok as boolean, message: (o.message as string | undefined) ?? (o.ok ? 'healthy' : 'unhealthy') };
}

export interface ObserveAnswer {
  nodes: ObservedNode[];
  instances: ObservedInstance[];
  warnings: string[];
}

/** Nodes of pools this driver does not serve are a problem: another driver owns them. */
export function observeAnswer(v: unknown, pools: readonly PoolDoc[]): ObserveAnswer {
  need(isObj(v), 'the answer', 'an object {nodes, instances, warnings}', v);
  const o = v as Obj;
  need(Array.isArray(o.nodes), 'nodes', 'a list', o.nodes);
  need(o.instances === undefined || Array.isArray(o.instances), 'instances', 'a list', o.instances);
  need(o.warnings === undefined || Array.isArray(o.warnings), 'warnings', 'a list of strings', o.warnings);
  const served = new Map(pools.map((p) => [p.metadata.name, p]));
  const seen = new Set<string>();
  const nodes = (o.nodes as unknown[]).map((raw, i) => {
    const at = `nodes[${i}]`;
    need(isObj(raw), at, 'an object {name, pool, zone, capacity, …}', raw);
    const n = raw as Obj;
    const name = str(n, 'name', at, true)!;
    const poolName = str(n, 'pool', at, true)!;
    const pool = served.get(poolName);
    if (!pool) throw new AnswerProblem(`${at}.pool`, `is '${poolName}', which is not a pool this driver serves (${[...served.keys()].join(', ') || 'none'})`);
    if (seen.has(name)) throw new AnswerProblem(`${at}.name`, `'${name}' is listed twice`);
    seen.add(name);
    const d = nodeDefaults(pool, name);
    need(n.ready === undefined || typeof n.ready === 'boolean', `${at}.ready`, 'true or false', n.ready);
    need(n.taints === undefined || Array.isArray(n.taints), `${at}.taints`, 'a list of {key, value, effect}', n.taints);
    const node: ObservedNode = {
      name,
      pool: poolName,
      region: str(n, 'region', at) ?? pool.spec.region,
      zone: str(n, 'zone', at) ?? d.zone ?? pool.spec.zones[0]!,
      labels: strMap(n, 'labels', at) ?? d.labels,
      taints: (n.taints as ObservedNode['taints'] | undefined) ?? pool.spec.node.taints,
      ready: n.ready !== false,
      capacity: resources(n.capacity, `${at}.capacity`) ?? d.capacity,
      costPerHour: num(n, 'costPerHour', at) ?? pool.spec.node.costPerHour,
      powerWatts: num(n, 'powerWatts', at) ?? pool.spec.node.powerWatts,
    };
    const address = str(n, 'address', at) ?? d.address;
    if (address !== undefined) node.address = address;
    const providerId = str(n, 'providerId', at);
    if (providerId !== undefined) node.providerId = providerId;
    return node;
  });
  const instances = ((o.instances ?? []) as unknown[]).map((raw, i) => {
    const at = `instances[${i}]`;
    need(isObj(raw), at, 'an object {name, agent, node, requests, …}', raw);
    const x = raw as Obj;
    const inst: ObservedInstance = { name: str(x, 'name', at, true)!, agent: str(x, 'agent', at, true)!, node: str(x, 'node', at, true)!, requests: resources(x.requests, `${at}.requests`) ?? {} };
    if (!seen.has(inst.node)) throw new AnswerProblem(`${at}.node`, `is '${inst.node}', which the answer's nodes do not list`);
    const startedAt = str(x, 'startedAt', at);
    if (startedAt !== undefined) inst.startedAt = startedAt;
    if (x.gpuDevices !== undefined) {
      need(Array.isArray(x.gpuDevices) && x.gpuDevices.every((g) => Number.isInteger(g) && (g as number) >= 0), `${at}.gpuDevices`, 'a list of device indices', x.gpuDevices);
      inst.gpuDevices = [...(x.gpuDevices as number[])];
    }
    const template = str(x, 'template', at);
    if (template !== undefined) inst.template = template;
    return inst;
  });
  const warnings = ((o.warnings ?? []) as unknown[]).map((w, i) => {
    need(typeof w === 'string', `warnings[${i}]`, 'a string', w);
    return w as string;
  });
  return { nodes, instances, warnings };
}
