/**
 * The pod operations behind plan actions, each idempotent: create a pod or adopt the one that is
 * already there, wait until it runs, delete or evict an instance's pods on a node. Pods are found
 * by their labels, never by name alone, so unmanaged pods are never touched.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isLive, LABEL, MANAGED_SELECTOR, viewPod } from './pod-spec.js';
import type { PodObject, PodView } from './pod-spec.js';
import { podRequests } from './resources.js';
import type { PodSpecLike } from './resources.js';
import { KubeApiError } from './rest.js';
import type { KubeRest } from './rest.js';

/** A failure of an operation that is not the API's (a pod that will not start, a budget that forbids an eviction). */
export class PodError extends Error {
  readonly code = 'pod' as const;
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'PodError';
  }
}

const podsPath = (ns: string) => `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`;
const view = (raw: unknown) => viewPod(raw, (s) => podRequests(s as PodSpecLike));

/** The live pods of an instance (one list, by label). */
export async function podsOf(rest: KubeRest, ns: string, instance: string, signal?: AbortSignal): Promise<PodView[]> {
  const pods = await rest.listAll(podsPath(ns), { labelSelector: `${MANAGED_SELECTOR},${LABEL.instance}=${instance}` }, { verb: 'list', resource: 'pods', namespace: ns }, view, 500, signal);
  return pods.filter(isLive);
}

async function getPod(rest: KubeRest, ns: string, name: string, signal?: AbortSignal): Promise<PodView | undefined> {
  try {
    return view(await rest.request('GET', `${podsPath(ns)}/${encodeURIComponent(name)}`, { intent: { verb: 'get', resource: 'pods', namespace: ns }, signal }));
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 404) return undefined;
    throw e;
  }
}

/**
 * Wait until a pod of that name is gone (a terminating leftover, or one just deleted or evicted),
 * up to `timeoutMs`: until then its requests still occupy the node, and a pod placed in its room
 * would be rejected (`OutOfcpu`).
 */
export async function waitGone(rest: KubeRest, ns: string, name: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    if (!(await getPod(rest, ns, name, signal))) return;
    if (performance.now() > deadline || signal?.aborted) throw new PodError(`pod ${name} is still terminating after ${Math.round(timeoutMs / 1000)}s, so the room it holds on its node is not free yet`, `wait for it to go (kubectl -n ${ns} get pod ${name}), then qm apply again; raise spec.kubernetes.startTimeout if pods take longer to stop`);
    await sleep(delay);
  }
}

/**
 * Create the pod, or adopt the one that already exists: a 409 on a pod with the same instance label
 * on the same node is success (a re-run after a crash); a terminated or terminating leftover is
 * replaced; a pod of that name that is not ours is an error. Returns whether a pod was created.
 */
export async function createOrAdopt(rest: KubeRest, pod: PodObject, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const ns = pod.metadata.namespace;
  const name = pod.metadata.name;
  const instance = pod.metadata.labels[LABEL.instance];
  for (let round = 0; ; round++) {
    try {
      await rest.request('POST', podsPath(ns), { body: pod, intent: { verb: 'create', resource: 'pods', namespace: ns }, signal });
      return true;
    } catch (e) {
      if (!(e instanceof KubeApiError && e.status === 409) || round > 2) throw e;
    }
    const there = await getPod(rest, ns, name, signal);
    if (!there) continue; // gone meanwhile: create again
    if (there.labels[LABEL.instance] !== instance) throw new PodError(`a pod named ${name} that is not instance ${instance} (not managed by Quartermaster) already exists in namespace ${ns}`, `rename or delete it (kubectl -n ${ns} delete pod ${name})`);
    if (isLive(there) && there.nodeName === pod.spec.nodeName) return false;
    // A leftover (terminated, terminating, or bound elsewhere): it goes, then the pod is created anew.
    if (!there.deleting) await deletePod(rest, ns, name, signal);
    await waitGone(rest, ns, name, timeoutMs, signal);
  }
}

/** Delete one pod by name; already gone is fine. */
export async function deletePod(rest: KubeRest, ns: string, name: string, signal?: AbortSignal): Promise<void> {
  try {
    await rest.request('DELETE', `${podsPath(ns)}/${encodeURIComponent(name)}`, { intent: { verb: 'delete', resource: 'pods', namespace: ns }, signal });
  } catch (e) {
    if (!(e instanceof KubeApiError && e.status === 404)) throw e;
  }
}

/** Container states that will not get better by waiting. */
const HOPELESS = new Set(['CrashLoopBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'ErrImageNeverPull']);

interface PodStatus {
  phase?: string;
  reason?: string;
  message?: string;
  conditions?: { type?: string; status?: string }[];
  containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[];
}

/** Wait until a pod is Running and Ready; fail fast when it terminated or cannot start, or after `timeoutMs`. */
export async function waitReady(rest: KubeRest, ns: string, name: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = 'not created';
  for (let delay = 50; ; delay = Math.min(delay * 2, 2000)) {
    let raw: { status?: PodStatus } | undefined;
    try {
      raw = await rest.request<{ status?: PodStatus }>('GET', `${podsPath(ns)}/${encodeURIComponent(name)}`, { intent: { verb: 'get', resource: 'pods', namespace: ns }, signal });
    } catch (e) {
      if (!(e instanceof KubeApiError && e.status === 404)) throw e;
      throw new PodError(`the new pod ${name} was deleted while it was starting`);
    }
    const s = raw.status ?? {};
    const ready = (s.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    if (s.phase === 'Running' && ready) return;
    if (s.phase === 'Failed' || s.phase === 'Succeeded') throw new PodError(`the new pod ${name} ${s.phase === 'Failed' ? 'failed' : 'exited'}${s.reason ? ` (${s.reason}${s.message ? `: ${s.message}` : ''})` : ''}`, `kubectl -n ${ns} describe pod ${name}`);
    const waiting = (s.containerStatuses ?? []).map((c) => c.state?.waiting).find((w) => w?.reason);
    if (waiting?.reason && HOPELESS.has(waiting.reason)) throw new PodError(`the new pod ${name} cannot start: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`, `kubectl -n ${ns} describe pod ${name}`);
    last = `phase ${s.phase ?? 'unknown'}${waiting?.reason ? `, ${waiting.reason}` : ''}${s.phase === 'Running' ? ', not Ready' : ''}`;
    if (performance.now() > deadline) throw new PodError(`the new pod ${name} is not Running and Ready after ${Math.round(timeoutMs / 1000)}s (${last})`, `raise spec.kubernetes.startTimeout, or see kubectl -n ${ns} describe pod ${name}`);
    if (signal?.aborted) throw new PodError(`stopped waiting for the new pod ${name} (the apply was interrupted)`);
    await sleep(Math.min(delay, Math.max(0, deadline - performance.now()) + 1));
  }
}

interface Budget {
  metadata?: { name?: string };
  spec?: { selector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } };
}

function selects(sel: NonNullable<Budget['spec']>['selector'], labels: Record<string, string>): boolean {
  if (!sel) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const x of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, x.key);
    const v = labels[x.key];
    if (x.operator === 'In' && !(has && (x.values ?? []).includes(v!))) return false;
    if (x.operator === 'NotIn' && has && (x.values ?? []).includes(v!)) return false;
    if (x.operator === 'Exists' && !has) return false;
    if (x.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** The PodDisruptionBudgets that select a pod, by name (a budget's refusal names them). */
async function budgetsFor(rest: KubeRest, pod: PodView, signal?: AbortSignal): Promise<string[]> {
  try {
    const all = await rest.listAll(`/apis/policy/v1/namespaces/${encodeURIComponent(pod.namespace)}/poddisruptionbudgets`, {}, { verb: 'list', resource: 'poddisruptionbudgets', namespace: pod.namespace }, (b) => b as Budget, 500, signal);
    return all.filter((b) => selects(b.spec?.selector, pod.labels)).map((b) => b.metadata?.name ?? '').filter(Boolean).sort();
  } catch {
    return [];
  }
}

/** Whether a 429 is a disruption budget's refusal (not a rate limit): its Status names the cause. */
export function isBudgetRefusal(e: unknown): boolean {
  return e instanceof KubeApiError && e.status === 429 && (e.details?.causes ?? []).some((c) => c.reason === 'DisruptionBudget');
}

/** Evict a pod through the policy/v1 Eviction subresource; gone already is fine; a budget's refusal names the budget. */
export async function evictPod(rest: KubeRest, pod: PodView, signal?: AbortSignal): Promise<void> {
  const ns = pod.namespace;
  const body = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod.name, namespace: ns } };
  try {
    await rest.request('POST', `${podsPath(ns)}/${encodeURIComponent(pod.name)}/eviction`, { body, intent: { verb: 'create', resource: 'pods/eviction', namespace: ns }, signal });
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 404) return;
    if (!isBudgetRefusal(e)) throw e;
    const names = await budgetsFor(rest, pod, signal);
    const cause = (e as KubeApiError).details?.causes?.find((c) => c.reason === 'DisruptionBudget')?.message;
    const which = names.length ? `the PodDisruptionBudget${names.length === 1 ? '' : 's'} ${names.join(', ')}` : 'a PodDisruptionBudget';
    throw new PodError(`${which} forbid${names.length === 1 ? 's' : ''} evicting pod ${pod.name} now${cause ? ` (${cause})` : ''}`, `qm apply again once the budget allows it, or relax it (kubectl -n ${ns} get pdb${names.length ? ` ${names.join(' ')}` : ''})`);
  }
}
