/** `qm simulate` output (SPEC §9): one run per policy revision, and their comparison. Pure types. */

export const SIMULATE_FORMAT_VERSION = '1.0';

/** One pool at one step, after that step's plan was applied. */
export interface SimPoolStep {
  /** Nodes that exist: ready and still booting. */
  nodes: number;
  ready: number;
  /** Requested ÷ allocatable of the ready nodes, per resource (cpu, memory, gpu…), one decimal. */
  utilizationPercent: Record<string, number>;
}

/** One agent at one step. */
export interface SimAgentStep {
  /** Instances the policy wants (after the autoscaler): placed + blocked. */
  replicas: number;
  /** Instances running on ready nodes. */
  placed: number;
  /** Instances wanted but not running: the scheduler could not place them, or their node is still booting. */
  blocked: number;
}

export interface SimStep {
  at: string;
  pools: Record<string, SimPoolStep>;
  agents: Record<string, SimAgentStep>;
  /** Resources the wanted instances request, fleet-wide (cpu in cores, memory in GiB, gpu in devices). */
  demand: Record<string, number>;
  /** Allocatable resources of the ready nodes, fleet-wide, in the same units. */
  capacity: Record<string, number>;
}

export interface SimTotals {
  /** Node-hours of every node that exists (booting ones too: clouds bill them). */
  nodeHours: number;
  /** Σ costPerHour × hours over the same nodes. */
  cost: number;
  /** Σ over steps of blocked instances × step minutes. */
  blockedInstanceMinutes: number;
  /** scalePool and scaleAgent actions applied. */
  scaleActions: number;
  moves: number;
  evictions: number;
  /** Most nodes (ready and booting) each pool had at once. */
  peakNodes: Record<string, number>;
  /** Per agent: minutes it ran fewer instances than the policy (its metric target, schedule, minimum) called for. */
  belowTargetMinutes: Record<string, number>;
}

export interface SimRun {
  ref: string;
  commit: string | null;
  policyDigest: string;
  totals: SimTotals;
  steps: SimStep[];
}

export interface SimComparison {
  base: string;
  head: string;
  delta: { nodeHours: number; cost: number; blockedInstanceMinutes: number; scaleActions: number; moves: number; evictions: number; belowTargetMinutes: number };
}

export interface SimulateReport {
  formatVersion: string;
  from: string;
  to: string;
  /** Seconds between steps. */
  step: number;
  nodeStartup: number;
  /** Base first, then head, when comparing. */
  runs: SimRun[];
  comparison?: SimComparison;
  warnings: string[];
}
