/**
 * Plan-time checks of a pool against its Auto Scaling group, as observation warnings (planning
 * stays pure: the provisioner reads the groups while observing, the planner only carries the
 * warnings into the plan). Pure.
 */
import type { PoolDoc } from '../../model/documents.js';
import type { Group } from './client.js';

/**
 * When the pool may ask for a count the group refuses: pool.max above the group's MaxSize (a
 * scale-up fails with ValidationError) or pool.min below its MinSize (a scale-down is refused).
 * A group wider than the pool is fine: qm never leaves the pool's bounds.
 */
export function boundsWarning(driver: string, pool: PoolDoc, group: Group): string | undefined {
  const { min, max } = pool.spec.size;
  const name = pool.metadata.name;
  const problems: string[] = [];
  if (max > group.max) problems.push(`scaling above ${group.max} nodes will fail`);
  if (min < group.min) problems.push(`scaling below ${group.min} nodes will be refused`);
  if (!problems.length) return undefined;
  return `driver ${driver}: pool ${name} allows ${min}–${max} nodes (spec.size) but its Auto Scaling group ${group.name} allows ${group.min}–${group.max} (MinSize/MaxSize): ${problems.join(' and ')}; make them agree (set the group's MinSize ≤ ${min} and MaxSize ≥ ${max}, or narrow the pool's spec.size)`;
}

/** The pool's group does not exist (in that region, for those credentials). */
export function missingGroupWarning(driver: string, pool: PoolDoc, group: string, region: string | undefined): string {
  return `driver ${driver}: the Auto Scaling group ${group} of pool ${pool.metadata.name} does not exist${region ? ` in ${region}` : ''}; scaling the pool will fail: create it, or correct spec.aws.autoScalingGroup (and region)`;
}
