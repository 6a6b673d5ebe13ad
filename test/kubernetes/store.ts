/**
 * The object store: one collection per resource type, keyed like etcd (`namespace/name`), one
 * resourceVersion counter for all writes, secondary indexes, and consistent paginated lists.
 * Stored objects are never mutated (writes store a new object), so a list snapshot is just an
 * array of references and every page of one list shows the same resourceVersion.
 */
import { randomUUID } from 'node:crypto';
import type { ResourceType } from './resources.js';
import type { FieldRequirement, LabelSelector } from './selectors.js';
import { matchesFields, matchesLabels } from './selectors.js';
import { expired } from './status.js';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  generation?: number;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
  finalizers?: string[];
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  status?: any;
  [k: string]: unknown;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type Listener = (type: ResourceType, change: ChangeType, obj: KubeObject, old: KubeObject | undefined) => void;
type Indexer = (o: KubeObject) => string | undefined;

export const keyOf = (namespace: string | undefined, name: string) => (namespace ? `${namespace}/${name}` : name);

class Collection {
  readonly items = new Map<string, KubeObject>();
  private sorted: string[] | null = [];
  readonly indexers = new Map<string, Indexer>();
  readonly indexes = new Map<string, Map<string, Set<string>>>();

  sortedKeys(): string[] {
    if (!this.sorted) this.sorted = [...this.items.keys()].sort();
    return this.sorted;
  }

  set(key: string, obj: KubeObject, old: KubeObject | undefined): void {
    if (!old) this.sorted = null;
    this.items.set(key, obj);
    this.reindex(key, old, obj);
  }

  remove(key: string, old: KubeObject): void {
    this.items.delete(key);
    this.sorted = null;
    this.reindex(key, old, undefined);
  }

  private reindex(key: string, old: KubeObject | undefined, obj: KubeObject | undefined): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indexes.get(name)!;
      const before = old ? fn(old) : undefined;
      const after = obj ? fn(obj) : undefined;
      if (before === after) continue;
      if (before !== undefined) {
        const s = idx.get(before);
        s?.delete(key);
        if (s && s.size === 0) idx.delete(before);
      }
      if (after !== undefined) {
        let s = idx.get(after);
        if (!s) idx.set(after, (s = new Set()));
        s.add(key);
      }
    }
  }
}

export interface ListQuery {
  namespace?: string;
  labels: LabelSelector;
  fields: FieldRequirement[];
  limit?: number;
  continueToken?: string;
}

export interface ListResult { items: KubeObject[]; resourceVersion: string; continueToken?: string; remainingItemCount?: number }

interface Snapshot { rv: number; items: KubeObject[]; selective: boolean }
interface Token { v: string; rv: number; start: string; snap: string; pos: number }

const TOO_OLD =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

export class Store {
  private rv = 1;
  private readonly collections = new Map<ResourceType, Collection>();
  private readonly listeners: Listener[] = [];
  private readonly snapshots = new Map<string, Snapshot>();
  private snapshotSeq = 0;
  /** Pages of a paginated list are served from a snapshot; this many lists can be in progress at once. */
  maxSnapshots = 64;

  constructor(private readonly now: () => Date) {}

  get resourceVersion(): string {
    return String(this.rv);
  }

  private col(type: ResourceType): Collection {
    let c = this.collections.get(type);
    if (!c) this.collections.set(type, (c = new Collection()));
    return c;
  }

  addIndex(type: ResourceType, name: string, fn: Indexer): void {
    const c = this.col(type);
    c.indexers.set(name, fn);
    c.indexes.set(name, new Map());
  }

  /** Keys of the objects whose index value is `value`. */
  indexed(type: ResourceType, name: string, value: string): KubeObject[] {
    const c = this.col(type);
    const keys = c.indexes.get(name)?.get(value);
    if (!keys) return [];
    return [...keys].map((k) => c.items.get(k)!);
  }

  onChange(fn: Listener): void {
    this.listeners.push(fn);
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.col(type).items.get(keyOf(type.namespaced ? namespace : undefined, name));
  }

  all(type: ResourceType, namespace?: string): KubeObject[] {
    const c = this.col(type);
    const keys = c.sortedKeys();
    if (namespace === undefined) return keys.map((k) => c.items.get(k)!);
    const prefix = `${namespace}/`;
    const out: KubeObject[] = [];
    for (let i = lowerBound(keys, prefix); i < keys.length && keys[i]!.startsWith(prefix); i++) out.push(c.items.get(keys[i]!)!);
    return out;
  }

  count(type: ResourceType): number {
    return this.col(type).items.size;
  }

  /** Stores a new object (fills uid, creationTimestamp); the caller checked it does not exist. */
  create(type: ResourceType, obj: KubeObject): KubeObject {
    const meta = obj.metadata;
    const stored: KubeObject = {
      ...obj,
      metadata: {
        ...meta,
        uid: randomUUID(),
        creationTimestamp: this.now().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        resourceVersion: String(++this.rv),
        ...(type.custom || type.plural === 'poddisruptionbudgets' ? { generation: 1 } : {}),
      },
    };
    if (!type.namespaced) delete stored.metadata.namespace;
    this.col(type).set(keyOf(stored.metadata.namespace, meta.name), stored, undefined);
    this.emit(type, 'ADDED', stored, undefined);
    return stored;
  }

  /** Replaces an existing object, bumping its resourceVersion (and generation when the spec changed). */
  replace(type: ResourceType, old: KubeObject, next: KubeObject): KubeObject {
    const meta: ObjectMeta = { ...next.metadata, uid: old.metadata.uid, creationTimestamp: old.metadata.creationTimestamp, name: old.metadata.name, resourceVersion: String(++this.rv) };
    if (old.metadata.namespace) meta.namespace = old.metadata.namespace;
    if (old.metadata.generation !== undefined) {
      meta.generation = JSON.stringify(old.spec) === JSON.stringify(next.spec) ? old.metadata.generation : old.metadata.generation + 1;
    }
    const stored: KubeObject = { ...next, apiVersion: old.apiVersion, kind: old.kind, metadata: meta };
    this.col(type).set(keyOf(meta.namespace, meta.name), stored, old);
    this.emit(type, 'MODIFIED', stored, old);
    return stored;
  }

  delete(type: ResourceType, old: KubeObject): KubeObject {
    const gone: KubeObject = { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.rv) } };
    this.col(type).remove(keyOf(old.metadata.namespace, old.metadata.name), old);
    this.emit(type, 'DELETED', gone, old);
    return gone;
  }

  private emit(type: ResourceType, change: ChangeType, obj: KubeObject, old: KubeObject | undefined): void {
    for (const l of this.listeners) l(type, change, obj, old);
  }

  /** A page of a list. The first page snapshots the matching objects; later pages read the snapshot. */
  list(type: ResourceType, q: ListQuery): ListResult {
    let snap: Snapshot;
    let snapId: string;
    let pos: number;
    if (q.continueToken) {
      let tok: Token;
      try {
        tok = JSON.parse(Buffer.from(q.continueToken, 'base64').toString('utf8')) as Token;
      } catch {
        throw expired('continue key is not valid: illegal base64 data');
      }
      const s = this.snapshots.get(tok.snap);
      if (!s || s.rv !== tok.rv) throw expired(TOO_OLD);
      snap = s;
      snapId = tok.snap;
      pos = tok.pos;
    } else {
      const selective = q.labels.length > 0 || q.fields.length > 0;
      const candidates = this.all(type, type.namespaced ? q.namespace : undefined);
      const items = selective ? candidates.filter((o) => matchesLabels(q.labels, o.metadata.labels) && matchesFields(q.fields, o)) : candidates;
      snap = { rv: this.rv, items, selective };
      snapId = '';
      pos = 0;
    }
    const limit = q.limit && q.limit > 0 ? q.limit : Infinity;
    const end = Math.min(snap.items.length, pos + limit);
    const page = snap.items.slice(pos, end);
    const result: ListResult = { items: page, resourceVersion: String(snap.rv) };
    if (end < snap.items.length) {
      if (!snapId) {
        snapId = String(++this.snapshotSeq);
        this.snapshots.set(snapId, snap);
        // Oldest lists in progress are forgotten first; their next page answers 410 Expired.
        while (this.snapshots.size > this.maxSnapshots) this.snapshots.delete(this.snapshots.keys().next().value!);
      }
      const last = page[page.length - 1]!.metadata;
      const tok: Token = { v: 'meta.k8s.io/v1', rv: snap.rv, start: `${keyOf(last.namespace, last.name)}\u0000`, snap: snapId, pos: end };
      result.continueToken = Buffer.from(JSON.stringify(tok)).toString('base64');
      // The real server only counts the rest when no selector filters it.
      if (!snap.selective) result.remainingItemCount = snap.items.length - end;
    } else if (snapId) {
      this.snapshots.delete(snapId);
    }
    return result;
  }

  /** Makes every continue token in circulation stale (the next page answers 410 Expired). */
  expireContinueTokens(): void {
    this.snapshots.clear();
  }
}

function lowerBound(keys: string[], prefix: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < prefix) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
