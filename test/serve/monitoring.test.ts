/**
 * deploy/monitoring: the Prometheus alerting rules pass `promtool check rules` and their unit tests
 * (`promtool test rules`); every query of the Grafana dashboard is valid PromQL and names only
 * metrics that a real `qm serve` run exports. promtool comes with Debian's prometheus package.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import type { TempRepo } from '../helpers/repo.js';
import { exampleFleetRepo, startServe, waitFor, which } from './harness.js';

const PROMTOOL = which('promtool');
const DIR = path.join(ROOT, 'deploy', 'monitoring');
// The SPEC §10 families, and the anomaly ones (issue #15: an alert and a panel for anomalies).
const SPEC_FAMILIES = ['qm_reconcile_total', 'qm_reconcile_duration_seconds', 'qm_drift_instances', 'qm_pool_nodes', 'qm_pool_utilization_ratio', 'qm_instances', 'qm_blocked_instances', 'qm_quota_used_ratio', 'qm_forecast', 'qm_driver_up', 'qm_leader', 'qm_anomaly', 'qm_anomaly_deviation'];

interface Dashboard {
  panels: { title: string; targets?: { expr: string }[] }[];
  templating: { list: { query?: string | { query: string } }[] };
}
interface Rules {
  groups: { rules: { alert: string; expr: string }[] }[];
}

/** Grafana's variables replaced by values Prometheus accepts, for promtool. */
const concrete = (expr: string) => expr.replace(/\$__rate_interval/g, '5m').replace(/\$\{?(\w+)\}?/g, '.*');
const qmNames = (expr: string) => [...expr.matchAll(/\bqm_[a-z0-9_]+/g)].map((m) => m[0]);

describe('deploy/monitoring', () => {
  let dashboard: Dashboard;
  let rules: Rules;
  let repo: TempRepo;
  let exposition = '';

  beforeAll(async () => {
    dashboard = JSON.parse(await readFile(path.join(DIR, 'grafana-dashboard.json'), 'utf8')) as Dashboard;
    rules = yaml.load(await readFile(path.join(DIR, 'alerts.yaml'), 'utf8')) as Rules;
    // A real run, in fix mode so that applies, actions and both driver calls have samples.
    repo = await exampleFleetRepo();
    const serve = await startServe(repo.dir, ['--interval', '1s', '--mode', 'fix']);
    try {
      await waitFor('a fixed fleet', async () => /^qm_reconcile_total\{result="ok"\} [1-9]/m.test((await serve.get('/metrics')).body), 90_000, serve.stderr);
      exposition = (await serve.get('/metrics')).body;
    } finally {
      expect(await serve.stop('SIGTERM')).toBe(0);
    }
  }, 120_000);

  afterAll(async () => {
    await repo?.cleanup();
  });

  /** Every name a query may use: families (# TYPE) and sample names (_bucket, _sum, _count of histograms). */
  const exported = () => {
    const names = new Set<string>();
    for (const m of exposition.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
      names.add(m[1]!);
      if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m[1]! + s);
    }
    for (const m of exposition.matchAll(/^([a-z_:][a-z0-9_:]*)[{ ]/gm)) names.add(m[1]!);
    return names;
  };

  it.skipIf(!PROMTOOL)('the alerting rules pass promtool check rules and promtool test rules', () => {
    const check = spawnSync(PROMTOOL!, ['check', 'rules', 'alerts.yaml'], { cwd: DIR, encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/SUCCESS: 7 rules found/);
    const unit = spawnSync(PROMTOOL!, ['test', 'rules', 'alerts.test.yaml'], { cwd: DIR, encoding: 'utf8' });
    expect(unit.status, unit.stdout + unit.stderr).toBe(0);
  });

  it('the alerts cover what the issue asks and use only exported metrics', () => {
    const alerts = rules.groups.flatMap((g) => g.rules);
    expect(alerts.map((r) => r.alert).sort()).toEqual(['QmBlockedInstances', 'QmDriftNotFixed', 'QmDriverDown', 'QmMetricAnomaly', 'QmNoLeader', 'QmQuotaNearLimit', 'QmReconcileFailing']);
    const names = exported();
    for (const r of alerts) for (const n of qmNames(r.expr)) expect(names.has(n), `${r.alert}: ${n} is not exported`).toBe(true);
  });

  it('every dashboard query names only metrics a real qm serve exports, and the SPEC families all have a panel', () => {
    const names = exported();
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    for (const v of dashboard.templating.list) if (v.query !== undefined) exprs.push({ panel: 'templating', expr: typeof v.query === 'string' ? v.query : v.query.query });
    expect(dashboard.panels.every((p) => (p.targets ?? []).length > 0)).toBe(true);
    const used = new Set<string>();
    for (const { panel, expr } of exprs) {
      for (const n of qmNames(expr)) {
        expect(names.has(n), `panel "${panel}": ${n} is not in the exposition`).toBe(true);
        used.add(n.replace(/_(bucket|sum|count)$/, ''));
      }
    }
    for (const f of SPEC_FAMILIES) expect(used.has(f), `no panel shows ${f}`).toBe(true);
  });

  it.skipIf(!PROMTOOL)('every dashboard query is valid PromQL (checked by promtool as recording rules)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'qm-dash-'));
    try {
      const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => concrete(t.expr)));
      const file = path.join(dir, 'dashboard-rules.yaml');
      await writeFile(file, yaml.dump({ groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:query${i}`, expr })) }] }));
      const r = spawnSync(PROMTOOL!, ['check', 'rules', file], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
