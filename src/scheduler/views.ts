/** The JSON Logic views of SPEC §1 and selector matching over them. */
import { evaluateLogic } from '../model/logic-eval.js';
import type { AgentDoc, PoolDoc, Selector } from '../model/documents.js';
import type { ObservedNode } from '../model/state.js';
import type { ResourceList } from '../model/quantity.js';

export interface AgentView {
  name: string;
  agent: string;
  type: string;
  owner: string;
  class: string;
  priority: number;
  labels: Record<string, string>;
}

export interface NodeView {
  name: string;
  pool: string;
  tier: string;
  region: string;
  zone: string;
  labels: Record<string, string>;
  capacity: ResourceList;
}

/** The agent view of one instance (`name` is the instance, `agent` the Agent document). */
export function agentView(agent: AgentDoc, instance: string): AgentView {
  return {
    name: instance,
    agent: agent.metadata.name,
    type: agent.spec.type,
    owner: agent.spec.owner,
    class: agent.spec.class,
    priority: agent.spec.priority,
    labels: agent.metadata.labels,
  };
}

export function nodeView(node: ObservedNode, pool: PoolDoc | undefined): NodeView {
  return {
    name: node.name,
    pool: node.pool,
    tier: pool?.spec.tier ?? 'silver',
    region: node.region,
    zone: node.zone,
    labels: node.labels,
    capacity: node.capacity,
  };
}

/** matchLabels AND match; an empty selector selects everything. */
export function matchesSelector(selector: Selector | undefined, view: { labels: Record<string, string> }): boolean {
  if (!selector) return true;
  if (selector.matchLabels) {
    for (const [k, v] of Object.entries(selector.matchLabels)) if (view.labels[k] !== v) return false;
  }
  if (selector.match !== undefined && selector.match !== null) {
    // Bounded: a rule over budget stops the plan with a LogicBudgetError naming the document and field.
    return truthy(evaluateLogic(selector.match, view));
  }
  return true;
}

/** JSON Logic truthiness: empty arrays are falsy, as in json-logic-js. */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return Boolean(v);
}

/** True when a selector's JSON Logic reads the instance name, so it cannot be decided per Agent. */
export function selectorReadsInstanceName(selector: Selector | undefined): boolean {
  if (!selector || selector.match === undefined) return false;
  return /"var"\s*:\s*(\[\s*)?"name"/.test(JSON.stringify(selector.match));
}
