/** The autoscaler: recommenders (utilisation, metric, trigger, schedule, predictive) and behaviour, pure. */
export { autoscale, currentReplicas } from './autoscale.js';
export { decide } from './decide.js';
export type * from './types.js';
export { metricKey, metricLabel, STALE_AFTER_SECONDS } from './types.js';
export { cleanSeries, medianStep } from './series.js';
export { fallbackForecast } from './fallback-forecast.js';
export { windowAt, boundsAt, disruptionBlocked } from './schedule.js';
export { anomalyBudgetWarning, anomalyCheck, anomalyOf, anomalyState, checkMetric, sortAnomalies, DEFAULT_ANOMALY_CHECK, MAX_ANOMALY_CHECKS } from './anomaly.js';
export type { AnomalyCheck, AnomalyState } from './anomaly.js';
