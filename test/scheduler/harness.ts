/** Builds the scheduler's internal snapshot from builders, for plugin-level tests. */
import type { ObservedInstance, ObservedNode } from '../../src/model/state.js';
import { buildSnapshot } from '../../src/scheduler/framework/build.js';
import { Evaluator } from '../../src/scheduler/framework/evaluator.js';
import type { CycleContext } from '../../src/scheduler/framework/plugin.js';
import type { Pod } from '../../src/scheduler/framework/workload.js';
import { QuotaTracker } from '../../src/scheduler/quota/quota-tracker.js';
import { FILTERS, SCORES } from '../../src/scheduler/registry.js';
import { gpuWorkload } from '../../src/scheduler/workload-classes.js';
import { makePolicy, type PolicyParts } from './builders.js';

export function harness(parts: PolicyParts, nodes: ObservedNode[], instances: ObservedInstance[] = []) {
  const policy = makePolicy(parts);
  const snap = buildSnapshot(policy, nodes, instances);
  const quotas = new QuotaTracker(policy.quotas, snap.cluster.res, snap.cluster.pools);
  for (const p of snap.pods) if (p.node >= 0) quotas.add(p, snap.cluster.nodes[p.node]!.node.pool);
  const ctx: CycleContext = { cluster: snap.cluster, quotas, cycle: new Map(), runCache: new Map(), gpuWorkload: gpuWorkload(snap.pods, snap.cluster.nodes) };
  const ev = new Evaluator(ctx, FILTERS, SCORES, policy.profile.spec.scoreWeights);
  const pod = (name: string): Pod => {
    const p = snap.pods.find((x) => x.name === name);
    if (!p) throw new Error(`no instance ${name}`);
    return p;
  };
  const node = (name: string) => {
    const i = snap.cluster.byName.get(name);
    if (i === undefined) throw new Error(`no node ${name}`);
    return snap.cluster.nodes[i]!;
  };
  /** The first failing filter code on each node, static filters included. */
  const statuses = (instance: string): Record<string, string> => {
    const p = pod(instance);
    ev.begin(p);
    return Object.fromEntries(snap.cluster.nodes.map((n) => [n.name, ev.status(p, n.index).code]));
  };
  return { snap, ctx, ev, quotas, pod, node, statuses, cluster: snap.cluster };
}
