/**
 * The scheduler's public contract: (policy, observed nodes and instances, seed) → placements,
 * blocked instances with reasons, evictions, moves and removals.
 */
import type { PolicySet } from '../model/documents.js';
import type { ResourceList } from '../model/quantity.js';
import type { ObservedInstance, ObservedNode } from '../model/state.js';

/** Blocked reason codes of SPEC §4 (defined with the plan model). */
export { REASON_CODES, type ReasonCode } from '../model/plan.js';
import type { ReasonCode } from '../model/plan.js';

export interface ScheduleInput {
  policy: PolicySet;
  nodes: ObservedNode[];
  instances: ObservedInstance[];
  /** Overrides SchedulingProfile.seed. */
  seed?: number;
  /** ISO 8601; only used in reasons, never read from the wall clock. */
  now?: string;
  /**
   * Which pending instances get their best candidate nodes with per-plugin scores in
   * `decisions`: 'all', or a list of instance names (for `qm explain`). By default ('blocked')
   * none do; every pending instance still gets a short record (placed with its node, or blocked
   * with filter failures counted per reason), and running instances that stay put get one
   * ('kept') only when explained, so `decisions` stays bounded by the work of the plan.
   */
  explain?: 'blocked' | 'all' | string[];
  /**
   * Called before each placement decision and after the last one of a round, so a benchmark can
   * time decisions (planning itself never reads the clock).
   */
  onDecision?: () => void;
}

export interface BlockedReason {
  code: ReasonCode;
  message: string;
}

export interface Placement {
  instance: string;
  agent: string;
  pool: string;
  node: string;
  requests: ResourceList;
  gpuDevices?: number[];
  /** Weighted score 0–100 of the chosen node. */
  score: number;
  reason: string;
  /** A running instance recreated on its own node (its agent's template changed): the old one goes first. */
  recreate?: boolean;
}

export interface Blocked {
  instance: string;
  agent: string;
  reasons: BlockedReason[];
  /** kube-scheduler style: "0/12 nodes fit: 8 InsufficientResource(gpu), 4 UntoleratedTaint(dedicated=ml)". */
  summary?: string;
}

export interface Eviction {
  instance: string;
  agent: string;
  node: string;
  reason: string;
  /** The instance whose placement needed the eviction. */
  by: string;
}

export interface Move {
  instance: string;
  agent: string;
  fromNode: string;
  toNode: string;
  reason: string;
  gpuDevices?: number[];
}

export interface Removal {
  instance: string;
  agent: string;
  node: string;
  reason: string;
}

export interface CandidateRecord {
  node: string;
  /** Weighted total 0–100. */
  score: number;
  /** Raw 0–100 score per score plugin. */
  scores: Record<string, number>;
}

export interface Decision {
  instance: string;
  agent: string;
  outcome: 'placed' | 'blocked' | 'kept';
  node?: string;
  /** Filter failures over nodes: "InsufficientResource(gpu)" → node count. */
  filtered?: Record<string, number>;
  /** Best candidates first, at most eight. */
  candidates?: CandidateRecord[];
}

export interface ScheduleResult {
  algorithm: string;
  placements: Placement[];
  blocked: Blocked[];
  evictions: Eviction[];
  moves: Move[];
  removals: Removal[];
  decisions: Decision[];
  warnings: string[];
}
