/**
 * What a container of an agent instance looks like, and how to read one back: the create body
 * (image, command, env, limits, labels) and the labels that make a container managed. Pure, but for
 * the environment passed in for `${env:NAME}` references. Secrets resolved from the environment go
 * into the container's env only — never into labels or plans.
 */
import type { AgentDoc } from '../../model/documents.js';
import type { ResourceList } from '../../model/quantity.js';
import type { InstanceIdentity } from '../contract.js';
import type { ObservedInstance } from '../../model/state.js';
import { resolveEnvRefs } from './options.js';

export const LABEL = {
  agent: 'quartermaster.dev/agent',
  instance: 'quartermaster.dev/instance',
  pool: 'quartermaster.dev/pool',
  plan: 'quartermaster.dev/plan',
  node: 'quartermaster.dev/node',
  requests: 'quartermaster.dev/requests',
  gpuDevices: 'quartermaster.dev/gpu-devices',
  startedAt: 'quartermaster.dev/started-at',
  template: 'quartermaster.dev/template',
} as const;

/** Everything a container needs that the driver decides. */
export interface InstanceSpec extends InstanceIdentity {
  /** The node's CPU capacity: a CPU limit taken from requests (overcommitted) never exceeds it. */
  nodeCpuMillis?: number;
}

export type BuiltConfig = { ok: true; config: Record<string, unknown> } | { ok: false; message: string };

/** CPU and memory limits: the Agent's limits where given, else its requests (what the plan counted). */
export function limitsFor(agent: AgentDoc | undefined, requests: ResourceList): { nanoCpus: number; memory: number } {
  const limits = agent?.spec.resources.limits ?? {};
  const cpu = limits.cpuMillis ?? requests.cpuMillis ?? 0;
  const mem = limits.memoryBytes ?? requests.memoryBytes ?? 0;
  return { nanoCpus: cpu * 1_000_000, memory: mem };
}

/** The labels of a managed container. */
export function labelsFor(s: InstanceSpec): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL.agent]: s.agent,
    [LABEL.instance]: s.instance,
    [LABEL.pool]: s.pool,
    [LABEL.plan]: s.planId,
    [LABEL.node]: s.node,
    [LABEL.requests]: JSON.stringify(Object.fromEntries(Object.entries(s.requests).sort(([a], [b]) => (a < b ? -1 : 1)))),
    [LABEL.startedAt]: s.startedAt,
  };
  if (s.gpuDevices?.length) labels[LABEL.gpuDevices] = s.gpuDevices.join(',');
  if (s.template) labels[LABEL.template] = s.template;
  return labels;
}

/** The POST /containers/create body for an instance of `agent`. */
export function containerConfig(s: InstanceSpec, agent: AgentDoc | undefined, opts: { image?: string; network: string }, env: Readonly<Record<string, string | undefined>>): BuiltConfig {
  const runtime = agent?.spec.runtime ?? {};
  const image = runtime.image ?? opts.image;
  if (!image) return { ok: false, message: `Agent '${s.agent}' has no spec.runtime.image and the driver has no spec.docker.image: set one of them` };
  const missing: string[] = [];
  const envList = Object.entries(runtime.env ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${resolveEnvRefs(String(v), env, missing)}`);
  if (missing.length) return { ok: false, message: `Agent '${s.agent}' spec.runtime.env references ${missing.map((m) => `\${env:${m}}`).join(', ')}, not set in the environment of qm apply: export ${missing.join(', ')}` };
  const limits = limitsFor(agent, s.requests);
  const memory = limits.memory;
  // Docker refuses a CPU limit above the engine's CPUs; overcommitted requests are capped at the node.
  const nanoCpus = s.nodeCpuMillis && s.nodeCpuMillis > 0 ? Math.min(limits.nanoCpus, s.nodeCpuMillis * 1_000_000) : limits.nanoCpus;
  const hostConfig: Record<string, unknown> = {
    NetworkMode: opts.network,
    // tini as PID 1: the agent gets SIGTERM on stop (and zombies are reaped), so grace periods mean something.
    Init: true,
    // Agents are long-running: bring them back after a crash or an engine restart, not after a deliberate stop.
    RestartPolicy: { Name: 'unless-stopped' },
  };
  if (nanoCpus > 0) hostConfig.NanoCpus = nanoCpus;
  if (memory > 0) hostConfig.Memory = memory;
  if (s.gpuDevices?.length) hostConfig.DeviceRequests = [{ Driver: 'nvidia', DeviceIDs: s.gpuDevices.map(String), Capabilities: [['gpu']] }];
  const config: Record<string, unknown> = { Image: image, Hostname: s.instance, Env: envList, Labels: labelsFor(s), HostConfig: hostConfig };
  if (runtime.command?.length) config.Cmd = runtime.command;
  return { ok: true, config };
}

/** Read an instance back from a managed container's labels; undefined when a label is missing or garbled. */
export function instanceFromLabels(labels: Record<string, string>, node: string): ObservedInstance | undefined {
  const name = labels[LABEL.instance];
  const agent = labels[LABEL.agent];
  if (!name || !agent) return undefined;
  let requests: ResourceList = {};
  try {
    const parsed = JSON.parse(labels[LABEL.requests] ?? '{}') as unknown;
    if (parsed && typeof parsed === 'object') requests = Object.fromEntries(Object.entries(parsed).filter(([, v]) => typeof v === 'number')) as ResourceList;
  } catch {
    /* requests then default to the Agent's (SPEC §3) */
  }
  const inst: ObservedInstance = { name, agent, node, requests };
  if (labels[LABEL.startedAt]) inst.startedAt = labels[LABEL.startedAt];
  if (labels[LABEL.template]) inst.template = labels[LABEL.template];
  const gpus = labels[LABEL.gpuDevices];
  if (gpus) inst.gpuDevices = gpus.split(',').map(Number).filter((n) => Number.isInteger(n));
  return inst;
}

/** A container that holds an instance: running, or restarting after a crash. Created, exited and dead ones are leftovers. */
export function isLive(state: string): boolean {
  return state === 'running' || state === 'restarting' || state === 'paused';
}
