/** Forecasting: series in, forecast out. Pure — no I/O, no clock. */
export { forecast, prepare, isoTime, tentativeSeasons } from './forecast.js';
export { holdoutForecast, MIN_HOLDOUT_HISTORY } from './holdout.js';
export { ForecastInputError, SAFE_RECOMMENDATION } from './errors.js';
export { parseMetricsCsv, selectSeries } from './csv.js';
export type { CsvParse, CsvProblem } from './csv.js';
export { detectSeasonality, DAY, WEEK } from './seasonality.js';
export type { Season } from './seasonality.js';
export { preprocess } from './preprocess.js';
export { backtestModel, backtestOrigins, maseScale, naiveErrorSums, scaledError, scoreErrors, wapeOf } from './backtest.js';
export { candidateModels } from './models/index.js';
export type * from './types.js';
export { forecastJson, renderForecastText, sparkline } from './render.js';
export { formatProblem, parseTimestamp } from './csv.js';
