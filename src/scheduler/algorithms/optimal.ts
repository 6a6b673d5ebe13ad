/**
 * optimal: a mixed-integer program solved by HiGHS (the `highs` package) for small problems.
 * Maximise the instances placed (weighted by priority), then minimise the nodes newly used:
 *
 *   max Σ w_p·x_pn − Σ y_n   s.t.  Σ_n x_pn ≤ 1,   Σ_p r_pk·x_pn ≤ free_nk,   x_pn ≤ y_n
 *
 * over each instance's statically feasible nodes. Resources are aggregate (GPU devices, affinity,
 * spread and quotas are checked when binding, where an instance whose solver node no longer passes
 * every filter goes to its best node instead).
 */
import type { Evaluator } from '../framework/evaluator.js';
import type { Pod } from '../framework/workload.js';
import type { PlacementAlgorithm } from './algorithm.js';
import { decreasingOrder } from './ordering.js';

/** Largest model (x variables) the optimal algorithm hands to the solver. */
export const MILP_VARIABLE_LIMIT = 5000;

export interface MilpModel {
  lp: string;
  /** Variable name → [pod name, node index]. */
  vars: Map<string, [string, number]>;
  variables: number;
}

/** Builds the LP-format model for the pending instances, or reports its size when it is too big. */
export function buildMilp(ev: Evaluator, pending: Pod[]): MilpModel {
  const nodes = ev.nodes;
  const res = ev.ctx.cluster.res;
  const vars = new Map<string, [string, number]>();
  const perNode = new Map<number, { name: string; pod: Pod }[]>();
  const objective: string[] = [];
  const rows: string[] = [];
  const binaries: string[] = [];
  pending.forEach((pod, pi) => {
    const st = ev.statics(pod);
    const own: string[] = [];
    for (const n of st.feasible) {
      const node = nodes[n]!;
      let fitsEmpty = true;
      for (let k = 0; k < pod.req.length; k++) if (pod.req[k]! > node.overcommitted[k]! - node.allocated[k]!) fitsEmpty = false;
      if (!fitsEmpty) continue;
      const name = `x_${pi}_${n}`;
      vars.set(name, [pod.name, n]);
      own.push(name);
      binaries.push(name);
      const list = perNode.get(n) ?? [];
      list.push({ name, pod });
      perNode.set(n, list);
      objective.push(`${(nodes.length + 1) * (1 + pod.agent.priority / 1000)} ${name}`);
    }
    if (own.length > 1) rows.push(` one_${pi}: ${own.join(' + ')} <= 1`);
  });
  for (const [n, list] of [...perNode.entries()].sort((a, b) => a[0] - b[0])) {
    const node = nodes[n]!;
    for (let k = 0; k < res.size; k++) {
      const terms = list.filter((e) => e.pod.req[k]! > 0).map((e) => `${e.pod.req[k]} ${e.name}`);
      if (terms.length > 0) rows.push(` cap_${n}_${k}: ${terms.join(' + ')} <= ${node.overcommitted[k]! - node.allocated[k]!}`);
    }
    if (node.pods.length === 0) {
      const y = `y_${n}`;
      binaries.push(y);
      objective.push(`- 1 ${y}`);
      for (const e of list) rows.push(` use_${e.name}: ${e.name} - ${y} <= 0`);
    }
  }
  const lp = ['Maximize', ` obj: ${objective.join(' + ').replace(/\+ -/g, '-') || '0 x'}`, 'Subject To', ...(rows.length > 0 ? rows : [' none: 0 x <= 1']), 'Binary', ` ${binaries.join(' ')}`, 'End'].join('\n');
  return { lp, vars, variables: vars.size };
}

/** A placement algorithm that follows a solver's assignment, falling back to the best node. */
export function assignedAlgorithm(assignment: Map<string, string>): PlacementAlgorithm {
  return {
    name: 'optimal',
    order: (pods, env) => decreasingOrder(pods, env.cluster),
    weights: (w) => ({ ...w, balance: 0, binpack: Math.max(1, w.binpack ?? 1) }),
    select: (ev, pod) => {
      const target = assignment.get(pod.name);
      const n = target === undefined ? undefined : ev.ctx.cluster.byName.get(target);
      if (n !== undefined && ev.statics(pod).position[n]! >= 0 && ev.dynamicStatus(pod, n).code === 'Success') return n;
      return target === undefined ? -1 : ev.best(pod);
    },
  };
}
