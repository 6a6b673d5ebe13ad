/**
 * The PostgreSQL state store, for teams and CI runners sharing state. Writes are transactions on
 * a pooled connection; row locks (`FOR UPDATE`, `ON CONFLICT`) make lock acquisition and cluster
 * revisions atomic across hosts. Names sort with COLLATE "C" so the order matches SQLite's,
 * byte for byte, whatever the database's locale.
 */
import type { Pool, PoolClient } from 'pg';
import { QmError } from '../../model/errors.js';
import type { ObservedInstance, ObservedNode } from '../../model/state.js';
import type { UsageStore } from '../../model/usage.js';
import { isExpired, newLockId } from '../locks.js';
import {
  addSeconds,
  changeName,
  checkCount,
  checkScalingCounts,
  checkStatus,
  checkTtl,
  normalizeTime,
  orphanedInstances,
  staleRevision,
  toJson,
} from '../records.js';
import type {
  AcquireResult,
  AppliedPlanRecord,
  AuditLog,
  ClusterChange,
  ClusterState,
  ClusterStore,
  ClusterWriteOptions,
  DecisionLog,
  DecisionRecord,
  Lock,
  LockInfo,
  LockStore,
  MetaStore,
  ScalingHistoryStore,
  ScalingQuery,
  ScalingRecord,
  StateStore,
} from '../store.js';
import { mapPostgresError, type Endpoint } from './errors.js';
import { clusterDoc, rowMappers, type AuditRow, type LockRow, type ScalingRow } from '../rows.js';
import { readSchemaVersion } from './migrate.js';
import { postgresUsage } from './usage.js';

const { toLock, toScaling, toAudit } = rowMappers((v) => v);

export type Query = <R extends object>(sql: string, params?: unknown[]) => Promise<R[]>;

const INSERT_LOCK =
  'INSERT INTO qm_locks (name, id, holder, info, acquired_at, expires_at) VALUES ($1, $2, $3, $4::json, $5, $6) ' +
  'ON CONFLICT (name) DO NOTHING RETURNING id';

export class PostgresStateStore implements StateStore {
  readonly backend = 'postgres' as const;
  readonly cluster: ClusterStore;
  readonly scaling: ScalingHistoryStore;
  readonly decisions: DecisionLog;
  readonly audit: AuditLog;
  readonly locks: LockStore;
  readonly meta: MetaStore;
  readonly usage: UsageStore;

  constructor(
    private readonly pool: Pool,
    readonly location: string,
    private readonly endpoint: Endpoint,
    private readonly now: () => Date,
  ) {
    this.cluster = {
      get: (cluster) => this.tx((q) => this.getCluster(q, cluster), 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'),
      revision: async (cluster) => {
        const [row] = await this.query<{ revision: string }>('SELECT revision FROM qm_clusters WHERE name = $1', [cluster]);
        return row ? Number(row.revision) : 0;
      },
      list: async () => (await this.query<{ name: string }>('SELECT name FROM qm_clusters ORDER BY name COLLATE "C"')).map((r) => r.name),
      write: (cluster, changes, opts) => this.tx((q) => this.writeCluster(q, cluster, changes, opts)),
      putNode: (cluster, node) => this.cluster.write(cluster, [{ op: 'putNode', node }]),
      deleteNode: (cluster, name) => this.cluster.write(cluster, [{ op: 'deleteNode', name }]),
      putInstance: (cluster, instance) => this.cluster.write(cluster, [{ op: 'putInstance', instance }]),
      deleteInstance: (cluster, name) => this.cluster.write(cluster, [{ op: 'deleteInstance', name }]),
    };
    this.scaling = {
      append: async (e) => {
        checkScalingCounts(e);
        await this.query(
          'INSERT INTO qm_scaling_events (target_kind, target_name, at, from_count, to_count, plan_id, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)',
          [e.target.kind, e.target.name, normalizeTime(e.at, 'a scaling event time'), e.from, e.to, e.planId ?? null, e.reason ?? null],
        );
      },
      list: (q) => this.listScaling(q ?? {}),
    };
    this.decisions = {
      record: (planId, decisions) => this.tx((q) => this.recordDecisions(q, planId, decisions)),
      latest: (instance) => this.latestDecision(instance),
      history: async (instance, limit = 50) => {
        checkCount(limit, 'the number of decisions');
        const rows = await this.query<{ plan_id: string; recorded_at: Date; decision: unknown }>(
          'SELECT p.plan_id, p.recorded_at, d.decision FROM qm_decisions d JOIN qm_decision_plans p ON p.seq = d.plan_seq WHERE d.instance = $1 ORDER BY d.plan_seq DESC LIMIT $2',
          [instance, limit],
        );
        return rows.map((row) => ({ planId: row.plan_id, instance, recordedAt: row.recorded_at.toISOString(), decision: row.decision }));
      },
      prune: async (keep) => {
        checkCount(keep, 'the number of plans to keep');
        const rows = await this.query(
          'DELETE FROM qm_decision_plans WHERE seq NOT IN (SELECT seq FROM qm_decision_plans ORDER BY seq DESC LIMIT $1) RETURNING seq',
          [keep],
        );
        return rows.length;
      },
    };
    this.audit = {
      record: async (e) => {
        await this.insertAudit(e);
      },
      start: async (e) => this.insertAudit({ ...e, status: 'running' }),
      update: async (ref, change) => {
        if (change.status !== undefined) checkStatus(change.status);
        const rows =
          change.status === undefined
            ? await this.query('UPDATE qm_applied_plans SET results = $2::json WHERE seq = $1 RETURNING seq', [ref, toJson(change.results)])
            : await this.query('UPDATE qm_applied_plans SET results = $2::json, status = $3 WHERE seq = $1 RETURNING seq', [ref, toJson(change.results), change.status]);
        if (rows.length === 0) throw new QmError('state', `the audit record ${ref} of ${this.location} is gone`);
      },
      latest: async (n) => {
        checkCount(n, 'the number of audit records');
        return (await this.query<AuditRow>('SELECT * FROM qm_applied_plans ORDER BY seq DESC LIMIT $1', [n])).map(toAudit);
      },
      get: async (planId) => {
        const [row] = await this.query<AuditRow>('SELECT * FROM qm_applied_plans WHERE plan_id = $1 ORDER BY seq DESC LIMIT 1', [planId]);
        return row && toAudit(row);
      },
    };
    this.locks = {
      acquire: (name, holder, ttl, info) => this.acquire(name, holder, ttl, info ?? {}),
      renew: async (id, ttl) => {
        checkTtl(ttl);
        const [row] = await this.query<LockRow>('UPDATE qm_locks SET expires_at = $2 WHERE id = $1 RETURNING *', [id, addSeconds(this.now(), ttl)]);
        return row && toLock(row);
      },
      release: async (id) => (await this.query('DELETE FROM qm_locks WHERE id = $1 RETURNING id', [id])).length > 0,
      forceUnlock: async (id) => {
        const [row] = await this.query<LockRow>('DELETE FROM qm_locks WHERE id = $1 RETURNING *', [id]);
        return row && toLock(row);
      },
      list: async () => (await this.query<LockRow>('SELECT * FROM qm_locks ORDER BY name COLLATE "C"')).map(toLock),
    };
    this.meta = {
      get: async (key) => (await this.query<{ value: unknown }>('SELECT value FROM qm_meta WHERE key = $1', [key]))[0]?.value,
      set: async (key, value) => {
        await this.query(
          'INSERT INTO qm_meta (key, value, updated_at) VALUES ($1, $2::json, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
          [key, toJson(value), this.now().toISOString()],
        );
      },
      delete: async (key) => (await this.query('DELETE FROM qm_meta WHERE key = $1 RETURNING key', [key])).length > 0,
    };
    this.usage = postgresUsage(
      (sql, params) => this.query(sql, params),
      (fn) => this.tx(fn),
      location,
    );
  }

  async schemaVersion(): Promise<number> {
    return this.tx((_q, client) => readSchemaVersion(client), 'BEGIN READ ONLY');
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  // --- plumbing -------------------------------------------------------------------------------

  /** One statement outside an explicit transaction (it is its own). */
  private async query<R extends object>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (err) {
      throw mapPostgresError(err, this.endpoint, 'run');
    }
  }

  /** Run fn in one transaction on one connection; any throw rolls it back. */
  private async tx<T>(fn: (q: Query, client: PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      const c = client;
      const q: Query = async <R extends object>(sql: string, params: unknown[] = []) => (await c.query<R>(sql, params)).rows;
      await c.query(begin);
      try {
        const result = await fn(q, c);
        await c.query('COMMIT');
        return result;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {
          // The connection is gone; do not hand it out again.
          client?.release(true);
          client = undefined;
        });
        throw err;
      }
    } catch (err) {
      throw mapPostgresError(err, this.endpoint, 'run');
    } finally {
      client?.release();
    }
  }

  /** Returns the record's seq, as text. */
  private async insertAudit(e: AppliedPlanRecord): Promise<string> {
    checkStatus(e.status);
    const [row] = await this.query<{ seq: string }>(
      'INSERT INTO qm_applied_plans (plan_id, applied_at, actor, status, plan, results, lock_id) VALUES ($1, $2, $3, $4, $5::json, $6::json, $7) RETURNING seq',
      [e.planId, normalizeTime(e.appliedAt, 'appliedAt'), e.actor, e.status, toJson(e.plan), toJson(e.results), e.lockId ?? null],
    );
    return String(row?.seq);
  }

  // --- cluster --------------------------------------------------------------------------------

  private async getCluster(q: Query, cluster: string): Promise<ClusterState> {
    const [row] = await q<{ revision: string }>('SELECT revision FROM qm_clusters WHERE name = $1', [cluster]);
    const nodes = await q<{ name: string; doc: unknown }>('SELECT name, doc FROM qm_nodes WHERE cluster = $1 ORDER BY name COLLATE "C"', [cluster]);
    const instances = await q<{ name: string; doc: unknown }>('SELECT name, doc FROM qm_instances WHERE cluster = $1 ORDER BY name COLLATE "C"', [cluster]);
    return {
      name: cluster,
      revision: row ? Number(row.revision) : 0,
      nodes: nodes.map((r) => clusterDoc<ObservedNode>(r.doc, this.location, 'qm_nodes', cluster, r.name)),
      instances: instances.map((r) => clusterDoc<ObservedInstance>(r.doc, this.location, 'qm_instances', cluster, r.name)),
    };
  }

  private async writeCluster(q: Query, cluster: string, changes: readonly ClusterChange[], opts: ClusterWriteOptions = {}): Promise<number> {
    if (changes.length === 0) {
      const [row] = await q<{ revision: string }>('SELECT revision FROM qm_clusters WHERE name = $1', [cluster]);
      const current = row ? Number(row.revision) : 0;
      if (opts.expectRevision !== undefined && opts.expectRevision !== current) throw staleRevision(cluster, opts.expectRevision, current);
      return current;
    }
    // Bumping the revision first takes the cluster's row lock: writes to one cluster serialise.
    const [row] = await q<{ revision: string }>(
      'INSERT INTO qm_clusters (name, revision, updated_at) VALUES ($1, 1, $2) ' +
        'ON CONFLICT (name) DO UPDATE SET revision = qm_clusters.revision + 1, updated_at = excluded.updated_at RETURNING revision',
      [cluster, this.now().toISOString()],
    );
    const revision = Number(row?.revision);
    if (opts.expectRevision !== undefined && opts.expectRevision !== revision - 1) throw staleRevision(cluster, opts.expectRevision, revision - 1);
    for (const c of changes) {
      switch (c.op) {
        case 'putNode':
          await q(
            'INSERT INTO qm_nodes (cluster, name, pool, doc) VALUES ($1, $2, $3, $4::json) ON CONFLICT (cluster, name) DO UPDATE SET pool = excluded.pool, doc = excluded.doc',
            [cluster, c.node.name, c.node.pool, toJson(c.node)],
          );
          break;
        case 'deleteNode':
          await q('DELETE FROM qm_nodes WHERE cluster = $1 AND name = $2', [cluster, c.name]);
          break;
        case 'putInstance':
          await q(
            'INSERT INTO qm_instances (cluster, name, agent, node, doc) VALUES ($1, $2, $3, $4, $5::json) ' +
              'ON CONFLICT (cluster, name) DO UPDATE SET agent = excluded.agent, node = excluded.node, doc = excluded.doc',
            [cluster, c.instance.name, c.instance.agent, c.instance.node, toJson(c.instance)],
          );
          break;
        case 'deleteInstance':
          await q('DELETE FROM qm_instances WHERE cluster = $1 AND name = $2', [cluster, c.name]);
          break;
      }
    }
    // Check only what this write touched; the deferred foreign key is the backstop.
    const orphans: { name: string; node: string }[] = [];
    for (const c of changes) {
      const sql =
        c.op === 'putInstance'
          ? 'SELECT i.name, i.node FROM qm_instances i WHERE i.cluster = $1 AND i.name = $2 AND NOT EXISTS (SELECT 1 FROM qm_nodes n WHERE n.cluster = i.cluster AND n.name = i.node)'
          : c.op === 'deleteNode'
            ? 'SELECT i.name, i.node FROM qm_instances i WHERE i.cluster = $1 AND i.node = $2 AND NOT EXISTS (SELECT 1 FROM qm_nodes n WHERE n.cluster = i.cluster AND n.name = i.node) LIMIT 5'
            : undefined;
      if (sql !== undefined) orphans.push(...(await q<{ name: string; node: string }>(sql, [cluster, changeName(c)])));
    }
    if (orphans.length > 0) throw orphanedInstances(cluster, orphans);
    return revision;
  }

  // --- scaling history ------------------------------------------------------------------------

  private async listScaling(query: ScalingQuery): Promise<ScalingRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.target) {
      params.push(query.target.kind, query.target.name);
      where.push(`target_kind = $${params.length - 1} AND target_name = $${params.length}`);
    }
    if (query.since !== undefined) {
      params.push(normalizeTime(query.since, 'since'));
      where.push(`at >= $${params.length}`);
    }
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    if (query.limit === undefined) {
      return (await this.query<ScalingRow>(`SELECT * FROM qm_scaling_events ${filter} ORDER BY at, seq`, params)).map(toScaling);
    }
    checkCount(query.limit, 'the number of scaling events');
    params.push(query.limit);
    const rows = await this.query<ScalingRow>(`SELECT * FROM qm_scaling_events ${filter} ORDER BY at DESC, seq DESC LIMIT $${params.length}`, params);
    return rows.reverse().map(toScaling);
  }

  // --- decisions ------------------------------------------------------------------------------

  private async recordDecisions(q: Query, planId: string, decisions: Readonly<Record<string, unknown>>): Promise<void> {
    await q('DELETE FROM qm_decision_plans WHERE plan_id = $1', [planId]);
    const [plan] = await q<{ seq: string }>('INSERT INTO qm_decision_plans (plan_id, recorded_at) VALUES ($1, $2) RETURNING seq', [
      planId,
      this.now().toISOString(),
    ]);
    // One round trip for the whole plan: json_each keeps each value's text as given.
    await q('INSERT INTO qm_decisions (plan_seq, instance, decision) SELECT $1, key, value FROM json_each($2::json)', [plan?.seq, toJson(decisions)]);
  }

  private async latestDecision(instance: string): Promise<DecisionRecord | undefined> {
    const [row] = await this.query<{ plan_id: string; recorded_at: Date; decision: unknown }>(
      'SELECT p.plan_id, p.recorded_at, d.decision FROM qm_decisions d JOIN qm_decision_plans p ON p.seq = d.plan_seq WHERE d.instance = $1 ORDER BY d.plan_seq DESC LIMIT 1',
      [instance],
    );
    return row && { planId: row.plan_id, instance, recordedAt: row.recorded_at.toISOString(), decision: row.decision };
  }

  // --- locks ----------------------------------------------------------------------------------

  private async acquire(name: string, holder: string, ttlSeconds: number, info: LockInfo): Promise<AcquireResult> {
    checkTtl(ttlSeconds);
    // A retry only happens when another acquirer inserted the row between our look and our
    // insert; by then it has committed, so the next look sees it.
    for (let attempt = 0; ; attempt++) {
      const result = await this.tx(async (q): Promise<AcquireResult | undefined> => {
        const now = this.now();
        const [row] = await q<LockRow>('SELECT * FROM qm_locks WHERE name = $1 FOR UPDATE', [name]);
        const current = row && toLock(row);
        if (current && !isExpired(current, now)) return { ok: false, heldBy: current };
        const lock: Lock = { id: newLockId(), name, holder, info, acquiredAt: now.toISOString(), expiresAt: addSeconds(now, ttlSeconds) };
        const params = [name, lock.id, holder, toJson(info), lock.acquiredAt, lock.expiresAt];
        if (current) {
          await q('UPDATE qm_locks SET id = $2, holder = $3, info = $4::json, acquired_at = $5, expires_at = $6 WHERE name = $1', params);
          return { ok: true, lock, replaced: current };
        }
        const inserted = await q(INSERT_LOCK, params);
        return inserted.length > 0 ? { ok: true, lock } : undefined;
      });
      if (result) return result;
      if (attempt >= 5) throw mapPostgresError(new Error(`could not settle the "${name}" lock after ${attempt + 1} attempts`), this.endpoint, 'run');
    }
  }
}
