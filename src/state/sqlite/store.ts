/**
 * The SQLite state store. better-sqlite3 is synchronous; the methods are async only to share the
 * StateStore contract. Every write runs in a BEGIN IMMEDIATE transaction: it takes SQLite's write
 * lock up front, so concurrent processes queue on busy_timeout instead of failing on a snapshot
 * upgrade, and a lock acquisition is atomic across processes.
 */
import type { Database, Statement } from 'better-sqlite3';
import { QmError } from '../../model/errors.js';
import type { ObservedInstance, ObservedNode } from '../../model/state.js';
import type { UsageQuery, UsageSample, UsageStore } from '../../model/usage.js';
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
import { mapSqliteError } from './errors.js';
import { clusterDoc, rowMappers, type AuditRow, type LockRow, type ScalingRow } from '../rows.js';
import { parseJsonColumn } from '../failure.js';
import { readSchemaVersion } from './migrate.js';
import { usageBounds, usageColumns, usageSample, type UsageRow } from '../usage-rows.js';


export class SqliteStateStore implements StateStore {
  readonly backend = 'sqlite' as const;
  readonly cluster: ClusterStore;
  readonly scaling: ScalingHistoryStore;
  readonly decisions: DecisionLog;
  readonly audit: AuditLog;
  readonly locks: LockStore;
  readonly meta: MetaStore;
  readonly usage: UsageStore;
  private readonly statements = new Map<string, Statement>();
  private readonly rows: ReturnType<typeof rowMappers>;

  constructor(
    private readonly db: Database,
    readonly location: string,
    private readonly now: () => Date,
    private readonly busyTimeoutMs: number,
  ) {
    this.rows = rowMappers((v, table, row, column) => parseJsonColumn(v, location, table, row, column));
    this.cluster = {
      get: (cluster) => this.read(() => this.getCluster(cluster)),
      revision: (cluster) => this.read(() => (this.one('SELECT revision FROM qm_clusters WHERE name = ?', cluster) as { revision: number } | undefined)?.revision ?? 0),
      list: () => this.read(() => (this.all('SELECT name FROM qm_clusters ORDER BY name') as { name: string }[]).map((r) => r.name)),
      write: (cluster, changes, opts) => this.write(() => this.writeCluster(cluster, changes, opts)),
      putNode: (cluster, node) => this.cluster.write(cluster, [{ op: 'putNode', node }]),
      deleteNode: (cluster, name) => this.cluster.write(cluster, [{ op: 'deleteNode', name }]),
      putInstance: (cluster, instance) => this.cluster.write(cluster, [{ op: 'putInstance', instance }]),
      deleteInstance: (cluster, name) => this.cluster.write(cluster, [{ op: 'deleteInstance', name }]),
    };
    this.scaling = {
      append: (e) => this.write(() => this.appendScaling(e)),
      list: (q) => this.read(() => this.listScaling(q ?? {})),
    };
    this.decisions = {
      record: (planId, decisions) => this.write(() => this.recordDecisions(planId, decisions)),
      latest: (instance) => this.read(() => this.latestDecision(instance)),
      history: async (instance, limit = 50) => {
        checkCount(limit, 'the number of decisions');
        return this.read(() =>
          (this.all(
            'SELECT p.plan_id, p.recorded_at, d.decision FROM qm_decisions d JOIN qm_decision_plans p ON p.seq = d.plan_seq WHERE d.instance = ? ORDER BY d.plan_seq DESC LIMIT ?',
            instance,
            limit,
          ) as { plan_id: string; recorded_at: string; decision: string }[]).map((row) => ({ planId: row.plan_id, instance, recordedAt: row.recorded_at, decision: this.json(row.decision, 'qm_decisions', row.plan_id, instance) })),
        );
      },
      prune: async (keep) => {
        checkCount(keep, 'the number of plans to keep');
        return this.write(
          () =>
            this.stmt('DELETE FROM qm_decision_plans WHERE seq NOT IN (SELECT seq FROM qm_decision_plans ORDER BY seq DESC LIMIT ?)').run(keep)
              .changes,
        );
      },
    };
    this.audit = {
      record: (e) => this.write(() => void this.recordAudit(e)),
      start: (e) => this.write(() => String(this.recordAudit({ ...e, status: 'running' }))),
      update: async (ref, change) => {
        if (change.status !== undefined) checkStatus(change.status);
        return this.write(() => {
          const sql = change.status === undefined ? 'UPDATE qm_applied_plans SET results = ? WHERE seq = ?' : 'UPDATE qm_applied_plans SET results = ?, status = ? WHERE seq = ?';
          const params = change.status === undefined ? [toJson(change.results), Number(ref)] : [toJson(change.results), change.status, Number(ref)];
          if (this.stmt(sql).run(...params).changes === 0) throw new QmError('state', `the audit record ${ref} of ${this.location} is gone`);
        });
      },
      latest: async (n) => {
        checkCount(n, 'the number of audit records');
        return this.read(() => (this.all('SELECT * FROM qm_applied_plans ORDER BY seq DESC LIMIT ?', n) as AuditRow[]).map(this.rows.toAudit));
      },
      get: (planId) =>
        this.read(() => {
          const row = this.one('SELECT * FROM qm_applied_plans WHERE plan_id = ? ORDER BY seq DESC LIMIT 1', planId) as AuditRow | undefined;
          return row && this.rows.toAudit(row);
        }),
    };
    this.locks = {
      acquire: (name, holder, ttl, info) => this.write(() => this.acquire(name, holder, ttl, info ?? {})),
      renew: async (id, ttl) => {
        checkTtl(ttl);
        return this.write(() => {
          const changed = this.stmt('UPDATE qm_locks SET expires_at = ? WHERE id = ?').run(addSeconds(this.now(), ttl), id).changes;
          return changed === 0 ? undefined : this.rows.toLock(this.one('SELECT * FROM qm_locks WHERE id = ?', id) as LockRow);
        });
      },
      release: (id) => this.write(() => this.stmt('DELETE FROM qm_locks WHERE id = ?').run(id).changes > 0),
      forceUnlock: (id) =>
        this.write(() => {
          const row = this.one('SELECT * FROM qm_locks WHERE id = ?', id) as LockRow | undefined;
          if (row) this.stmt('DELETE FROM qm_locks WHERE id = ?').run(id);
          return row && this.rows.toLock(row);
        }),
      list: () => this.read(() => (this.all('SELECT * FROM qm_locks ORDER BY name') as LockRow[]).map(this.rows.toLock)),
    };
    this.meta = {
      get: (key) =>
        this.read(() => {
          const row = this.one('SELECT value FROM qm_meta WHERE key = ?', key) as { value: string } | undefined;
          return row && parseJsonColumn(row.value, this.location, 'qm_meta', `key ${JSON.stringify(key)}`, 'value');
        }),
      set: (key, value) =>
        this.write(() => {
          this.stmt(
            'INSERT INTO qm_meta (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
          ).run(key, toJson(value), this.now().toISOString());
        }),
      delete: (key) => this.write(() => this.stmt('DELETE FROM qm_meta WHERE key = ?').run(key).changes > 0),
    };
    this.usage = {
      record: async (samples) => {
        const rows = usageColumns(samples);
        if (rows.length > 0) await this.write(() => this.recordUsage(rows));
      },
      list: async (q) => this.read(() => this.listUsage(q ?? {})),
      latest: async (q = {}) =>
        this.read(() => {
          const where: string[] = [];
          const params: string[] = [];
          for (const [column, value] of [['agent', q.agent], ['pool', q.pool]] as const) {
            if (value === undefined) continue;
            where.push(`${column} = ?`);
            params.push(value);
          }
          const row = this.one(`SELECT max(at) AS at FROM qm_usage ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`, ...params) as { at: number | null };
          return row.at === null ? undefined : new Date(row.at).toISOString();
        }),
      prune: async (before) => {
        const at = Date.parse(normalizeTime(before, 'prune before'));
        return this.write(() => this.stmt('DELETE FROM qm_usage WHERE at < ?').run(at).changes);
      },
    };
  }

  async schemaVersion(): Promise<number> {
    return this.read(() => readSchemaVersion(this.db));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // --- plumbing -------------------------------------------------------------------------------

  /** A decision's JSON, or a StoreFailure naming its row. */
  private json(text: string, table: string, planId: string, instance: string): unknown {
    return parseJsonColumn(text, this.location, table, `plan ${JSON.stringify(planId)}, instance ${JSON.stringify(instance)}`, 'decision');
  }

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private one(sql: string, ...params: unknown[]): unknown {
    return this.stmt(sql).get(...params);
  }

  private all(sql: string, ...params: unknown[]): unknown[] {
    return this.stmt(sql).all(...params);
  }

  /** A read in one deferred transaction: a consistent snapshot under WAL. */
  private async read<T>(fn: () => T): Promise<T> {
    try {
      return this.db.transaction(fn).deferred();
    } catch (err) {
      throw mapSqliteError(err, this.location, this.busyTimeoutMs);
    }
  }

  /** A write in one BEGIN IMMEDIATE transaction; any throw rolls it back. */
  private async write<T>(fn: () => T): Promise<T> {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      throw mapSqliteError(err, this.location, this.busyTimeoutMs);
    }
  }

  // --- cluster --------------------------------------------------------------------------------

  private getCluster(cluster: string): ClusterState {
    const row = this.one('SELECT revision FROM qm_clusters WHERE name = ?', cluster) as { revision: number } | undefined;
    const docs = <T>(table: 'qm_nodes' | 'qm_instances') =>
      (this.all(`SELECT name, doc FROM ${table} WHERE cluster = ? ORDER BY name`, cluster) as { name: string; doc: string }[]).map((r) =>
        clusterDoc<T>(parseJsonColumn(r.doc, this.location, table, `cluster ${JSON.stringify(cluster)}, name ${JSON.stringify(r.name)}`, 'doc'), this.location, table, cluster, r.name),
      );
    return { name: cluster, revision: row?.revision ?? 0, nodes: docs<ObservedNode>('qm_nodes'), instances: docs<ObservedInstance>('qm_instances') };
  }

  private writeCluster(cluster: string, changes: readonly ClusterChange[], opts: ClusterWriteOptions = {}): number {
    const row = this.one('SELECT revision FROM qm_clusters WHERE name = ?', cluster) as { revision: number } | undefined;
    const current = row?.revision ?? 0;
    if (opts.expectRevision !== undefined && opts.expectRevision !== current) throw staleRevision(cluster, opts.expectRevision, current);
    if (changes.length === 0) return current;
    const revision = current + 1;
    this.stmt(
      'INSERT INTO qm_clusters (name, revision, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET revision = excluded.revision, updated_at = excluded.updated_at',
    ).run(cluster, revision, this.now().toISOString());
    for (const c of changes) {
      switch (c.op) {
        case 'putNode':
          this.stmt(
            'INSERT INTO qm_nodes (cluster, name, pool, doc) VALUES (?, ?, ?, ?) ON CONFLICT (cluster, name) DO UPDATE SET pool = excluded.pool, doc = excluded.doc',
          ).run(cluster, c.node.name, c.node.pool, toJson(c.node));
          break;
        case 'deleteNode':
          this.stmt('DELETE FROM qm_nodes WHERE cluster = ? AND name = ?').run(cluster, c.name);
          break;
        case 'putInstance':
          this.stmt(
            'INSERT INTO qm_instances (cluster, name, agent, node, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (cluster, name) DO UPDATE SET agent = excluded.agent, node = excluded.node, doc = excluded.doc',
          ).run(cluster, c.instance.name, c.instance.agent, c.instance.node, toJson(c.instance));
          break;
        case 'deleteInstance':
          this.stmt('DELETE FROM qm_instances WHERE cluster = ? AND name = ?').run(cluster, c.name);
          break;
      }
    }
    // Check only what this write touched (the deferred foreign key is the backstop), so a write
    // costs the same with 10 or 10,000 instances, and the message names the instances.
    const orphans: { name: string; node: string }[] = [];
    for (const c of changes) {
      const sql =
        c.op === 'putInstance'
          ? 'SELECT i.name, i.node FROM qm_instances i WHERE i.cluster = ? AND i.name = ? AND NOT EXISTS (SELECT 1 FROM qm_nodes n WHERE n.cluster = i.cluster AND n.name = i.node)'
          : c.op === 'deleteNode'
            ? 'SELECT i.name, i.node FROM qm_instances i WHERE i.cluster = ? AND i.node = ? AND NOT EXISTS (SELECT 1 FROM qm_nodes n WHERE n.cluster = i.cluster AND n.name = i.node) LIMIT 5'
            : undefined;
      if (sql !== undefined) orphans.push(...(this.all(sql, cluster, changeName(c)) as { name: string; node: string }[]));
    }
    if (orphans.length > 0) throw orphanedInstances(cluster, orphans);
    return revision;
  }

  // --- scaling history ------------------------------------------------------------------------

  private appendScaling(e: ScalingRecord): void {
    checkScalingCounts(e);
    this.stmt(
      'INSERT INTO qm_scaling_events (target_kind, target_name, at, from_count, to_count, plan_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(e.target.kind, e.target.name, normalizeTime(e.at, 'a scaling event time'), e.from, e.to, e.planId ?? null, e.reason ?? null);
  }

  private listScaling(q: ScalingQuery): ScalingRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.target) {
      where.push('target_kind = ? AND target_name = ?');
      params.push(q.target.kind, q.target.name);
    }
    if (q.since !== undefined) {
      where.push('at >= ?');
      params.push(normalizeTime(q.since, 'since'));
    }
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    if (q.limit === undefined) {
      return (this.all(`SELECT * FROM qm_scaling_events ${filter} ORDER BY at, seq`, ...params) as ScalingRow[]).map(this.rows.toScaling);
    }
    checkCount(q.limit, 'the number of scaling events');
    const rows = this.all(`SELECT * FROM qm_scaling_events ${filter} ORDER BY at DESC, seq DESC LIMIT ?`, ...params, q.limit) as ScalingRow[];
    return rows.reverse().map(this.rows.toScaling);
  }

  // --- usage ----------------------------------------------------------------------------------

  private recordUsage(rows: ReturnType<typeof usageColumns>): void {
    const insert = this.stmt(
      'INSERT INTO qm_usage (instance, at, agent, pool, node, cpu_millis, memory_bytes, gpu_millis, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (at, instance) DO UPDATE SET agent = excluded.agent, pool = excluded.pool, node = excluded.node, ' +
        'cpu_millis = excluded.cpu_millis, memory_bytes = excluded.memory_bytes, gpu_millis = excluded.gpu_millis, extra = excluded.extra',
    );
    for (const r of rows) insert.run(r.instance, r.at, r.agent, r.pool, r.node, r.cpu, r.memory, r.gpu, r.extra);
  }

  private listUsage(q: UsageQuery): UsageSample[] {
    const b = usageBounds(q);
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => (where.push(sql), params.push(v));
    if (b.agent !== undefined) add('agent = ?', b.agent);
    if (b.pool !== undefined) add('pool = ?', b.pool);
    if (b.since !== undefined) add('at >= ?', b.since);
    if (b.until !== undefined) add('at < ?', b.until);
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const rows = this.all(`SELECT * FROM qm_usage ${filter} ORDER BY at, instance`, ...params) as UsageRow[];
    return rows.map((r) => usageSample(r, this.location));
  }

  // --- decisions and audit --------------------------------------------------------------------

  private recordDecisions(planId: string, decisions: Readonly<Record<string, unknown>>): void {
    this.stmt('DELETE FROM qm_decision_plans WHERE plan_id = ?').run(planId);
    const seq = this.stmt('INSERT INTO qm_decision_plans (plan_id, recorded_at) VALUES (?, ?)').run(planId, this.now().toISOString()).lastInsertRowid;
    const insert = this.stmt('INSERT INTO qm_decisions (plan_seq, instance, decision) VALUES (?, ?, ?)');
    // Skip what JSON cannot hold, as JSON.stringify (and so the PostgreSQL backend) does.
    for (const [instance, decision] of Object.entries(decisions)) if (decision !== undefined) insert.run(seq, instance, toJson(decision));
  }

  private latestDecision(instance: string): DecisionRecord | undefined {
    const row = this.one(
      'SELECT p.plan_id, p.recorded_at, d.decision FROM qm_decisions d JOIN qm_decision_plans p ON p.seq = d.plan_seq WHERE d.instance = ? ORDER BY d.plan_seq DESC LIMIT 1',
      instance,
    ) as { plan_id: string; recorded_at: string; decision: string } | undefined;
    return row && { planId: row.plan_id, instance, recordedAt: row.recorded_at, decision: this.json(row.decision, 'qm_decisions', row.plan_id, instance) };
  }

  /** Returns the record's seq. */
  private recordAudit(e: AppliedPlanRecord): number {
    checkStatus(e.status);
    return Number(
      this.stmt('INSERT INTO qm_applied_plans (plan_id, applied_at, actor, status, plan, results, lock_id) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        e.planId,
        normalizeTime(e.appliedAt, 'appliedAt'),
        e.actor,
        e.status,
        toJson(e.plan),
        toJson(e.results),
        e.lockId ?? null,
      ).lastInsertRowid,
    );
  }

  // --- locks ----------------------------------------------------------------------------------

  private acquire(name: string, holder: string, ttlSeconds: number, info: LockInfo): AcquireResult {
    checkTtl(ttlSeconds);
    const now = this.now();
    const row = this.one('SELECT * FROM qm_locks WHERE name = ?', name) as LockRow | undefined;
    const current = row && this.rows.toLock(row);
    if (current && !isExpired(current, now)) return { ok: false, heldBy: current };
    const lock: Lock = { id: newLockId(), name, holder, info, acquiredAt: now.toISOString(), expiresAt: addSeconds(now, ttlSeconds) };
    this.stmt(
      'INSERT INTO qm_locks (name, id, holder, info, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (name) DO UPDATE SET id = excluded.id, holder = excluded.holder, info = excluded.info, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at',
    ).run(name, lock.id, holder, toJson(info), lock.acquiredAt, lock.expiresAt);
    return current ? { ok: true, lock, replaced: current } : { ok: true, lock };
  }
}
