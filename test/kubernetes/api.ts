/**
 * The REST semantics of the resources: create/get/list/update/patch/delete, the status, binding,
 * eviction and scale subresources. Transport-free: the server parses the request into a Route and
 * calls `handle`; errors are thrown as ApiError (a Status body).
 */
import type { ResourceType } from './resources.js';
import { apiVersionOf, RESOURCE_TYPES } from './resources.js';
import type { KubeObject, Store } from './store.js';
import { applyPatch } from './patch.js';
import { defaultPod } from './objects.js';
import { checkEviction, pdbPods, withStatus } from './pdb.js';
import { matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError, selectorToString } from './selectors.js';
import type { GroupResource } from './status.js';
import { alreadyExists, ApiError, badRequest, conflict, invalid, methodNotAllowed, modified, notFound, success } from './status.js';

export interface Route {
  type: ResourceType;
  verb: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export interface Reply { status: number; body: unknown; list?: { items: KubeObject[]; meta: Record<string, unknown> } }

export interface ApiHooks {
  /** Pod deletion: immediate, or graceful (deletionTimestamp now, gone later) when the kubelet simulates termination. */
  deletePod(pod: KubeObject): KubeObject;
  metricsFor(type: ResourceType, namespace: string | undefined): KubeObject[];
}

const type = (group: string, plural: string) => RESOURCE_TYPES.find((t) => t.group === group && t.plural === plural && !t.optional)!;
export const T = {
  namespaces: type('', 'namespaces'),
  nodes: type('', 'nodes'),
  pods: type('', 'pods'),
  pdbs: type('policy', 'poddisruptionbudgets'),
  machineDeployments: type('cluster.x-k8s.io', 'machinedeployments'),
  machines: type('cluster.x-k8s.io', 'machines'),
};

const gr = (t: ResourceType): GroupResource => ({ group: t.group, resource: t.plural });
const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return s;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export class Api {
  constructor(private readonly store: Store, private readonly now: () => Date, private readonly hooks: ApiHooks) {}

  stamp(): string {
    return this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  handle(r: Route, query: URLSearchParams, body: unknown, contentType: string | undefined): Reply {
    const t = r.type;
    if (t.optional === 'metrics') return this.metrics(r, query);
    if (r.subresource) return this.subresource(r, body, contentType);
    switch (r.verb) {
      case 'get': return { status: 200, body: this.present(t, this.mustGet(t, r.namespace, r.name!)) };
      case 'list': return this.list(t, r.namespace, query);
      case 'create': return { status: 201, body: this.create(t, r.namespace, body) };
      case 'update': return { status: 200, body: this.update(t, r.namespace, r.name!, body, 'main') };
      case 'patch': {
        const cur = this.mustGet(t, r.namespace, r.name!);
        return { status: 200, body: this.update(t, r.namespace, r.name!, applyPatch(cur, contentType, body), 'main') };
      }
      case 'delete': return { status: 200, body: this.delete(t, this.mustGet(t, r.namespace, r.name!), body) };
      case 'deletecollection': {
        const items = this.list(t, r.namespace, query).list!.items;
        const gone = items.map((o) => this.delete(t, o, undefined));
        return { status: 200, body: { kind: t.listKind, apiVersion: apiVersionOf(t), metadata: { resourceVersion: this.store.resourceVersion }, items: gone } };
      }
      default: throw methodNotAllowed();
    }
  }

  mustGet(t: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const o = this.store.get(t, namespace, name);
    if (!o) throw notFound(gr(t), name);
    return o;
  }

  /** What a read returns: PDBs carry their status computed from the pods now. */
  present(t: ResourceType, o: KubeObject): KubeObject {
    if (t === T.pdbs) return withStatus(o, pdbPods(o, this.store.all(T.pods, o.metadata.namespace)), this.stamp());
    return o;
  }

  list(t: ResourceType, namespace: string | undefined, query: URLSearchParams): Reply {
    let labels;
    let fields;
    try {
      labels = parseLabelSelector(query.get('labelSelector'));
      fields = parseFieldSelector(query.get('fieldSelector'), t.fieldSelectors);
    } catch (e) {
      if (e instanceof SelectorError) throw badRequest(e.message);
      throw e;
    }
    const limit = Number(query.get('limit') ?? 0);
    const res = this.store.list(t, { namespace, labels, fields, limit, continueToken: query.get('continue') ?? undefined });
    const meta: Record<string, unknown> = { resourceVersion: res.resourceVersion };
    if (res.continueToken) meta.continue = res.continueToken;
    if (res.remainingItemCount !== undefined) meta.remainingItemCount = res.remainingItemCount;
    let items = res.items;
    if (t === T.pdbs) items = items.map((o) => this.present(t, o));
    // Built-in lists carry kind/apiVersion on the list only; custom resource lists on every item too.
    const out = t.custom ? items : items.map(({ kind: _k, apiVersion: _a, ...rest }) => rest);
    return { status: 200, body: { kind: t.listKind, apiVersion: apiVersionOf(t), metadata: meta, items: out }, list: { items, meta } };
  }

  create(t: ResourceType, namespace: string | undefined, body: unknown): KubeObject {
    if (!isObj(body)) throw badRequest('Object \'Kind\' is missing in \'null\'');
    const meta = { ...(isObj(body.metadata) ? body.metadata : {}) } as unknown as KubeObject['metadata'];
    if (t.namespaced) {
      if (meta.namespace && meta.namespace !== namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      meta.namespace = namespace;
      if (!this.store.get(T.namespaces, undefined, namespace!)) throw notFound(gr(T.namespaces), namespace!);
    }
    if (!meta.name) {
      if (!meta.generateName) throw invalid(t.kind, gr(t), '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required', type: 'FieldValueRequired' }]);
      meta.name = `${meta.generateName}${randomSuffix()}`;
    }
    if (!DNS1123.test(meta.name) || meta.name.length > 253) {
      throw invalid(t.kind, gr(t), meta.name, [{ field: 'metadata.name', message: `Invalid value: "${meta.name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')` }]);
    }
    for (const k of ['resourceVersion', 'uid', 'deletionTimestamp', 'creationTimestamp'] as const) delete (meta as Partial<typeof meta>)[k];
    if (this.store.get(t, meta.namespace, meta.name)) throw alreadyExists(gr(t), meta.name);
    let obj: KubeObject = { ...(body as object), apiVersion: apiVersionOf(t), kind: t.kind, metadata: meta } as KubeObject;
    if (t === T.pods) {
      this.validatePod(obj);
      obj = defaultPod(obj);
    } else if (t === T.namespaces) obj = { ...obj, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
    else if (t === T.nodes) obj = { ...obj, spec: obj.spec ?? {}, status: obj.status ?? {} };
    else if (t.hasStatus) obj = { ...obj, status: {} };
    if (t === T.machineDeployments) obj = defaultMachineDeployment(obj);
    return this.store.create(t, obj);
  }

  private validatePod(pod: KubeObject): void {
    const containers = pod.spec?.containers;
    const causes: { field: string; message: string; type?: string }[] = [];
    if (!Array.isArray(containers) || containers.length === 0) causes.push({ field: 'spec.containers', message: 'Required value', type: 'FieldValueRequired' });
    else {
      containers.forEach((c: { name?: string; image?: string }, i: number) => {
        if (!c?.name) causes.push({ field: `spec.containers[${i}].name`, message: 'Required value', type: 'FieldValueRequired' });
        if (!c?.image) causes.push({ field: `spec.containers[${i}].image`, message: 'Required value', type: 'FieldValueRequired' });
      });
    }
    if (causes.length) throw invalid('Pod', gr(T.pods), pod.metadata.name, causes);
  }

  /** PUT or PATCH: of the main resource (status kept) or of the status subresource (only status taken). */
  update(t: ResourceType, namespace: string | undefined, name: string, body: unknown, part: 'main' | 'status'): KubeObject {
    const cur = this.mustGet(t, namespace, name);
    if (!isObj(body) || !isObj(body.metadata)) throw badRequest('Object \'Kind\' is missing in the request body');
    const meta = body.metadata as unknown as KubeObject['metadata'];
    if (meta.name && meta.name !== name) throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    if (meta.resourceVersion && meta.resourceVersion !== cur.metadata.resourceVersion) throw modified(gr(t), name);
    let next: KubeObject;
    if (part === 'status') next = { ...cur, status: body.status };
    else {
      next = { ...(body as object), metadata: { ...meta } } as KubeObject;
      if (t.hasStatus) next.status = cur.status;
    }
    if (t === T.pods && part === 'main') this.checkPodUpdate(cur, next);
    if (t === T.machineDeployments) next = defaultMachineDeployment(next);
    if (cur.metadata.deletionTimestamp) next.metadata.deletionTimestamp = cur.metadata.deletionTimestamp;
    return this.store.replace(t, cur, next);
  }

  /** Pod specs are immutable but for images, activeDeadlineSeconds and added tolerations (ValidatePodUpdate). */
  private checkPodUpdate(cur: KubeObject, next: KubeObject): void {
    const strip = (spec: KubeObject['spec']) => JSON.stringify({ ...spec, containers: (spec?.containers ?? []).map((c: object) => ({ ...c, image: '' })), activeDeadlineSeconds: 0, tolerations: [] });
    if (strip(cur.spec) !== strip(next.spec)) {
      throw invalid('Pod', gr(T.pods), cur.metadata.name, [{ field: 'spec', message: 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)', type: 'FieldValueForbidden' }]);
    }
  }

  delete(t: ResourceType, cur: KubeObject, body: unknown): KubeObject {
    const pre = isObj(body) && isObj(body.preconditions) ? body.preconditions : undefined;
    if (pre?.uid && pre.uid !== cur.metadata.uid) {
      throw conflict(gr(t), cur.metadata.name, `Precondition failed: UID in precondition: ${String(pre.uid)}, UID in object meta: ${cur.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
      throw conflict(gr(t), cur.metadata.name, `Precondition failed: ResourceVersion in precondition: ${String(pre.resourceVersion)}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`);
    }
    if (t === T.pods) return this.hooks.deletePod(cur);
    if (t === T.namespaces) {
      for (const nt of RESOURCE_TYPES) if (nt.namespaced && !nt.optional) for (const o of this.store.all(nt, cur.metadata.name)) this.store.delete(nt, o);
    }
    return this.store.delete(t, cur);
  }

  private subresource(r: Route, body: unknown, contentType: string | undefined): Reply {
    const t = r.type;
    const sub = r.subresource!;
    const name = r.name!;
    const def = t.subresources[sub];
    if (!def || !def.verbs.includes(r.verb)) throw notFoundPath();
    if (sub === 'status') {
      if (r.verb === 'get') return { status: 200, body: this.present(t, this.mustGet(t, r.namespace, name)) };
      const cur = this.mustGet(t, r.namespace, name);
      const next = r.verb === 'patch' ? applyPatch(cur, contentType, body) : body;
      return { status: 200, body: this.update(t, r.namespace, name, next, 'status') };
    }
    if (t === T.pods && sub === 'binding') return { status: 201, body: this.bind(r.namespace!, name, body) };
    if (t === T.pods && sub === 'eviction') return this.evict(r.namespace!, name, body);
    if (t === T.pods && sub === 'log') {
      this.mustGet(t, r.namespace, name);
      return { status: 200, body: '' };
    }
    if (t === T.machineDeployments && sub === 'scale') return { status: 200, body: this.scale(r, body, contentType) };
    throw notFoundPath();
  }

  bind(namespace: string, name: string, body: unknown): unknown {
    const b = isObj(body) ? body : {};
    const target = isObj(b.target) ? b.target : {};
    const bindingName = isObj(b.metadata) ? (b.metadata.name as string | undefined) : undefined;
    if (bindingName && bindingName !== name) throw badRequest('name in URL does not match name in Binding object');
    const pod = this.store.get(T.pods, namespace, name);
    if (!pod) throw notFound(gr(T.pods), name);
    const bgr = { group: '', resource: 'pods/binding' };
    if (pod.metadata.deletionTimestamp) throw conflict(bgr, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    if (pod.spec?.nodeName) throw conflict(bgr, name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
    if (!target.name) throw invalid('Binding', { group: '', resource: 'bindings' }, name, [{ field: 'target.name', message: 'Required value', type: 'FieldValueRequired' }]);
    const at = this.stamp();
    const conditions = [...((pod.status?.conditions ?? []) as { type: string }[]).filter((c) => c.type !== 'PodScheduled'), { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: at }];
    this.store.replace(T.pods, pod, { ...pod, spec: { ...pod.spec, nodeName: target.name }, status: { ...pod.status, conditions } });
    return success(201);
  }

  private evict(namespace: string, name: string, body: unknown): Reply {
    const e = isObj(body) ? body : {};
    const en = isObj(e.metadata) ? (e.metadata.name as string | undefined) : undefined;
    if (en && en !== name) throw badRequest('name in URL does not match name in Eviction object');
    const pod = this.mustGet(T.pods, namespace, name);
    checkEviction(pod, this.store.all(T.pdbs, namespace), this.store.all(T.pods, namespace));
    this.hooks.deletePod(pod);
    return { status: 201, body: success(201) };
  }

  private scale(r: Route, body: unknown, contentType: string | undefined): unknown {
    const md = this.mustGet(T.machineDeployments, r.namespace, r.name!);
    const current = this.scaleOf(md);
    if (r.verb === 'get') return current;
    const next = (r.verb === 'patch' ? applyPatch(current, contentType, body) : body) as { metadata?: { resourceVersion?: string }; spec?: { replicas?: unknown } };
    const rv = next?.metadata?.resourceVersion;
    if (rv && rv !== md.metadata.resourceVersion) throw modified(gr(T.machineDeployments), md.metadata.name);
    const replicas = next?.spec?.replicas ?? 0;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid('Scale', { group: 'autoscaling', resource: 'scale' }, md.metadata.name, [{ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` }]);
    }
    const stored = this.store.replace(T.machineDeployments, md, { ...md, spec: { ...md.spec, replicas } });
    return this.scaleOf(stored);
  }

  scaleOf(md: KubeObject): unknown {
    const m = md.metadata;
    return {
      kind: 'Scale', apiVersion: 'autoscaling/v1',
      metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
      spec: { replicas: md.spec?.replicas ?? 0 },
      status: { replicas: md.status?.replicas ?? 0, selector: md.status?.selector ?? selectorToString(md.spec?.selector) },
    };
  }

  private metrics(r: Route, query: URLSearchParams): Reply {
    const items = this.hooks.metricsFor(r.type, r.namespace);
    if (r.verb === 'get') {
      const o = items.find((i) => i.metadata.name === r.name);
      if (!o) throw notFound(gr(r.type), r.name!);
      return { status: 200, body: o };
    }
    if (r.verb !== 'list') throw methodNotAllowed();
    const labels = parseLabelSelector(query.get('labelSelector'));
    const sel = labels.length ? items.filter((o) => labelsMatch(labels, o)) : items;
    const meta = { resourceVersion: '' };
    return { status: 200, body: { kind: r.type.listKind, apiVersion: apiVersionOf(r.type), metadata: meta, items: sel }, list: { items: sel, meta } };
  }
}

const labelsMatch = (sel: ReturnType<typeof parseLabelSelector>, o: KubeObject) => matchesLabels(sel, o.metadata.labels);

export function notFoundPath(): ApiError {
  return new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 });
}

/** The Cluster API webhook's defaults: one replica, a selector on the deployment name label. */
function defaultMachineDeployment(md: KubeObject): KubeObject {
  const name = md.metadata.name;
  const cluster = md.spec?.clusterName ?? '';
  const labels = { 'cluster.x-k8s.io/cluster-name': cluster, 'cluster.x-k8s.io/deployment-name': name };
  const spec = { replicas: 1, minReadySeconds: 0, revisionHistoryLimit: 1, progressDeadlineSeconds: 600, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0, deletePolicy: 'Oldest' } }, ...md.spec };
  spec.clusterName = cluster;
  spec.selector = spec.selector ?? { matchLabels: labels };
  spec.template = { ...spec.template, metadata: { ...spec.template?.metadata, labels: { ...labels, ...spec.template?.metadata?.labels } }, spec: { clusterName: cluster, bootstrap: { dataSecretName: '' }, infrastructureRef: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1', kind: 'DockerMachineTemplate', name: `${name}-template` }, ...spec.template?.spec } };
  return { ...md, spec };
}
