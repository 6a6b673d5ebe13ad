/** Metric sources (I/O): CSV files and Prometheus, for the autoscaler and `qm forecast`. */
export { fetchSeries } from './fetch.js';
export type { FetchSeriesOptions, SeriesRange } from './fetch.js';
export { collectMetrics, wantedMetrics, stepFor, MIN_LOOKBACK_SECONDS } from './collect.js';
export { instantQuery, rangeQuery } from './prometheus.js';
export type { PrometheusConfig, FetchOptions } from './prometheus.js';
export { MetricFetchError, redactUrl, resolveEnv } from './errors.js';
