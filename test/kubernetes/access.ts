/**
 * What a test configures about who may do what and how the server misbehaves: bearer-token
 * authentication, RBAC-like allow/deny rules (403 with the authorizer's message), and injected
 * faults (429 with Retry-After, 5xx, latency) matched by method, path or resource.
 */
import type { Route } from './api.js';
import { apiVersionOf } from './resources.js';
import type { ApiError } from './status.js';
import { failure, forbidden, internal, serviceUnavailable, tooManyRequests, ApiError as Err } from './status.js';

export interface Rule {
  verbs: string[];
  /** `pods`, `pods/eviction`, `*`. */
  resources: string[];
  /** API groups: "" is the core group; absent means any. */
  apiGroups?: string[];
  /** Absent means every namespace and the cluster scope. */
  namespaces?: string[];
}

export interface Fault {
  method?: string;
  /** The URL path: a RegExp, or a string where `*` matches one path segment (exact otherwise). */
  path?: string | RegExp;
  verb?: string;
  /** `pods`, `nodes`, `pods/eviction`, `machinedeployments/scale`. */
  resource?: string;
  namespace?: string;
  /** The answer: 429 (with Retry-After), 500, 503, … Absent: only `latencyMs`, then the normal answer. */
  status?: number;
  retryAfterSeconds?: number;
  latencyMs?: number;
  /** How many requests it applies to (default: all). */
  times?: number;
  message?: string;
}

export interface FaultHandle { readonly hits: number; remove(): void }

const ruleMatches = (r: Rule, verb: string, resource: string, group: string, namespace: string | undefined) =>
  (r.verbs.includes('*') || r.verbs.includes(verb)) &&
  (r.resources.includes('*') || r.resources.includes(resource)) &&
  (!r.apiGroups || r.apiGroups.includes('*') || r.apiGroups.includes(group)) &&
  (!r.namespaces || (namespace !== undefined && r.namespaces.includes(namespace)));

export class Access {
  /** When set, only these rules allow anything (like RBAC); deny rules apply on top. */
  allow: Rule[] | undefined;
  deny: Rule[] = [];
  private faults: { fault: Fault; left: number; hits: number }[] = [];

  constructor(public token: string | undefined, public user: string) {}

  /** 401 for a missing or wrong token when the server has one. */
  authenticate(header: string | undefined): ApiError | undefined {
    if (this.token === undefined) return undefined;
    if (header !== `Bearer ${this.token}`) return new Err(failure(401, 'Unauthorized', 'Unauthorized'));
    return undefined;
  }

  authorize(r: Route): ApiError | undefined {
    const resource = r.subresource ? `${r.type.plural}/${r.subresource}` : r.type.plural;
    const group = r.type.group;
    const ns = r.type.namespaced ? r.namespace : undefined;
    const allowed = !this.allow || this.allow.some((x) => ruleMatches(x, r.verb, resource, group, ns));
    const denied = this.deny.some((x) => ruleMatches(x, r.verb, resource, group, ns));
    if (allowed && !denied) return undefined;
    return forbidden(this.token === undefined ? 'system:anonymous' : this.user, r.verb, { group, resource: r.type.plural }, r.subresource, ns, r.name);
  }

  inject(fault: Fault): FaultHandle {
    const entry = { fault, left: fault.times ?? Infinity, hits: 0 };
    this.faults.push(entry);
    return {
      get hits() { return entry.hits; },
      remove: () => { this.faults = this.faults.filter((f) => f !== entry); },
    };
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** The first live fault matching the request, consumed. */
  takeFault(method: string, path: string, r: Route | undefined): Fault | undefined {
    for (const f of this.faults) {
      if (f.left <= 0) continue;
      const x = f.fault;
      if (x.method && x.method.toUpperCase() !== method) continue;
      if (x.path !== undefined && !pathMatches(x.path, path)) continue;
      if (x.verb && x.verb !== r?.verb) continue;
      if (x.resource && (!r || x.resource !== (r.subresource ? `${r.type.plural}/${r.subresource}` : r.type.plural))) continue;
      if (x.namespace && x.namespace !== r?.namespace) continue;
      f.left--;
      f.hits++;
      return x;
    }
    return undefined;
  }
}

function pathMatches(p: string | RegExp, path: string): boolean {
  if (p instanceof RegExp) return p.test(path);
  if (!p.includes('*')) return p === path;
  const re = new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
  return re.test(path);
}

/** The error body of an injected fault, shaped as the apiserver's (APF 429, 500, 503). */
export function faultError(f: Fault): ApiError {
  const s = f.status!;
  if (s === 429) return tooManyRequests(f.retryAfterSeconds ?? 1, f.message);
  if (s === 500) return internal(f.message ?? 'injected fault');
  if (s === 503) {
    const e = serviceUnavailable(f.message);
    if (f.retryAfterSeconds !== undefined) e.headers['Retry-After'] = String(f.retryAfterSeconds);
    return e;
  }
  const e = new Err(failure(s, s === 409 ? 'Conflict' : s === 504 ? 'Timeout' : 'InternalError', f.message ?? `injected ${s}`));
  if (f.retryAfterSeconds !== undefined) e.headers['Retry-After'] = String(f.retryAfterSeconds);
  return e;
}

export const groupVersionOf = apiVersionOf;
