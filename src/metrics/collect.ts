/**
 * collectMetrics: every metric the ScalingPolicies reference, over the history each needs
 * (stabilization windows, triggers' `for`, the predictive lookback), up to the plan's clock — never
 * after it, so `--now` in the past replays history without seeing the future. A failing source
 * becomes an error entry (the autoscaler drops its recommendations with a warning), never a throw.
 */
import type { CsvParse } from '../forecast/csv.js';
import type { MetricRef, PolicySet } from '../model/documents.js';
import type { MetricData, MetricResult } from '../autoscaler/types.js';
import { metricKey } from '../autoscaler/types.js';
import type { PlanWarning } from '../model/plan.js';
import { MetricFetchError } from './errors.js';
import { fetchSeries } from './fetch.js';
import { anomalyCheck, otherMetrics } from '../autoscaler/anomaly.js';
import type { FetchSeriesOptions } from './fetch.js';

/** History every metric gets at least: enough to judge freshness and a stabilization window. */
export const MIN_LOOKBACK_SECONDS = 1800;

/**
 * History a metric the anomaly check reads gets at least. A shift is reported for up to an hour
 * (ANOMALY_LONGEST_RUN) while the backtest before it can choose and calibrate a model: sampled
 * every minute, 30 minutes of history (the floor above) reported a shift for its first 20 minutes,
 * 3 hours for 39, 6 hours for the whole hour (test/autoscaler/anomaly.test.ts).
 */
export const ANOMALY_FETCH_SECONDS = 6 * 3600;

interface Wanted {
  ref: MetricRef;
  lookback: number;
}

/** Each referenced metric once, with the longest history any use of it needs. */
export function wantedMetrics(policy: PolicySet): Wanted[] {
  const by = new Map<string, Wanted>();
  const want = (ref: MetricRef, lookback: number) => {
    const k = metricKey(ref);
    const w = by.get(k);
    if (!w || w.lookback < lookback) by.set(k, { ref, lookback: Math.max(lookback, MIN_LOOKBACK_SECONDS) });
  };
  // Utilisation sources are not fetched: their figures are measured from the fleet (utilization.ts).
  const real = new Set(policy.metricSources.filter((m) => m.spec.utilization).map((m) => m.metadata.name));
  for (const doc of policy.scalingPolicies) {
    const s = doc.spec;
    const windows = Math.max(s.behavior.scaleUp.stabilizationWindow, s.behavior.scaleDown.stabilizationWindow);
    for (const m of s.metrics) want(m.metric, windows + 900);
    for (const t of s.triggers) want(t.metric, windows + t.for + 900);
    if (s.predictive) want(s.predictive.metric, s.predictive.lookback);
    // The anomaly check forecasts each other metric from the history before its last samples: a
    // shift is reported for up to an hour (ANOMALY_LONGEST_RUN), so it needs more than that.
    if (anomalyCheck(doc).enabled) for (const ref of otherMetrics(doc)) want(ref, ANOMALY_FETCH_SECONDS);
  }
  return [...by.values()].filter((w) => !real.has(w.ref.source)).sort((a, b) => (metricKey(a.ref) < metricKey(b.ref) ? -1 : 1));
}

/** Range query step: one minute up to a day of history, five minutes beyond (Prometheus caps points per query). */
export function stepFor(lookback: number): number {
  return lookback <= 86400 ? 60 : 300;
}

/** Fetch every metric the policies reference, as of `now`. */
export async function collectMetrics(policy: PolicySet, dir: string, now: string, opts: FetchSeriesOptions = {}): Promise<{ data: MetricData; warnings: PlanWarning[] }> {
  const end = Math.floor(Date.parse(now) / 1000);
  const data: Record<string, MetricResult> = {};
  const warnings: PlanWarning[] = [];
  const files = opts.files ?? new Map<string, Promise<CsvParse>>();
  const down = new Map<string, string>();
  const wanted = wantedMetrics(policy);
  // Sources are independent: fetch them concurrently; queries to one source run in order, so a
  // server that is down costs its timeouts once, not once per query.
  const bySource = new Map<string, Wanted[]>();
  for (const w of wanted) bySource.set(w.ref.source, [...(bySource.get(w.ref.source) ?? []), w]);
  await Promise.all(
    [...bySource].map(async ([sourceName, list]) => {
      const source = policy.metricSources.find((m) => m.metadata.name === sourceName);
      for (const w of list) {
        const k = metricKey(w.ref);
        if (!source) {
          data[k] = { points: [], error: `MetricSource ${sourceName} does not exist` };
          continue;
        }
        const known = down.get(sourceName);
        if (known !== undefined) {
          data[k] = { points: [], error: known };
          continue;
        }
        try {
          const points = await fetchSeries(source, w.ref, { start: end - w.lookback, end, step: stepFor(w.lookback) }, { ...opts, dir, files });
          data[k] = { points };
        } catch (e) {
          const message = (e as Error).message;
          data[k] = { points: [], error: message };
          if (e instanceof MetricFetchError && (e.failure === 'unreachable' || e.failure === 'config')) down.set(sourceName, `not queried, because MetricSource ${sourceName} failed a moment ago: ${message}`);
        }
      }
    }),
  );
  const sorted: Record<string, MetricResult> = {};
  for (const k of Object.keys(data).sort()) sorted[k] = data[k]!;
  return { data: sorted, warnings };
}
