/**
 * What the pod of an agent instance looks like, and how to read one back (SPEC §8). The labels
 * make a pod managed and name its instance (the label, not the pod's name, is the identity: a
 * move briefly has two pods of one instance); annotations carry what the planner needs back
 * (planned requests, GPU devices, start time). Pure, but for the environment passed in for
 * `${env:NAME}` references, which go into the container's env only.
 */
import { createHash } from 'node:crypto';
import type { AgentDoc } from '../../model/documents.js';
import type { ResourceList } from '../../model/quantity.js';
import type { InstanceIdentity } from '../contract.js';
import type { ObservedInstance } from '../../model/state.js';
import { resolveEnvRefs } from '../docker/options.js';
import { toKube } from './resources.js';

export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGER = 'quartermaster';

export const LABEL = {
  agent: 'quartermaster.dev/agent',
  instance: 'quartermaster.dev/instance',
  template: 'quartermaster.dev/template',
  pool: 'quartermaster.dev/pool',
} as const;

export const ANNOTATION = {
  plan: 'quartermaster.dev/plan',
  requests: 'quartermaster.dev/requests',
  gpuDevices: 'quartermaster.dev/gpu-devices',
  startedAt: 'quartermaster.dev/started-at',
} as const;

/** The label selector of every pod this driver manages. */
export const MANAGED_SELECTOR = `${MANAGED_BY}=${MANAGER}`;

/** A pod's identity is the driver contract's instance identity. */
export type PodIdentity = InstanceIdentity;

/** The pod's name: the instance and a short digest of its node, so a re-run on the same node finds the same pod (409 → adopt) and a move's new pod never clashes with the old one. */
export function podName(instance: string, node: string): string {
  const h = createHash('sha256').update(node).digest('hex').slice(0, 5);
  return `${instance.slice(0, 240)}-${h}`;
}

export function labelsFor(s: PodIdentity): Record<string, string> {
  const labels: Record<string, string> = { [MANAGED_BY]: MANAGER, [LABEL.agent]: s.agent, [LABEL.instance]: s.instance, [LABEL.pool]: s.pool };
  if (s.template) labels[LABEL.template] = s.template;
  return labels;
}

export function annotationsFor(s: PodIdentity): Record<string, string> {
  const a: Record<string, string> = {
    [ANNOTATION.plan]: s.planId,
    [ANNOTATION.requests]: JSON.stringify(Object.fromEntries(Object.entries(s.requests).sort(([x], [y]) => (x < y ? -1 : 1)))),
    [ANNOTATION.startedAt]: s.startedAt,
  };
  if (s.gpuDevices?.length) a[ANNOTATION.gpuDevices] = s.gpuDevices.join(',');
  return a;
}

export type BuiltPod = { ok: true; pod: PodObject } | { ok: false; message: string };

export interface PodObject {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: Record<string, unknown>;
}

/**
 * Requests are what the plan counted; limits are the Agent's where given, else (class guaranteed)
 * the requests, so the pod's QoS class matches the agent's class. GPUs are extended resources,
 * which Kubernetes wants in limits, equal to requests.
 */
function resourcesFor(agent: AgentDoc | undefined, requests: ResourceList): { requests: Record<string, string>; limits: Record<string, string> } {
  const req = toKube(requests);
  const given = agent?.spec.resources.limits ?? {};
  const limits = toKube(Object.keys(given).length ? given : agent?.spec.class === 'guaranteed' ? requests : {});
  for (const [k, v] of Object.entries(req)) if (k.includes('/')) limits[k] = v;
  for (const k of Object.keys(limits)) if (k.includes('/') && req[k] === undefined) delete limits[k];
  return { requests: req, limits };
}

/** The Pod an instance runs as, bound to its node at creation (`spec.nodeName`: no scheduler involved). */
export function podFor(s: PodIdentity, namespace: string, agent: AgentDoc | undefined, opts: { image?: string }, env: Readonly<Record<string, string | undefined>>): BuiltPod {
  const runtime = agent?.spec.runtime ?? {};
  const image = runtime.image ?? opts.image;
  if (!image) return { ok: false, message: `Agent '${s.agent}' has no spec.runtime.image and the driver has no spec.kubernetes.image: set one of them` };
  const missing: string[] = [];
  const envList = Object.entries(runtime.env ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, v]) => ({ name, value: resolveEnvRefs(String(v), env, missing) }));
  if (missing.length) return { ok: false, message: `Agent '${s.agent}' spec.runtime.env references ${missing.map((m) => `\${env:${m}}`).join(', ')}, not set in the environment of qm apply: export ${missing.join(', ')}` };
  const container: Record<string, unknown> = { name: 'agent', image, env: envList, resources: resourcesFor(agent, s.requests) };
  if (runtime.command?.length) container.command = runtime.command;
  const spec: Record<string, unknown> = {
    nodeName: s.node,
    containers: [container],
    // Agents are long-running; a crashed one is restarted in place by the kubelet.
    restartPolicy: 'Always',
    // Agents get no API credentials and no service environment variables unless the cluster adds them.
    automountServiceAccountToken: false,
    enableServiceLinks: false,
  };
  const tolerations = agent?.spec.placement.tolerations ?? [];
  // The plan already honoured NoSchedule taints; tolerations still matter for NoExecute and for readers.
  if (tolerations.length) spec.tolerations = tolerations.map((t) => ({ ...t }));
  return { ok: true, pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: podName(s.instance, s.node), namespace, labels: labelsFor(s), annotations: annotationsFor(s) }, spec } };
}

/** The parts of a pod the driver reads. */
export interface PodView {
  name: string;
  namespace: string;
  uid?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  nodeName?: string;
  phase?: string;
  deleting: boolean;
  created?: string;
  /** Requests of its containers as Kubernetes counts them (for unmanaged pods). */
  requests?: ResourceList;
}

/** Whether a pod is this driver's (its namespace and managed-by label). */
export function isManaged(p: Pick<PodView, 'namespace' | 'labels'>, namespace: string): boolean {
  return p.namespace === namespace && p.labels[MANAGED_BY] === MANAGER && Boolean(p.labels[LABEL.instance]);
}

/** A pod that holds an instance: not terminated, not being deleted. */
export function isLive(p: PodView): boolean {
  return !p.deleting && p.phase !== 'Succeeded' && p.phase !== 'Failed';
}

/** Read an instance back from a managed pod; undefined when its labels are incomplete. */
export function instanceFromPod(p: PodView): ObservedInstance | undefined {
  const name = p.labels[LABEL.instance];
  const agent = p.labels[LABEL.agent];
  if (!name || !agent || !p.nodeName) return undefined;
  let requests: ResourceList | undefined;
  try {
    const parsed = JSON.parse(p.annotations[ANNOTATION.requests] ?? 'null') as unknown;
    if (parsed && typeof parsed === 'object') requests = Object.fromEntries(Object.entries(parsed).filter(([, v]) => typeof v === 'number')) as ResourceList;
  } catch {
    /* fall back to the container's requests */
  }
  const inst: ObservedInstance = { name, agent, node: p.nodeName, requests: requests ?? p.requests ?? {} };
  const started = p.annotations[ANNOTATION.startedAt] ?? p.created;
  if (started) inst.startedAt = started;
  if (p.labels[LABEL.template]) inst.template = p.labels[LABEL.template];
  const gpus = p.annotations[ANNOTATION.gpuDevices];
  if (gpus) inst.gpuDevices = gpus.split(',').map(Number).filter((n) => Number.isInteger(n));
  return inst;
}

/** A raw pod from the API → what the driver reads; requests are computed only when asked (unmanaged pods). */
export function viewPod(raw: unknown, withRequests: (spec: unknown) => ResourceList | undefined): PodView {
  const o = raw as { metadata?: Record<string, unknown>; spec?: { nodeName?: string }; status?: { phase?: string } };
  const md = o.metadata ?? {};
  const v: PodView = {
    name: String(md.name ?? ''),
    namespace: String(md.namespace ?? ''),
    labels: (md.labels as Record<string, string> | undefined) ?? {},
    annotations: (md.annotations as Record<string, string> | undefined) ?? {},
    deleting: Boolean(md.deletionTimestamp),
  };
  if (typeof md.uid === 'string') v.uid = md.uid;
  if (o.spec?.nodeName) v.nodeName = o.spec.nodeName;
  if (o.status?.phase) v.phase = o.status.phase;
  if (typeof md.creationTimestamp === 'string') v.created = md.creationTimestamp;
  const r = withRequests(o.spec);
  if (r) v.requests = r;
  return v;
}

