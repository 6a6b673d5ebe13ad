/** Agent.placement.pools and .tiers: only nodes of those pools and tiers. */
import type { NodeInfo } from '../../framework/node-info.js';
import { fail, SUCCESS, type Status } from '../../framework/status.js';
import type { MergedPlacement } from '../../framework/workload.js';

export function poolPlacementStatus(placement: MergedPlacement, node: NodeInfo): Status {
  if (placement.pools && !placement.pools.includes(node.node.pool)) return fail('NodeAffinityMismatch', 'placement.pools');
  if (placement.tiers && !(placement.tiers as string[]).includes(node.view.tier)) return fail('NodeAffinityMismatch', 'placement.tiers');
  return SUCCESS;
}
