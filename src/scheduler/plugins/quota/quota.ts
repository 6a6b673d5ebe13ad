/** Quota admission as a node filter: whether the quotas counting the instance on this node's pool admit it. */
import type { CycleContext } from '../../framework/plugin.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { SUCCESS, type Status } from '../../framework/status.js';
import type { Pod } from '../../framework/workload.js';

export function quotaStatus(ctx: CycleContext, pod: Pod, node: NodeInfo): Status {
  // Quotas are scoped by pool and tier, so the answer is the same for every node of a pool.
  let perPool = ctx.cycle.get('quota') as Map<string, Status> | undefined;
  if (!perPool) {
    perPool = new Map();
    ctx.cycle.set('quota', perPool);
  }
  const pool = node.node.pool;
  let st = perPool.get(pool);
  if (!st) {
    const c = ctx.quotas.check(pod, pool);
    st = c.ok ? SUCCESS : { code: 'QuotaExceeded', reasons: [`${c.quota}: ${c.resource}`], message: c.message };
    perPool.set(pool, st);
  }
  return st;
}
