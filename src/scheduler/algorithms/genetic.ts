/**
 * genetic: evolves SchedulingProfile.scoreWeights for best-fit-decreasing. Each individual is a
 * weight vector; its fitness is the plan it produces, compared lexicographically: more instances
 * placed, then fewer nodes in use, then a higher mean placement score. Planning never reads the
 * clock, so timeBudget becomes a fixed number of plans (PLANS_PER_SECOND per second of budget);
 * the run is deterministic for a seed.
 */
import { mulberry32 } from '../random.js';
import type { ScheduleInput, ScheduleResult } from '../types.js';

export const PLANS_PER_SECOND = 4;
const KEYS = ['binpack', 'balance', 'fragmentation', 'affinity', 'spread', 'cost'] as const;
const POPULATION = 6;

type Weights = Record<string, number>;

export interface Fitness {
  placed: number;
  nodes: number;
  score: number;
}

export function fitness(r: ScheduleResult): Fitness {
  const all = [...r.placements];
  const nodes = new Set(all.map((p) => p.node)).size;
  const score = all.length > 0 ? all.reduce((s, p) => s + p.score, 0) / all.length : 0;
  return { placed: all.length + r.moves.length, nodes, score };
}

/** Positive when a is better. */
export function compareFitness(a: Fitness, b: Fitness): number {
  return a.placed - b.placed || b.nodes - a.nodes || a.score - b.score;
}

/** Runs the search; `plan` schedules the input with the given weights. */
export function evolve(input: ScheduleInput, seed: number, plan: (weights: Weights) => ScheduleResult): { result: ScheduleResult; weights: Weights; plans: number } {
  const rand = mulberry32(seed);
  const base: Weights = { ...input.policy.profile.spec.scoreWeights };
  const budget = Math.max(POPULATION, Math.round(input.policy.profile.spec.timeBudget * PLANS_PER_SECOND));
  const mutate = (w: Weights): Weights => {
    const out = { ...w };
    const k = KEYS[Math.floor(rand() * KEYS.length)]!;
    out[k] = Math.round(Math.max(0, (out[k] ?? 0) * (0.25 + rand() * 2) + (rand() < 0.3 ? rand() * 5 : 0)) * 100) / 100;
    return out;
  };
  const cross = (a: Weights, b: Weights): Weights => Object.fromEntries(Object.keys({ ...a, ...b }).map((k) => [k, rand() < 0.5 ? (a[k] ?? 0) : (b[k] ?? 0)]));
  let population: { weights: Weights; result: ScheduleResult; fit: Fitness }[] = [];
  let plans = 0;
  const evaluate = (weights: Weights) => {
    plans++;
    const result = plan(weights);
    return { weights, result, fit: fitness(result) };
  };
  population.push(evaluate(base));
  while (population.length < POPULATION && plans < budget) population.push(evaluate(mutate(base)));
  while (plans < budget) {
    population.sort((a, b) => compareFitness(b.fit, a.fit));
    population = population.slice(0, Math.ceil(POPULATION / 2));
    const parents = population.length;
    while (population.length < POPULATION && plans < budget) {
      const a = population[Math.floor(rand() * parents)]!;
      const b = population[Math.floor(rand() * parents)]!;
      population.push(evaluate(mutate(cross(a.weights, b.weights))));
    }
  }
  population.sort((a, b) => compareFitness(b.fit, a.fit));
  const best = population[0]!;
  return { result: best.result, weights: best.weights, plans };
}
