/** The placement algorithms by SchedulingProfile.algorithm name. */
import type { PlacementAlgorithm } from './algorithm.js';
import { bestFitDecreasing } from './best-fit-decreasing.js';
import { consistentHash } from './consistent-hash.js';
import { greedy } from './greedy.js';
import { roundRobin } from './round-robin.js';
import { spread } from './spread.js';

export type { AlgorithmEnv, PlacementAlgorithm } from './algorithm.js';

export const ALGORITHM_REGISTRY: ReadonlyMap<string, PlacementAlgorithm> = new Map(
  [greedy, bestFitDecreasing, spread, roundRobin, consistentHash].map((a) => [a.name, a]),
);
