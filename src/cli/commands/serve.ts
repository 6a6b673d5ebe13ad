/**
 * `qm serve [DIR] [--interval 1m] [--mode report|fix] [--listen 127.0.0.1:9464] [--git-pull REMOTE/BRANCH]
 * [--lease 1m] [--state LOC]`: the reconciler as a service (SPEC §10, docs/serve.md). Runs until
 * SIGTERM or SIGINT, then finishes the run in flight, releases its locks and exits 0; a second
 * signal interrupts the apply in flight (actions not started are cancelled).
 */
import { QmError } from '../../model/errors.js';
import { parseDuration } from '../../model/quantity.js';
import { defaultActor } from '../../engine/apply.js';
import { loadValidPolicy } from '../../engine/plan.js';
import type { ReconcileMode } from '../../engine/reconcile.js';
import { setTelemetry } from '../../engine/telemetry.js';
import { startHttp, parseListen } from '../../serve/http.js';
import { jsonLogger } from '../../serve/log.js';
import { ServeMetrics } from '../../serve/metrics.js';
import { Service } from '../../serve/service.js';
import type { CliIo } from '../io.js';
import { policyDir, withPolicyErrors } from './common.js';

export interface ServeArgs {
  dir?: string | undefined;
  interval?: string | undefined;
  mode?: string | undefined;
  listen?: string | undefined;
  gitPull?: string | undefined;
  lease?: string | undefined;
  /** How long recorded usage samples are kept (default 8d, qm recommend's default window); 0 keeps them forever. */
  usageRetention?: string | undefined;
  state?: string | undefined;
}

function seconds(value: string, flag: string, min: number): number {
  const d = parseDuration(value, flag);
  if (!d.ok) throw new QmError('usage', d.message, d.hint);
  if (d.value < min) throw new QmError('usage', `${flag} ${value} is too short: it must be at least ${min}s`);
  return d.value;
}

export async function serveCommand(args: ServeArgs, io: CliIo): Promise<number> {
  const mode = (args.mode ?? 'report') as ReconcileMode;
  if (mode !== 'report' && mode !== 'fix') throw new QmError('usage', `--mode ${args.mode} is not supported`, 'use report or fix');
  const interval = seconds(args.interval ?? '1m', '--interval', 1);
  // The lease outlives a missed renewal or two (renewed every lease/3); QM_SERVE_LEASE lets tests shorten it.
  const leaseFlag = args.lease ?? io.env.QM_SERVE_LEASE;
  const lease = leaseFlag !== undefined && leaseFlag !== '' ? seconds(leaseFlag, args.lease !== undefined ? '--lease' : 'QM_SERVE_LEASE', 3) : Math.max(interval, 15);
  const usageRetention = args.usageRetention === '0' ? 0 : seconds(args.usageRetention ?? '8d', '--usage-retention', 3600);
  const listen = parseListen(args.listen ?? '127.0.0.1:9464');
  let gitPull: { remote: string; branch: string } | undefined;
  if (args.gitPull !== undefined) {
    const m = /^([^/\s]+)\/(\S+)$/.exec(args.gitPull);
    if (!m) throw new QmError('usage', `--git-pull ${args.gitPull} is not REMOTE/BRANCH`, 'write e.g. --git-pull origin/main');
    gitPull = { remote: m[1]!, branch: m[2]! };
  }
  const dir = policyDir(io, args.dir);
  const log = jsonLogger(io.stderr);

  return withPolicyErrors(io, async () => {
    // An empty or invalid directory is refused before a state store is opened in it (as qm reconcile does).
    const policyCache = {};
    const loaded = await loadValidPolicy(dir, undefined, { command: 'serve', cache: policyCache });
    const { openStateStore, resolveStateLocation } = await import('../../state/index.js');
    const store = await openStateStore(resolveStateLocation(dir, args.state, io.env));
    const metrics = new ServeMetrics();
    setTelemetry(metrics);
    const holder = `${defaultActor()} (serve)`;
    const service = new Service({ dir, mode, intervalMs: interval * 1000, leaseSeconds: lease, gitPull, store, holder, log, metrics, loaded: gitPull ? undefined : loaded, policyCache, reusePlans: io.env.QM_SERVE_REUSE_PLAN !== 'off', usageRetentionSeconds: usageRetention });
    let http;
    try {
      http = await startHttp(listen, { metrics, readiness: () => service.readiness(), log });
    } catch (e) {
      await store.close();
      throw e;
    }
    log.log('info', 'qm serve started', { dir, mode, interval_seconds: interval, lease_seconds: lease, ...(io.env.QM_SERVE_REUSE_PLAN === 'off' ? { reuse_plan: 'off' } : {}), listen: http.address, state: store.location, holder, ...(gitPull ? { git_pull: `${gitPull.remote}/${gitPull.branch}` } : {}) });
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        log.log('info', 'stopping: finishing the run in flight', { signal: sig });
        service.stop();
      } else {
        log.log('warn', 'stopping now: the apply in flight starts no more actions', { signal: sig });
        service.abortApply.abort();
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await service.run();
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await http.close();
      await store.close().catch(() => undefined);
      setTelemetry(undefined);
    }
    log.log('info', 'qm serve stopped');
    return 0;
  });
}
