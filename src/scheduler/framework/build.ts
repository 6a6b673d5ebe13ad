/**
 * Turns (policy, observed nodes, observed instances) into the scheduler's snapshot: node state
 * with the running instances attached, agents with merged placement rules and terms, the
 * instances still to place, and the instances to remove.
 */
import { DEFAULT_PROFILE_SPEC, type AgentDoc, type PolicySet, type PoolDoc, type Selector } from '../../model/documents.js';
import { templateDigest } from '../../model/digest.js';
import type { ObservedInstance, ObservedNode } from '../../model/state.js';
import type { Removal } from '../types.js';
import { agentView, matchesSelector, nodeView, selectorReadsInstanceName } from '../views.js';
import { ClusterState } from './cluster.js';
import { chooseDevices, NO_DEVICES } from './gpu-devices.js';
import { NodeInfo } from './node-info.js';
import { GPU, ResourceIndex } from './resources.js';
import { Term } from './terms.js';
import { ordinalOf, rulesFor, type AgentInfo, type MergedPlacement, type Pod } from './workload.js';

export interface Snapshot {
  cluster: ClusterState;
  /** Every desired instance, by agent then ordinal. */
  pods: Pod[];
  /** Instances without a valid node, in the same order. */
  pending: Pod[];
  /** Running instances to re-place because their agent's template changed (pod id → why), within the budget. */
  stale: Map<number, string>;
  removals: Removal[];
  warnings: string[];
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function buildSnapshot(policy: PolicySet, observedNodes: ObservedNode[], instances: ObservedInstance[]): Snapshot {
  const warnings: string[] = [];
  const pools = new Map<string, PoolDoc>(policy.pools.map((p) => [p.metadata.name, p]));
  const seen = new Set<string>();
  const nodesIn: ObservedNode[] = [];
  for (const n of [...observedNodes].sort(byName)) {
    if (seen.has(n.name)) warnings.push(`node ${n.name} is listed twice; the second entry is ignored`);
    else nodesIn.push(n);
    seen.add(n.name);
  }
  const agents = [...policy.agents].sort((a, b) => byName(a.metadata, b.metadata));
  const lists = [...nodesIn.map((n) => n.capacity), ...agents.map((a) => a.spec.resources.requests), ...policy.quotas.map((q) => q.spec.limits)];
  for (const i of instances) if (hasRequests(i.requests)) lists.push(i.requests);
  const res = new ResourceIndex(lists);

  const unknownPools = new Set<string>();
  const nodes = nodesIn.map((n, i) => {
    const pool = pools.get(n.pool);
    if (!pool && !unknownPools.has(n.pool)) {
      unknownPools.add(n.pool);
      warnings.push(`nodes of pool '${n.pool}' (first: ${n.name}) belong to no Pool document; they are treated as an active pool without rules`);
    }
    const cap = res.vector(n.capacity);
    const over = new Float64Array(cap.length);
    for (let k = 0; k < cap.length; k++) {
      const ratio = k === res.gpu ? 1 : Math.max(1, pool?.spec.overcommit[res.keys[k]!] ?? 1);
      over[k] = cap[k]! * ratio;
    }
    return new NodeInfo(i, n, pool, nodeView(n, pool), cap, over, Math.floor((n.capacity[GPU] ?? 0) / 1000));
  });

  const terms: Term[] = [];
  const termIds = new Map<string, Term>();
  const infos: AgentInfo[] = [];
  const termFor = (selector: Selector | undefined, key: string, sameAgent: number): Term => {
    const id = JSON.stringify([selector ?? null, key, sameAgent]);
    let t = termIds.get(id);
    if (!t) {
      t = new Term(terms.length, selector, key, sameAgent, nodes.length, agents.length, (pod) =>
        sameAgent >= 0 ? pod.agent.index === sameAgent : matchesSelector(selector, agentView(pod.agent.doc, pod.name)),
      );
      terms.push(t);
      termIds.set(id, t);
    }
    return t;
  };
  agents.forEach((doc, index) => {
    infos.push({
      index,
      doc,
      name: doc.metadata.name,
      priority: doc.spec.priority,
      cls: doc.spec.class,
      req: res.vector(doc.spec.resources.requests),
      gpuMillis: doc.spec.resources.requests[GPU] ?? 0,
      placement: mergePlacement(doc, policy, index, termFor),
      dependsOn: [],
      countedBy: [],
      ownsAnti: [],
      repelledBy: [],
      interPod: false,
    });
  });
  const agentIndex = new Map(infos.map((a) => [a.name, a.index]));
  for (const a of infos) {
    a.dependsOn = a.doc.spec.dependsOn.map((d) => agentIndex.get(d)).filter((i): i is number => i !== undefined);
    for (const d of a.doc.spec.dependsOn) if (!agentIndex.has(d)) warnings.push(`agent ${a.name} depends on '${d}', which does not exist; the dependency is ignored`);
  }
  const owners = new Map<Term, boolean>();
  for (const a of infos) {
    for (const ref of a.placement.antiAffinity) if (ref.required) { a.ownsAnti.push(ref.term); owners.set(ref.term, true); }
  }
  for (const t of terms) {
    const dynamic = t.sameAgent < 0 && selectorReadsInstanceName(t.selector);
    for (const a of infos) {
      const m = t.sameAgent >= 0 ? (a.index === t.sameAgent ? 1 : 0) : dynamic ? -1 : matchesSelector(t.selector, agentView(a.doc, `${a.name}-0`)) ? 1 : 0;
      t.agentMatch[a.index] = m;
      if (m !== 0) {
        a.countedBy.push(t);
        if (owners.has(t)) a.repelledBy.push(t);
      }
    }
  }
  for (const a of infos) {
    const p = a.placement;
    a.interPod = p.affinity.length + p.antiAffinity.length + p.spread.length + a.repelledBy.length > 0;
  }

  const cluster = new ClusterState(res, nodes, pools, infos, terms);
  // Observed instances by agent and ordinal: array slots, so 150,000 instance names are never hashed.
  const slots: (ObservedInstance | undefined)[][] = infos.map(() => []);
  const removals: Removal[] = [];
  const keptElsewhere = (name: string): ObservedInstance | undefined => {
    const dash = name.lastIndexOf('-');
    const owner = dash > 0 ? agentIndex.get(name.slice(0, dash)) : undefined;
    const ordinal = owner === undefined ? -1 : ordinalOf(name, infos[owner]!.name);
    return ordinal >= 0 ? slots[owner!]![ordinal] : undefined;
  };
  for (const inst of instances) {
    const a = agentIndex.get(inst.agent);
    const doc = a === undefined ? undefined : infos[a]!.doc;
    const ordinal = doc ? ordinalOf(inst.name, doc.metadata.name) : -1;
    const first = ordinal >= 0 && ordinal < doc!.spec.replicas ? slots[a!]![ordinal] : undefined;
    if (!doc) removals.push({ instance: inst.name, agent: inst.agent, node: inst.node, reason: `agent ${inst.agent} no longer exists` });
    else if (ordinal < 0) {
      // The name may be another agent's instance that is already kept (a valid name has one owner).
      const other = keptElsewhere(inst.name);
      removals.push({ instance: inst.name, agent: inst.agent, node: inst.node, reason: other ? `duplicate of ${inst.name} on ${other.node}` : `name is not <agent>-<ordinal> of agent ${inst.agent}` });
    }
    else if (ordinal >= doc.spec.replicas) removals.push({ instance: inst.name, agent: inst.agent, node: inst.node, reason: `replicas ${Math.max(doc.spec.replicas, ordinal + 1)} → ${doc.spec.replicas}` });
    else if (first) removals.push({ instance: inst.name, agent: inst.agent, node: inst.node, reason: `duplicate of ${inst.name} on ${first.node}` });
    else slots[a!]![ordinal] = inst;
  }

  const pods: Pod[] = [];
  const pending: Pod[] = [];
  const stale = new Map<number, string>();
  const unavailable = (policy.profile?.spec ?? DEFAULT_PROFILE_SPEC).disruptionBudget.maxUnavailablePercent;
  for (const a of infos) {
    const observed = slots[a.index]!;
    const template = templateDigest(a.doc);
    // A rolling update: at most the disruption budget's share of an agent's instances per plan.
    let recreate = Math.max(1, Math.floor((a.doc.spec.replicas * unavailable) / 100));
    let outdated = 0;
    for (let ordinal = 0; ordinal < a.doc.spec.replicas; ordinal++) {
      const inst = observed[ordinal];
      const nodeIdx = inst ? (cluster.byName.get(inst.node) ?? -1) : -1;
      const behind = inst !== undefined && inst.template !== undefined && inst.template !== template;
      const running = inst !== undefined && nodeIdx >= 0 && nodes[nodeIdx]!.node.ready;
      const old = behind && running;
      if (old) outdated++;
      const renew = old && recreate-- > 0;
      // An outdated instance placed again (off a lost node) starts from the current template, so
      // with the agent's requests; one that stays keeps what it runs with.
      const req = inst && !(behind && !running) && hasRequests(inst.requests) && !sameRequests(inst.requests, a.doc.spec.resources.requests) ? res.vector(inst.requests) : a.req;
      const pod: Pod = {
        id: pods.length,
        name: inst ? inst.name : `${a.name}-${ordinal}`,
        agent: a,
        ordinal,
        req,
        gpuMillis: req[res.gpu] ?? 0,
        node: -1,
        devices: NO_DEVICES,
        observedNode: nodeIdx,
        // Always present (possibly undefined) so every Pod has one shape.
        startedAt: inst?.startedAt,
        observedDevices: inst?.gpuDevices,
      };
      pods.push(pod);
      // Outdated ones stay on their node for now (they hold its capacity); the scheduler re-places
      // them after the new instances, and leaves them where they are when the new template fits nowhere.
      if (renew) stale.set(pod.id, `agent ${a.name}'s template (runtime or resources) changed: ${inst.template} → ${template}`);
      if (inst && nodeIdx >= 0 && nodes[nodeIdx]!.node.ready) {
        const n = nodes[nodeIdx]!;
        const valid = pod.observedDevices && pod.observedDevices.every((d) => d >= 0 && d < n.gpuUsed.length);
        const devices = valid ? pod.observedDevices! : (chooseDevices(n.gpuUsed, pod.gpuMillis) ?? NO_DEVICES);
        cluster.place(pod, nodeIdx, devices);
      } else {
        if (inst && nodeIdx < 0) warnings.push(`instance ${pod.name} runs on node ${inst.node}, which is not observed; it is placed again`);
        pending.push(pod);
      }
    }
    if (outdated > 0 && recreate < 0) warnings.push(`${outdated} instances of agent ${a.name} run an older template; ${outdated + recreate} are started anew in this plan where the new one fits, the rest in later plans (disruption budget ${unavailable} %)`);
  }
  return { cluster, pods, pending, stale, removals, warnings };
}

function hasRequests(r: Record<string, number>): boolean {
  for (const _ in r) return true;
  return false;
}

function sameRequests(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Object.keys(a).filter((k) => a[k] !== 0);
  const kb = Object.keys(b).filter((k) => b[k] !== 0);
  return ka.length === kb.length && ka.every((k) => a[k] === b[k]);
}

/** The agent's own placement fields merged with every AffinityRule whose appliesTo selects it. */
function mergePlacement(doc: AgentDoc, policy: PolicySet, index: number, termFor: (s: Selector | undefined, key: string, sameAgent: number) => Term): MergedPlacement {
  const own = doc.spec.placement;
  const rules = rulesFor(doc, policy.affinityRules);
  const parts = [own, ...rules.map((r) => r.spec)];
  const m: MergedPlacement = {
    tolerations: own.tolerations ?? [],
    nodeRequired: [],
    nodePreferred: [],
    affinity: [],
    antiAffinity: [],
    spread: [],
    rules: rules.map((r) => r.metadata.name),
  };
  if (own.pools) m.pools = own.pools;
  if (own.tiers) m.tiers = own.tiers;
  if (own.nodeSelector) m.nodeSelector = own.nodeSelector;
  for (const p of parts) {
    if (p.nodeAffinity?.required) m.nodeRequired.push(p.nodeAffinity.required);
    for (const pref of p.nodeAffinity?.preferred ?? []) m.nodePreferred.push(pref);
    for (const t of p.agentAffinity ?? []) m.affinity.push({ term: termFor(t.selector, t.topologyKey, -1), required: t.required, weight: t.weight });
    for (const t of p.agentAntiAffinity ?? []) m.antiAffinity.push({ term: termFor(t.selector, t.topologyKey, -1), required: t.required, weight: t.weight });
    for (const c of p.topologySpread ?? []) m.spread.push({ term: termFor(c.selector, c.topologyKey, c.selector ? -1 : index), constraint: c });
  }
  return m;
}
