/** The placement engine: pure (documents, observed state, seed) → placements, blocked, evictions, moves. */
export { schedule } from './schedule.js';
export type * from './types.js';
export { REASON_CODES } from './types.js';
export { PLUGINS } from './registry.js';
export { ALGORITHM_REGISTRY } from './algorithms/index.js';
export { scheduleAsync } from './async.js';
