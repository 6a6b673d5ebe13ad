/** Agents and their instances as the scheduler sees them: merged placement rules, request vectors. */
import type { AgentClass, AgentDoc, AffinityRuleDoc, Selector, Toleration, TopologySpreadConstraint, Tier } from '../../model/documents.js';
import { agentView, matchesSelector } from '../views.js';
import type { Status } from './status.js';
import type { Term } from './terms.js';

export const CLASS_RANK: Record<AgentClass, number> = { guaranteed: 2, burstable: 1, best_effort: 0 };

export interface AffinityRef {
  term: Term;
  required: boolean;
  weight: number;
}

export interface SpreadRef {
  term: Term;
  constraint: TopologySpreadConstraint;
}

/** An Agent's placement fields merged with every AffinityRule that applies to it. */
export interface MergedPlacement {
  pools?: string[];
  tiers?: Tier[];
  nodeSelector?: Record<string, string>;
  tolerations: Toleration[];
  /** All must match (the agent's own and each rule's). */
  nodeRequired: Selector[];
  nodePreferred: { weight: number; selector: Selector }[];
  affinity: AffinityRef[];
  antiAffinity: AffinityRef[];
  spread: SpreadRef[];
  /** Names of the AffinityRule documents merged in, for explanations. */
  rules: string[];
}

export interface AgentInfo {
  index: number;
  doc: AgentDoc;
  name: string;
  priority: number;
  cls: AgentClass;
  req: Float64Array;
  gpuMillis: number;
  placement: MergedPlacement;
  /** Indices of agents this one depends on. */
  dependsOn: number[];
  /** Terms (affinity, anti-affinity, spread) this agent's instances count toward. */
  countedBy: Term[];
  /** Terms owned through required anti-affinity (symmetry). */
  ownsAnti: Term[];
  /** Required anti-affinity terms of other agents that match this one. */
  repelledBy: Term[];
  /** True when another instance's placement can change where this agent fits or scores. */
  interPod: boolean;
  /** Filled lazily by the scheduler: static filter results per node. */
  statics?: AgentStatics;
}

export interface AgentStatics {
  /** Node indices passing every static filter, ascending. */
  feasible: Int32Array;
  /** Position of a node in `feasible`, -1 when filtered out. */
  position: Int32Array;
  /** Nodes passing the agent's node constraints (pools, tiers, selector, required node affinity): spread domains. */
  nodeConstraints: Uint8Array;
  /** Failure per node (undefined when passing). */
  failure: (Status | undefined)[];
  /** Weighted sum of static plugin scores per node (per agent; the rest is shared by agents with the same static rules). */
  staticScore: Float64Array;
}

export interface Pod {
  id: number;
  name: string;
  agent: AgentInfo;
  ordinal: number;
  req: Float64Array;
  gpuMillis: number;
  startedAt?: string;
  /** Current node index, -1 when pending. */
  node: number;
  devices: number[];
  /** The node it was observed on, -1 for a new instance. */
  observedNode: number;
  observedDevices?: number[];
}

/** Every AffinityRule whose appliesTo selects the agent, sorted by name (PolicySet order). */
export function rulesFor(agent: AgentDoc, rules: AffinityRuleDoc[]): AffinityRuleDoc[] {
  const view = agentView(agent, `${agent.metadata.name}-0`);
  return rules.filter((r) => matchesSelector(r.spec.appliesTo, view));
}

/** Instance ordinal from `<agent>-<n>`, or -1. */
export function ordinalOf(instance: string, agent: string): number {
  const start = agent.length + 1;
  if (instance.length <= start || instance.charCodeAt(agent.length) !== 45 || !instance.startsWith(agent)) return -1;
  let n = 0;
  for (let i = start; i < instance.length; i++) {
    const c = instance.charCodeAt(i) - 48;
    if (c < 0 || c > 9 || (c === 0 && i === start && instance.length > start + 1)) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** Order of importance (kube's MoreImportantPod, plus class): the most important first. */
export function moreImportant(a: Pod, b: Pod): number {
  if (a.agent.priority !== b.agent.priority) return b.agent.priority - a.agent.priority;
  const c = CLASS_RANK[b.agent.cls] - CLASS_RANK[a.agent.cls];
  if (c !== 0) return c;
  const sa = a.startedAt ?? '\uffff';
  const sb = b.startedAt ?? '\uffff';
  if (sa !== sb) return sa < sb ? -1 : 1;
  // Agent name, then ordinal as a number (a pod's id follows that order).
  return a.id - b.id;
}
