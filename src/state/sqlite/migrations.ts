/**
 * SQLite schema. Times are ISO 8601 UTC text (normalised, so they compare as text); JSON is text.
 * Nodes and instances keep the whole object as JSON plus the columns we look things up by.
 */
import type { Migration } from '../migrate.js';

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    up: `
      CREATE TABLE qm_clusters (
        name TEXT PRIMARY KEY,
        revision INTEGER NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE qm_nodes (
        cluster TEXT NOT NULL REFERENCES qm_clusters(name) ON DELETE CASCADE,
        name TEXT NOT NULL,
        pool TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (cluster, name)
      );
      CREATE TABLE qm_instances (
        cluster TEXT NOT NULL REFERENCES qm_clusters(name) ON DELETE CASCADE,
        name TEXT NOT NULL,
        agent TEXT NOT NULL,
        node TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (cluster, name),
        FOREIGN KEY (cluster, node) REFERENCES qm_nodes(cluster, name) DEFERRABLE INITIALLY DEFERRED
      );
      CREATE INDEX qm_instances_by_node ON qm_instances(cluster, node);

      CREATE TABLE qm_scaling_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        target_kind TEXT NOT NULL,
        target_name TEXT NOT NULL,
        at TEXT NOT NULL,
        from_count INTEGER NOT NULL,
        to_count INTEGER NOT NULL,
        plan_id TEXT,
        reason TEXT
      );
      CREATE INDEX qm_scaling_events_by_target ON qm_scaling_events(target_kind, target_name, at);
      CREATE INDEX qm_scaling_events_by_time ON qm_scaling_events(at);

      CREATE TABLE qm_decision_plans (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        plan_id TEXT NOT NULL UNIQUE,
        recorded_at TEXT NOT NULL
      );
      CREATE TABLE qm_decisions (
        plan_seq INTEGER NOT NULL REFERENCES qm_decision_plans(seq) ON DELETE CASCADE,
        instance TEXT NOT NULL,
        decision TEXT NOT NULL,
        PRIMARY KEY (plan_seq, instance)
      );
      CREATE INDEX qm_decisions_by_instance ON qm_decisions(instance, plan_seq);

      CREATE TABLE qm_applied_plans (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        plan_id TEXT NOT NULL,
        applied_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('applied', 'failed', 'partial')),
        plan TEXT NOT NULL,
        results TEXT NOT NULL
      );
      CREATE INDEX qm_applied_plans_by_plan ON qm_applied_plans(plan_id, seq);

      CREATE TABLE qm_locks (
        name TEXT PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        holder TEXT NOT NULL,
        info TEXT NOT NULL,
        acquired_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );

      CREATE TABLE qm_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'audit-running',
    // An apply is recorded when it starts ('running') and updated as it goes, so a crash leaves a
    // trace; lock_id ties the record to the lock, to tell a running apply from an interrupted one.
    // SQLite cannot change a CHECK constraint in place: the table is rebuilt, its rows kept.
    up: `
      CREATE TABLE qm_applied_plans_v2 (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        plan_id TEXT NOT NULL,
        applied_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('applied', 'failed', 'partial', 'running')),
        plan TEXT NOT NULL,
        results TEXT NOT NULL,
        lock_id TEXT
      );
      INSERT INTO qm_applied_plans_v2 (seq, plan_id, applied_at, actor, status, plan, results)
        SELECT seq, plan_id, applied_at, actor, status, plan, results FROM qm_applied_plans;
      DROP TABLE qm_applied_plans;
      ALTER TABLE qm_applied_plans_v2 RENAME TO qm_applied_plans;
      CREATE INDEX qm_applied_plans_by_plan ON qm_applied_plans(plan_id, seq);
    `,
  },
  {
    version: 3,
    name: 'usage',
    // Usage history (issue #15): one row per instance per minute, written by qm serve, read by
    // qm recommend and the utilization metric source. It is by far the biggest table (an instance
    // adds 1,440 rows a day), so time is an integer (epoch milliseconds, not ISO text) and the
    // table is clustered on its key (WITHOUT ROWID): each row holds its names once, and the
    // by-agent, by-pool and by-time indexes (list and prune) carry only their columns plus the key.
    up: `
      CREATE TABLE qm_usage (
        instance TEXT NOT NULL,
        at INTEGER NOT NULL,
        agent TEXT NOT NULL,
        pool TEXT NOT NULL,
        node TEXT NOT NULL,
        cpu_millis REAL,
        memory_bytes REAL,
        gpu_millis REAL,
        extra TEXT,
        PRIMARY KEY (instance, at)
      ) WITHOUT ROWID;
      CREATE INDEX qm_usage_by_agent ON qm_usage(agent, at);
      CREATE INDEX qm_usage_by_pool ON qm_usage(pool, at);
      CREATE INDEX qm_usage_by_time ON qm_usage(at);
    `,
  },
  {
    version: 4,
    name: 'usage-time-first',
    // qm_usage keyed (at, instance), not (instance, at). qm serve writes one row per running
    // instance each minute, all with the same `at`: keyed instance first, a minute of 10,000
    // instances lands on 10,000 different leaf pages of the clustered table, so each minute's
    // insert costs more as history grows (measured, better-sqlite3, WAL: 157 ms CPU a minute over
    // the first 50 minutes, 368 ms by minute 200 at 2M rows, the WAL growing ~10,000 pages a
    // minute; 8 days is 115M rows). Keyed time first, a minute appends to the end of the tree:
    // flat at ~57 ms a minute, the file ~17 % smaller. The key starts with `at`, so prune and
    // time ranges use it and the by-time index goes. SQLite cannot change a primary key in place:
    // the table is rebuilt, its rows copied in key order (appends, not scattered inserts).
    up: `
      CREATE TABLE qm_usage_v4 (
        instance TEXT NOT NULL,
        at INTEGER NOT NULL,
        agent TEXT NOT NULL,
        pool TEXT NOT NULL,
        node TEXT NOT NULL,
        cpu_millis REAL,
        memory_bytes REAL,
        gpu_millis REAL,
        extra TEXT,
        PRIMARY KEY (at, instance)
      ) WITHOUT ROWID;
      INSERT INTO qm_usage_v4 (instance, at, agent, pool, node, cpu_millis, memory_bytes, gpu_millis, extra)
        SELECT instance, at, agent, pool, node, cpu_millis, memory_bytes, gpu_millis, extra FROM qm_usage ORDER BY at, instance;
      DROP TABLE qm_usage;
      ALTER TABLE qm_usage_v4 RENAME TO qm_usage;
      CREATE INDEX qm_usage_by_agent ON qm_usage(agent, at);
      CREATE INDEX qm_usage_by_pool ON qm_usage(pool, at);
    `,
  },
];
