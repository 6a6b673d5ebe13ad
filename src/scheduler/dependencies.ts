/** dependsOn (SPEC §2 Agent): agents are placed level by level, dependencies first. */
import type { AgentInfo } from './framework/workload.js';

/** Dependency depth per agent index (0 = no dependencies); -1 for agents on a cycle or depending on one. */
export function dependencyLevels(agents: AgentInfo[]): number[] {
  const level: number[] = new Array(agents.length).fill(-2);
  const visit = (i: number, stack: Set<number>): number => {
    if (level[i]! !== -2) return level[i]!;
    if (stack.has(i)) return -1;
    stack.add(i);
    let l = 0;
    for (const d of agents[i]!.dependsOn) {
      const dl = visit(d, stack);
      if (dl < 0) {
        l = -1;
        break;
      }
      l = Math.max(l, dl + 1);
    }
    stack.delete(i);
    level[i] = l;
    return l;
  };
  for (let i = 0; i < agents.length; i++) visit(i, new Set());
  return level;
}
