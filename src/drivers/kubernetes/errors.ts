/**
 * API failures as one sentence for the user: a refused permission names the verb, resource and
 * namespace (from the request, and the user from the Status body when it says), a budget that
 * forbids an eviction is named, an unreachable server says so.
 */
import { DriverError } from '../contract.js';
import { KubeApiError } from './rest.js';
import type { Intent } from './rest.js';
import { KubeconfigError } from './kubeconfig.js';

function scope(i: Intent): string {
  return i.namespace ? `in namespace ${i.namespace}` : 'cluster-wide';
}

/** The RBAC rule that would allow the request, for the hint. */
export function ruleFor(i: Intent): string {
  const [resource, sub] = i.resource.split('/');
  const group = resource === 'machinedeployments' || resource === 'machines' ? 'cluster.x-k8s.io' : resource === 'poddisruptionbudgets' ? 'policy' : '';
  const kind = i.namespace ? `a Role in namespace ${i.namespace}` : 'a ClusterRole';
  return `${kind} with apiGroups ["${group}"], resources ["${sub ? `${resource}/${sub}` : resource}"], verbs ["${i.verb}"] (deploy/kubernetes/rbac.yaml has the minimal set)`;
}

/** Detail and hint of a DriverError for an API failure. */
export function explain(e: unknown): { detail: string; hint?: string } {
  if (e instanceof KubeconfigError) return { detail: e.message, hint: e.hint };
  if (!(e instanceof KubeApiError)) return { detail: (e as Error).message };
  const i = e.intent;
  if (e.status === 403) {
    // "User \"system:serviceaccount:qm:qm\" cannot create resource …": who was refused, when the server says.
    const who = /User "([^"]+)"/.exec(e.message)?.[1];
    return { detail: `the API server refused permission to ${i.verb} ${i.resource} ${scope(i)}${who ? ` to ${who}` : ''}`, hint: `grant it ${ruleFor(i)}` };
  }
  if (e.status === 401) return { detail: `the API server did not accept the credentials of the kubeconfig (401 Unauthorized) while trying to ${i.verb} ${i.resource} ${scope(i)}`, hint: 'renew the token or certificate (kubectl auth whoami shows who you are)' };
  if (e.status === 0) return { detail: e.message, hint: 'check the server in the kubeconfig and the network (kubectl cluster-info)' };
  if (e.status === 429 || e.status >= 500) return { detail: `the API server kept answering ${e.status} (${e.message}) to ${i.verb} ${i.resource} ${scope(i)}, after retries`, hint: 'the cluster is overloaded or failing; qm apply again converges once it answers' };
  return { detail: `${i.verb} ${i.resource} ${scope(i)} was refused (${e.status}${e.reason ? ` ${e.reason}` : ''}): ${e.message}` };
}

/** Wrap any failure of an action as a DriverError naming driver, host and action. */
export function driverError(driver: string, host: string, action: string, e: unknown): DriverError {
  if (e instanceof DriverError) return e;
  const { detail, hint } = explain(e);
  return new DriverError(driver, host, action, detail, hint);
}
