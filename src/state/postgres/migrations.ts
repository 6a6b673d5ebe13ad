/**
 * PostgreSQL schema, the same tables as SQLite's. Times are timestamptz; JSON is `json`, not
 * `jsonb`, so plans and decisions come back byte for byte with their key order (the plan JSON is
 * a deterministic public contract). Counters are bigint identities.
 */
import type { Migration } from '../migrate.js';

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    up: `
      CREATE TABLE qm_clusters (
        name text PRIMARY KEY,
        revision bigint NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE TABLE qm_nodes (
        cluster text NOT NULL REFERENCES qm_clusters(name) ON DELETE CASCADE,
        name text NOT NULL,
        pool text NOT NULL,
        doc json NOT NULL,
        PRIMARY KEY (cluster, name)
      );
      CREATE TABLE qm_instances (
        cluster text NOT NULL REFERENCES qm_clusters(name) ON DELETE CASCADE,
        name text NOT NULL,
        agent text NOT NULL,
        node text NOT NULL,
        doc json NOT NULL,
        PRIMARY KEY (cluster, name),
        FOREIGN KEY (cluster, node) REFERENCES qm_nodes(cluster, name) DEFERRABLE INITIALLY DEFERRED
      );
      CREATE INDEX qm_instances_by_node ON qm_instances(cluster, node);

      CREATE TABLE qm_scaling_events (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        target_kind text NOT NULL,
        target_name text NOT NULL,
        at timestamptz NOT NULL,
        from_count integer NOT NULL,
        to_count integer NOT NULL,
        plan_id text,
        reason text
      );
      CREATE INDEX qm_scaling_events_by_target ON qm_scaling_events(target_kind, target_name, at);
      CREATE INDEX qm_scaling_events_by_time ON qm_scaling_events(at);

      CREATE TABLE qm_decision_plans (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        plan_id text NOT NULL UNIQUE,
        recorded_at timestamptz NOT NULL
      );
      CREATE TABLE qm_decisions (
        plan_seq bigint NOT NULL REFERENCES qm_decision_plans(seq) ON DELETE CASCADE,
        instance text NOT NULL,
        decision json NOT NULL,
        PRIMARY KEY (plan_seq, instance)
      );
      CREATE INDEX qm_decisions_by_instance ON qm_decisions(instance, plan_seq);

      CREATE TABLE qm_applied_plans (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        plan_id text NOT NULL,
        applied_at timestamptz NOT NULL,
        actor text NOT NULL,
        status text NOT NULL CHECK (status IN ('applied', 'failed', 'partial')),
        plan json NOT NULL,
        results json NOT NULL
      );
      CREATE INDEX qm_applied_plans_by_plan ON qm_applied_plans(plan_id, seq);

      CREATE TABLE qm_locks (
        name text PRIMARY KEY,
        id text NOT NULL UNIQUE,
        holder text NOT NULL,
        info json NOT NULL,
        acquired_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      );

      CREATE TABLE qm_meta (
        key text PRIMARY KEY,
        value json NOT NULL,
        updated_at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'audit-running',
    // An apply is recorded when it starts ('running') and updated as it goes, so a crash leaves a
    // trace; lock_id ties the record to the lock, to tell a running apply from an interrupted one.
    up: `
      ALTER TABLE qm_applied_plans DROP CONSTRAINT IF EXISTS qm_applied_plans_status_check;
      ALTER TABLE qm_applied_plans ADD CONSTRAINT qm_applied_plans_status_check CHECK (status IN ('applied', 'failed', 'partial', 'running'));
      ALTER TABLE qm_applied_plans ADD COLUMN lock_id text;
    `,
  },
  {
    version: 3,
    name: 'usage',
    // Usage history (issue #15): one row per instance per minute, written by qm serve, read by
    // qm recommend and the utilization metric source; the biggest table by far (an instance adds
    // 1,440 rows a day). The resources percentiles are taken of are float8 columns; others are
    // in extra (json, NULL when none).
    up: `
      CREATE TABLE qm_usage (
        instance text NOT NULL,
        at timestamptz NOT NULL,
        agent text NOT NULL,
        pool text NOT NULL,
        node text NOT NULL,
        cpu_millis double precision,
        memory_bytes double precision,
        gpu_millis double precision,
        extra json,
        PRIMARY KEY (instance, at)
      );
      CREATE INDEX qm_usage_by_agent ON qm_usage(agent, at);
      CREATE INDEX qm_usage_by_pool ON qm_usage(pool, at);
      CREATE INDEX qm_usage_by_time ON qm_usage(at);
    `,
  },
  {
    version: 4,
    name: 'usage-time-first',
    // qm_usage keyed (at, instance), not (instance, at): qm serve writes one row per running
    // instance each minute, all with the same `at`, so keyed instance first a minute of 10,000
    // instances touches 10,000 leaf pages of the key's B-tree and costs more as history grows
    // (measured on SQLite: 157 ms CPU a minute over the first 50 minutes, 368 ms by minute 200
    // at 2M rows; time first stays flat at ~57 ms, see the SQLite migration). Time first, a
    // minute appends to the right edge of the index. The key starts with `at`, so prune and time
    // ranges use it and the by-time index goes. qm_usage_pkey is the name PostgreSQL gave the
    // schema-3 key (PRIMARY KEY in CREATE TABLE); rows stay where they are, the index is rebuilt.
    up: `
      ALTER TABLE qm_usage DROP CONSTRAINT qm_usage_pkey;
      ALTER TABLE qm_usage ADD CONSTRAINT qm_usage_pkey PRIMARY KEY (at, instance);
      DROP INDEX qm_usage_by_time;
    `,
  },
];
