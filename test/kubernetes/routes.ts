/**
 * URL → what is asked: a discovery document, or a resource route (type, namespace, name,
 * subresource, verb) the way the apiserver's RequestInfoFactory splits paths.
 */
import type { Route } from './api.js';
import { apiGroupList, apiGroup, apiResourceList, apiVersions, VERSION } from './discovery.js';
import { findType, GROUPS } from './resources.js';

export type Parsed =
  | { kind: 'doc'; body: unknown }
  | { kind: 'resource'; route: Route; watch: boolean }
  | { kind: 'binding'; namespace: string }
  | { kind: 'none' };

const VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch' };

export function parsePath(method: string, path: string, query: URLSearchParams, metrics: boolean, serverAddress: string): Parsed {
  const parts = path.split('/').filter(Boolean);
  if (method === 'GET') {
    if (path === '/version' || path === '/version/') return { kind: 'doc', body: VERSION };
    if (path === '/api' || path === '/api/') return { kind: 'doc', body: apiVersions(serverAddress) };
    if (path === '/apis' || path === '/apis/') return { kind: 'doc', body: apiGroupList(metrics) };
    if (path === '/healthz' || path === '/readyz' || path === '/livez') return { kind: 'doc', body: 'ok' };
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 2) {
    group = parts[1]!;
    if (parts.length === 2) {
      const g = GROUPS.find((x) => x.name === group && (!x.optional || metrics));
      return method === 'GET' && g ? { kind: 'doc', body: apiGroup(g.name, g.version) } : { kind: 'none' };
    }
    version = parts[2]!;
    rest = parts.slice(3);
  } else return { kind: 'none' };
  if (rest.length === 0) {
    const list = method === 'GET' ? apiResourceList(group, version, metrics) : undefined;
    return list ? { kind: 'doc', body: list } : { kind: 'none' };
  }
  // The deprecated /watch/ prefix: GET /api/v1/watch/namespaces/x/pods.
  let watch = query.get('watch') === 'true' || query.get('watch') === '1';
  if (rest[0] === 'watch') {
    watch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && group === '' && rest[2] !== 'status' && rest[2] !== 'finalize') {
    namespace = rest[1]!;
    rest = rest.slice(2);
  } else if (rest[0] === 'namespaces' && rest.length >= 3 && group !== '') {
    namespace = rest[1]!;
    rest = rest.slice(2);
  }
  if (group === '' && rest[0] === 'bindings' && rest.length === 1 && namespace && method === 'POST') return { kind: 'binding', namespace };
  const plural = rest[0]!;
  const type = findType(group, version, plural, metrics);
  if (!type || rest.length > 3) return { kind: 'none' };
  if (type.namespaced !== (namespace !== undefined) && !(type.namespaced && rest.length === 1 && method === 'GET')) return { kind: 'none' };
  const name = rest[1];
  const subresource = rest[2];
  let verb: string;
  if (method === 'GET') verb = name ? 'get' : watch ? 'watch' : 'list';
  else if (method === 'DELETE') verb = name ? 'delete' : 'deletecollection';
  else {
    const v = VERBS[method];
    if (!v) return { kind: 'none' };
    verb = v;
    if (verb !== 'create' && !name) return { kind: 'none' };
    if (verb === 'create' && name && !subresource) return { kind: 'none' };
  }
  return { kind: 'resource', route: { type, verb, namespace, name, subresource }, watch };
}
