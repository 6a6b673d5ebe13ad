/**
 * A policy repository for a batch of trace pods on the Alibaba GPU cluster, as a user would write
 * it for `qm plan DIR --snapshot FILE`: `pools/openb.yaml` (one static pool of the trace's GPU
 * nodes, so it never scales), `agents/<name>.yaml` (identical pods — same cpu, memory, num_gpu,
 * gpu_milli and GPU models — are one Agent with `replicas: N`; a GPU-model list becomes required
 * node affinity on the `gpu-model` label), `policies/scheduling-profile.yaml` (algorithm and seed),
 * and a snapshot of the nodes (no instances: everything is to be placed).
 *
 * `arrivals` picks a batch as the FGD simulator does; `repoFiles` and `snapshotOf` are pure (same
 * inputs, same bytes); `writeRepo` writes them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { mulberry32, shuffle } from '../../src/scheduler/random.js';
import { gpuRequestMilli, type PodRow } from './variants.js';

/** A GPU node of `openb_node_list_gpu_node.csv`. */
export interface NodeRow {
  name: string;
  cpuMilli: number;
  memoryMib: number;
  gpus: number;
  model: string;
}

export const POOL = 'openb';

export function parseNodeCsv(text: string): NodeRow[] {
  const [head, ...lines] = text.trim().split(/\r?\n/);
  const keys = head!.split(',');
  const at = (v: string[], k: string): string => v[keys.indexOf(k)] ?? '';
  return lines.map((line) => {
    const v = line.split(',');
    return { name: at(v, 'sn'), cpuMilli: Number(at(v, 'cpu_milli')), memoryMib: Number(at(v, 'memory_mib')), gpus: Number(at(v, 'gpu')), model: at(v, 'model') };
  });
}

export interface RepoOptions {
  algorithm: string;
  seed: number;
  /** Extra SchedulingProfile spec lines' values (scoreWeights, …), merged over the defaults written. */
  profile?: Record<string, unknown>;
  /** Agent names: by shape (default), or prefixed with the arrival rank of the Agent's first pod. */
  agentNames?: AgentNaming;
}

/**
 * The scheduler takes instances in Agent-name order wherever it has no better order (greedy,
 * spread, round-robin, consistent-hash), so names decide the order online algorithms see. `shape`
 * names sort by GPU request as text (g0 < g1000 < g2000 < g4000 < g460 < g8000: whole 8-GPU pods
 * last); `arrival` names (`a0007-g460-…`) sort the Agents by their first pod's arrival, the
 * closest a grouped batch gets to the simulator's arrival order.
 */
export type AgentNaming = 'shape' | 'arrival';

/** One Agent: a group of identical pods. */
export interface AgentGroup {
  name: string;
  replicas: number;
  cpuMilli: number;
  memoryMib: number;
  gpuMilli: number;
  /** Sorted distinct GPU models; empty: any. */
  models: string[];
}

const models = (p: PodRow): string[] => (p.gpuSpec ? [...new Set(p.gpuSpec.split('|').filter(Boolean))].sort() : []);

/**
 * Groups identical pods into Agents, named after their shape (`g460-c6000-m12288`, with the GPU
 * models appended when constrained), sorted by name. A `gpu_spec` that lists a model twice is the
 * same constraint as the list without the repeat, so the two are one Agent.
 */
export function groupAgents(pods: PodRow[], naming: AgentNaming = 'shape'): AgentGroup[] {
  const by = new Map<string, AgentGroup>();
  for (const p of pods) {
    const m = models(p);
    const gpu = gpuRequestMilli(p);
    const shape = [`g${gpu}`, `c${p.cpuMilli}`, `m${p.memoryMib}`, ...m.map((x) => x.toLowerCase())].join('-');
    const g = by.get(shape);
    if (g) g.replicas++;
    else by.set(shape, { name: naming === 'arrival' ? `a${String(by.size).padStart(4, '0')}-${shape}` : shape, replicas: 1, cpuMilli: p.cpuMilli, memoryMib: p.memoryMib, gpuMilli: gpu, models: m });
  }
  return [...by.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const gpuQuantity = (milli: number): string => (milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`);

function agentYaml(a: AgentGroup): string {
  const requests = [`cpu: ${a.cpuMilli}m`, `memory: ${a.memoryMib}Mi`, ...(a.gpuMilli > 0 ? [`gpu: ${gpuQuantity(a.gpuMilli)}`] : [])].join(', ');
  const lines = [
    'apiVersion: quartermaster.dev/v1alpha1',
    'kind: Agent',
    `metadata: {name: ${a.name}}`,
    'spec:',
    `  owner: ${POOL}`,
    `  replicas: ${a.replicas}`,
    '  resources:',
    `    requests: {${requests}}`,
  ];
  if (a.models.length > 0) {
    lines.push('  placement:', '    nodeAffinity:', '      required:', `        match: {in: [{var: labels.gpu-model}, [${a.models.join(', ')}]]}`);
  }
  return lines.join('\n') + '\n';
}

function poolYaml(nodes: NodeRow[]): string {
  const lines = [
    '# The GPU nodes of the Alibaba trace (openb_node_list_gpu_node.csv): a static pool, never scaled.',
    'apiVersion: quartermaster.dev/v1alpha1',
    'kind: Pool',
    `metadata: {name: ${POOL}}`,
    'spec:',
    '  node:',
    '    capacity: {cpu: 96, memory: 512Gi, gpu: 8}',
    '  nodes:',
    ...nodes.map((n) => `    - {name: ${n.name}, labels: {gpu-model: ${n.model}}, capacity: {cpu: ${n.cpuMilli}m, memory: ${n.memoryMib}Mi, gpu: ${n.gpus}}}`),
  ];
  return lines.join('\n') + '\n';
}

function profileYaml(o: RepoOptions): string {
  const spec: Record<string, unknown> = { algorithm: o.algorithm, seed: o.seed, preemption: false, ...o.profile };
  return [
    'apiVersion: quartermaster.dev/v1alpha1',
    'kind: SchedulingProfile',
    'metadata: {name: default}',
    'spec:',
    ...Object.entries(spec).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
  ].join('\n') + '\n';
}

/** The repository's files, path → content. */
export function repoFiles(pods: PodRow[], nodes: NodeRow[], options: RepoOptions): Map<string, string> {
  const files = new Map<string, string>();
  files.set(`pools/${POOL}.yaml`, poolYaml(nodes));
  files.set('policies/scheduling-profile.yaml', profileYaml(options));
  for (const a of groupAgents(pods, options.agentNames)) files.set(`agents/${a.name}.yaml`, agentYaml(a));
  return files;
}

/** The snapshot `qm plan --snapshot` reads: the nodes, no instances. */
export function snapshotOf(nodes: NodeRow[]): string {
  const out = {
    nodes: nodes.map((n) => ({
      name: n.name,
      pool: POOL,
      labels: { 'gpu-model': n.model },
      capacity: { cpu: `${n.cpuMilli}m`, memory: `${n.memoryMib}Mi`, gpu: n.gpus },
    })),
    instances: [],
  };
  return JSON.stringify(out, null, 1) + '\n';
}

/** Pods in seeded arrival order until arriving GPU demand reaches the capacity (gpu-trace.ts). */
export function arrivals(pods: PodRow[], seed: number, capacityMilli: number): PodRow[] {
  const rand = mulberry32(seed);
  const out: PodRow[] = [];
  let demand = 0;
  if (!pods.some((p) => gpuRequestMilli(p) > 0)) throw new Error('the workload asks for no GPU');
  while (demand < capacityMilli) {
    for (const p of shuffle([...pods], rand)) {
      if (demand >= capacityMilli) break;
      out.push(p);
      demand += gpuRequestMilli(p);
    }
  }
  return out;
}

export function writeRepo(dir: string, files: Map<string, string>): void {
  for (const [path, text] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}
