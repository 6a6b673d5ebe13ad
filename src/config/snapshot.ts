/**
 * Snapshots (SPEC §3): an observed cluster as a YAML or JSON text → ObservedState in canonical units,
 * with defaults from the pools. Pure; problems come back as diagnostics with positions.
 */
import type { PolicySet, PoolDoc } from '../model/documents.js';
import type { Diagnostic } from '../model/diagnostic.js';
import type { ResourceList } from '../model/quantity.js';
import { parseResource } from '../model/quantity.js';
import type { ObservedInstance, ObservedNode, ObservedState, ScalingEvent } from '../model/state.js';
import { parseYaml } from './parse.js';
import { validateValue } from './schema.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

export interface SnapshotResult {
  state?: ObservedState;
  diagnostics: Diagnostic[];
}

/** The nodes a pool's shape (and static node entries) imply, for defaults. */
export function nodeDefaults(pool: PoolDoc, name: string): { capacity: ResourceList; labels: Record<string, string>; zone?: string; address?: string } {
  const stat = pool.spec.nodes?.find((n) => n.name === name);
  if (stat) {
    const out: { capacity: ResourceList; labels: Record<string, string>; zone?: string; address?: string } = { capacity: stat.capacity, labels: stat.labels };
    if (stat.zone !== undefined) out.zone = stat.zone;
    if (stat.address !== undefined) out.address = stat.address;
    return out;
  }
  return { capacity: pool.spec.node.capacity, labels: pool.spec.node.labels };
}

const SNAPSHOT_HINT = "a snapshot is a YAML or JSON mapping with nodes and instances, the format 'qm status --format json' prints";
/** A top-level nodes/instances key, in YAML block style or JSON: the file was meant as a snapshot. */
const SNAPSHOT_KEY = /^(?:nodes|instances|scalingHistory)\s*:|["'](?:nodes|instances)["']\s*:/m;

/** What the file holds, in kind only: a snapshot path may name any file, so its text is never quoted. */
function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing but null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return 'a single line of text';
  return `a single ${typeof v}`;
}

/** Parse, validate and normalise a snapshot file's text against the policy. */
export function readSnapshot(path: string, text: string, policy: PolicySet): SnapshotResult {
  const diagnostics: Diagnostic[] = [];
  const notASnapshot = (message: string, line = 1, column = 1): SnapshotResult => ({
    diagnostics: [{ severity: 'error', code: 'NotAMapping', file: path, line, column, jsonPointer: '', message: `not a snapshot: ${message}`, hint: SNAPSHOT_HINT }],
  });
  const { documents, diagnostics: parseDiags } = parseYaml({ path, text });
  if (parseDiags.length) {
    // A YAML snapshot with a typo gets its syntax errors; any other file (Markdown, a log, binary
    // data) gets one sentence instead of YAML advice about a text that was never meant to be YAML.
    if (!SNAPSHOT_KEY.test(text)) return notASnapshot('the file is neither YAML nor JSON', parseDiags[0]!.line, parseDiags[0]!.column);
    return { diagnostics: parseDiags };
  }
  const doc = documents[0];
  if (!doc) return notASnapshot('the file is empty');
  if (documents.length > 1) return notASnapshot(`a snapshot is one document, and this file has ${documents.length}`, doc.locate('').line, doc.locate('').column);
  const top = doc.value;
  if (top === null || typeof top !== 'object' || Array.isArray(top)) return notASnapshot(`the file holds ${describeValue(top)}, not a mapping with nodes and instances`, doc.locate('').line, doc.locate('').column);
  if (!('nodes' in top) && !('instances' in top)) {
    const n = Object.keys(top).length;
    return notASnapshot(`the mapping has neither nodes nor instances (it has ${n} other key${n === 1 ? '' : 's'})`, doc.locate('').line, doc.locate('').column);
  }
  const report = (pointer: string, code: Diagnostic['code'], message: string, hint?: string) => {
    const pos = doc.locate(pointer);
    const d: Diagnostic = { severity: 'error', code, file: path, line: pos.line, column: pos.column, jsonPointer: pointer, message };
    if (hint) d.hint = hint;
    diagnostics.push(d);
  };
  const value = structuredClone(doc.value);
  for (const p of validateValue('snapshot.schema.json', value)) report(p.pointer, p.code, `snapshot: ${p.message}`, p.hint);
  if (diagnostics.length) return { diagnostics };

  const pools = new Map(policy.pools.map((p) => [p.metadata.name, p]));
  const agents = new Map(policy.agents.map((a) => [a.metadata.name, a]));
  const v = obj(value);
  const resources = (raw: unknown, pointer: string): ResourceList | undefined => {
    if (raw === undefined) return undefined;
    const out: ResourceList = {};
    for (const [k, x] of Object.entries(obj(raw))) {
      const r = parseResource(k, x);
      if (r.ok) out[r.value[0]] = r.value[1];
      else report(`${pointer}/${k}`, r.message.includes('share above') ? 'GpuShareTooLarge' : 'InvalidQuantity', `snapshot: ${r.message}`, r.hint);
    }
    return out;
  };
  const nodes: ObservedNode[] = [];
  const seenNodes = new Set<string>();
  (v.nodes as Obj[]).forEach((n, i) => {
    const name = String(n.name);
    const poolName = String(n.pool);
    const pool = pools.get(poolName);
    if (seenNodes.has(name)) report(`/nodes/${i}/name`, 'DuplicateName', `snapshot: node '${name}' is listed twice`);
    seenNodes.add(name);
    if (!pool) {
      report(`/nodes/${i}/pool`, 'UnknownReference', `snapshot: node '${name}' belongs to pool '${poolName}', which the policy does not define`, 'add the Pool, or remove the node from the snapshot');
      return;
    }
    const d = nodeDefaults(pool, name);
    const cap = resources(n.capacity, `/nodes/${i}/capacity`);
    const node: ObservedNode = {
      name,
      pool: poolName,
      region: typeof n.region === 'string' ? n.region : pool.spec.region,
      zone: typeof n.zone === 'string' ? n.zone : (d.zone ?? pool.spec.zones[0]!),
      labels: n.labels !== undefined ? (n.labels as Record<string, string>) : d.labels,
      taints: n.taints !== undefined ? (n.taints as ObservedNode['taints']) : pool.spec.node.taints,
      ready: n.ready !== false,
      capacity: cap ?? d.capacity,
      costPerHour: typeof n.costPerHour === 'number' ? n.costPerHour : pool.spec.node.costPerHour,
      powerWatts: typeof n.powerWatts === 'number' ? n.powerWatts : pool.spec.node.powerWatts,
    };
    const address = typeof n.address === 'string' ? n.address : d.address;
    if (address !== undefined) node.address = address;
    nodes.push(node);
  });
  const instances: ObservedInstance[] = [];
  const seenInst = new Set<string>();
  (v.instances as Obj[]).forEach((x, i) => {
    const name = String(x.name);
    // The same instance on two nodes is a duplicate the planner removes (an engine that came back,
    // as qm status --format json prints it); twice on one node is a mistake in the file.
    const at = `${name}\u0000${String(x.node)}`;
    if (seenInst.has(at)) report(`/instances/${i}/name`, 'DuplicateName', `snapshot: instance '${name}' is listed twice on node '${String(x.node)}'`);
    seenInst.add(at);
    if (!seenNodes.has(String(x.node))) report(`/instances/${i}/node`, 'UnknownReference', `snapshot: instance '${name}' runs on node '${String(x.node)}', which the snapshot does not list`, 'add the node to nodes');
    const agent = agents.get(String(x.agent));
    const req = resources(x.requests, `/instances/${i}/requests`);
    const inst: ObservedInstance = { name, agent: String(x.agent), node: String(x.node), requests: req ?? agent?.spec.resources.requests ?? {} };
    if (typeof x.startedAt === 'string') inst.startedAt = x.startedAt;
    if (Array.isArray(x.gpuDevices)) inst.gpuDevices = x.gpuDevices as number[];
    if (typeof x.template === 'string') inst.template = x.template;
    if (x.usage !== undefined) {
      const u = obj(x.usage);
      const use = resources(u.use, `/instances/${i}/usage/use`);
      if (use && typeof u.at === 'string') inst.usage = { at: u.at, use };
    }
    instances.push(inst);
  });
  const scalingHistory = (v.scalingHistory as ScalingEvent[]).map((e) => ({ target: { ...e.target }, at: e.at, from: e.from, to: e.to }));
  if (diagnostics.length) return { diagnostics };
  return { state: { nodes, instances, scalingHistory }, diagnostics };
}
