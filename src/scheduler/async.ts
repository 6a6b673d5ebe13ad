/**
 * scheduleAsync: the algorithms that need a solver (optimal, through the WebAssembly `highs`
 * package). Everything else is the same pipeline as schedule().
 */
import type { SchedulingProfileSpec } from '../model/documents.js';
import { buildMilp, assignedAlgorithm, MILP_VARIABLE_LIMIT } from './algorithms/optimal.js';
import { buildSnapshot } from './framework/build.js';
import { Evaluator } from './framework/evaluator.js';
import type { CycleContext } from './framework/plugin.js';
import { QuotaTracker } from './quota/quota-tracker.js';
import { FILTERS, SCORES } from './registry.js';
import { scheduleWith } from './scheduler.js';
import { schedule } from './schedule.js';
import type { ScheduleInput, ScheduleResult } from './types.js';
import { gpuWorkload } from './workload-classes.js';
import { ALGORITHM_REGISTRY } from './algorithms/index.js';
import { evolve } from './algorithms/genetic.js';

type Loader = () => Promise<{ solve(lp: string, options?: Record<string, unknown>): { Status: string; Columns: Record<string, unknown> } }>;

/** The highs loader: its ESM build exports it as default; TypeScript sees the CommonJS typing. */
async function loadHighs() {
  const mod = (await import('highs')) as unknown as { default: Loader | { default: Loader } };
  const loader = typeof mod.default === 'function' ? mod.default : mod.default.default;
  return loader();
}

/** genetic: best-fit-decreasing under evolved score weights (see algorithms/genetic.ts). */
function geneticSchedule(input: ScheduleInput): ScheduleResult {
  const bfd = ALGORITHM_REGISTRY.get('best-fit-decreasing')!;
  const seed = input.seed ?? input.policy.profile.spec.seed;
  const { result, weights, plans } = evolve(input, seed, (scoreWeights) =>
    scheduleWith({ ...input, policy: { ...input.policy, profile: { ...input.policy.profile, spec: { ...input.policy.profile.spec, scoreWeights: scoreWeights as SchedulingProfileSpec['scoreWeights'] } } } }, bfd),
  );
  const shown = Object.entries(weights).map(([k, v]) => `${k} ${v}`).join(', ');
  return { ...result, algorithm: 'genetic', warnings: [...result.warnings, `genetic: best of ${plans} plans used score weights {${shown}}`] };
}

/** Like schedule(), and runs `optimal` through the MILP solver when the problem is small enough. */
export async function scheduleAsync(input: ScheduleInput): Promise<ScheduleResult> {
  const profile = input.policy.profile.spec;
  if (profile.algorithm === 'genetic') return geneticSchedule(input);
  if (profile.algorithm !== 'optimal') return schedule(input);
  const snap = buildSnapshot(input.policy, input.nodes, input.instances);
  const quotas = new QuotaTracker(input.policy.quotas, snap.cluster.res, snap.cluster.pools);
  const ctx: CycleContext = { cluster: snap.cluster, quotas, cycle: new Map(), runCache: new Map(), gpuWorkload: gpuWorkload(snap.pending.some((p) => p.gpuMillis > 0) ? snap.pending : snap.pods, snap.cluster.nodes) };
  const ev = new Evaluator(ctx, FILTERS, SCORES, profile.scoreWeights);
  const model = buildMilp(ev, snap.pending);
  const fallback = ALGORITHM_REGISTRY.get('best-fit-decreasing')!;
  if (model.variables > MILP_VARIABLE_LIMIT) {
    return scheduleWith(input, fallback, [
      `optimal: ${snap.pending.length} pending instances × their feasible nodes make ${model.variables} assignment variables, above the limit of ${MILP_VARIABLE_LIMIT}; best-fit-decreasing was used`,
    ]);
  }
  const highs = await loadHighs();
  const solution = highs.solve(model.lp, { time_limit: Math.max(0.1, profile.timeBudget), output_flag: false });
  const status = solution.Status;
  if (status !== 'Optimal' && status !== 'Time limit reached') {
    return scheduleWith(input, fallback, [`optimal: the solver ended with status '${status}'; best-fit-decreasing was used`]);
  }
  const assignment = new Map<string, string>();
  for (const [name, [pod, node]] of model.vars) {
    const col = solution.Columns[name] as { Primal?: number } | undefined;
    if ((col?.Primal ?? 0) > 0.5) assignment.set(pod, snap.cluster.nodes[node]!.name);
  }
  const warnings = status === 'Optimal' ? [] : [`optimal: the solver hit the time budget of ${profile.timeBudget}s; its best solution so far was used`];
  return scheduleWith(input, assignedAlgorithm(assignment), warnings);
}
