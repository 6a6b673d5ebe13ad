/**
 * Legacy discovery documents (/version, /api, /api/v1, /apis, /apis/<group>/<version>). kubectl
 * 1.32 first asks for aggregated discovery (apidiscovery.k8s.io/v2); answering plain
 * application/json makes client-go fall back to these, as it does against older servers.
 */
import type { ResourceType } from './resources.js';
import { GROUPS, RESOURCE_TYPES, apiVersionOf } from './resources.js';

export const VERSION = {
  major: '1', minor: '32', gitVersion: 'v1.32.0', gitCommit: '70d3cc986aa8221cd1dfb1121852688902d3bf53', gitTreeState: 'clean',
  buildDate: '2024-12-11T17:59:15Z', goVersion: 'go1.23.3', compiler: 'gc', platform: 'linux/amd64',
};

export function apiVersions(serverAddress: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function apiGroupList(metrics: boolean) {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: GROUPS.filter((g) => !g.optional || metrics).map((g) => apiGroup(g.name, g.version)),
  };
}

export function apiGroup(name: string, version: string) {
  const gv = { groupVersion: `${name}/${version}`, version };
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions: [gv], preferredVersion: gv };
}

function entries(t: ResourceType) {
  const main: Record<string, unknown> = { name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: t.verbs };
  if (t.shortNames) main.shortNames = t.shortNames;
  if (t.categories) main.categories = t.categories;
  const subs = Object.entries(t.subresources).map(([sub, s]) => {
    const e: Record<string, unknown> = { name: `${t.plural}/${sub}`, singularName: '', namespaced: t.namespaced, kind: s.kind, verbs: s.verbs };
    if (s.group !== undefined) Object.assign(e, { group: s.group, version: s.version });
    return e;
  });
  return [main, ...subs];
}

/** APIResourceList of one group version, or undefined when this server does not serve it. */
export function apiResourceList(group: string, version: string, metrics: boolean) {
  const known = group === '' ? version === 'v1' : GROUPS.some((g) => g.name === group && g.version === version && (!g.optional || metrics));
  if (!known) return undefined;
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version && (!t.optional || metrics));
  const resources = types.flatMap(entries);
  if (group === '') {
    // The legacy "bindings" resource (POST a Binding into a namespace) sits beside pods/binding.
    resources.splice(0, 0, { name: 'bindings', singularName: 'binding', namespaced: true, kind: 'Binding', verbs: ['create'] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
}
