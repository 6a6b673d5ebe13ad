/**
 * The driver contract: how Quartermaster observes and changes real infrastructure. One folder per
 * driver under src/drivers/, registered in registry.ts; every driver passes the conformance suite
 * in test/drivers/conformance.ts.
 */
import type { DriverType, PolicySet, PoolDoc } from '../model/documents.js';
import type { PlanAction } from '../model/plan.js';
import type { ResourceList } from '../model/quantity.js';
import type { ObservedInstance, ObservedNode, ScalingEvent } from '../model/state.js';

export interface DriverCapabilities {
  /**
   * Can add and remove nodes (scalePool). A provisioner (a pool's `provisioner`) only changes the
   * count: it returns once the cloud accepted the new size. Nodes it adds register later under
   * names it does not choose; the engine waits for them through the pool's placing driver and binds
   * the plan's planned node names to them by zone (src/engine/registration.ts).
   */
  scaleNodes: boolean;
  /** Places an instance on the node the plan chose (rather than letting its own scheduler pick). */
  placeOnNode: boolean;
}

export interface Observation {
  nodes: ObservedNode[];
  instances: ObservedInstance[];
  scalingHistory: ScalingEvent[];
  /** Problems that did not stop observation (an unreachable node marked not ready, …). */
  warnings: string[];
}

export interface DriverContext {
  policy: PolicySet;
  /** The pools this driver serves (placement) in this run. */
  pools: PoolDoc[];
  /** ISO 8601 time of the run, for startedAt and history. */
  now: string;
  /**
   * Measure real use (ObservedInstance.usage) where the driver can: qm status, qm serve, and plans
   * whose ScalingPolicies target utilisation ask for it. Drivers that cannot, ignore it.
   */
  usage?: boolean;
}

export interface ApplyContext extends DriverContext {
  planId: string;
  /**
   * For a scalePool action: the pool's nodes as its placing driver observed them at apply time
   * (names, zones, providerId), so a provisioner can map the nodes the plan chose to remove onto
   * its machines or cloud instances.
   */
  poolNodes?: ObservedNode[];
  /** Aborted when the apply is interrupted or loses its lock: stop waiting and start nothing new. */
  signal?: AbortSignal;
}

export interface Health {
  ok: boolean;
  message: string;
}

export interface Driver {
  readonly name: string;
  readonly type: DriverType;
  readonly capabilities: DriverCapabilities;
  health(ctx: DriverContext): Promise<Health>;
  /** Nodes of the served pools and the managed instances on them. Never touches unmanaged workloads. */
  observe(ctx: DriverContext): Promise<Observation>;
  /** Carry out one action; idempotent, so a re-run after a failure converges. Throws DriverError. */
  apply(action: PlanAction, ctx: ApplyContext): Promise<void>;
  close(): Promise<void>;
  /**
   * Provisioners only, optional: the machines in service for a pool, with the address the placing
   * driver reaches each at, for placing drivers that cannot list a pool's machines themselves
   * (Docker engines; a Kubernetes node registers on its own). Throws DriverError naming the
   * provisioner, the cloud resource and the call.
   */
  machines?: MachineSource;
  /**
   * Placing drivers only, optional: the engine tells it once, when the drivers are set up, that a
   * pool it serves is scaled by a provisioner with `machines`; its nodes of that pool are then the
   * provisioner's machines (one node per machine, named by it), not a static list.
   */
  provisionedBy?(pool: string, provisioner: string, source: MachineSource): void;
}

/** A machine a provisioner runs for a pool (an EC2 instance of its Auto Scaling group). */
export interface Machine {
  /** The node's name: stable for the machine's life (the instance id). */
  name: string;
  zone: string;
  /** Where the placing driver reaches it (for aws: spec.aws.address rendered for the instance). */
  address: string;
  /** The cloud's id of the machine, carried on the node so a scale-down maps it back (`aws:///us-east-1a/i-0abc…`). */
  providerId?: string;
}

export type MachineSource = (pool: PoolDoc, signal?: AbortSignal) => Promise<Machine[]>;

/** What a driver records on every instance it starts (labels, annotations): who, where, from which plan and template. */
export interface InstanceIdentity {
  instance: string;
  agent: string;
  pool: string;
  node: string;
  planId: string;
  requests: ResourceList;
  gpuDevices?: number[];
  startedAt: string;
  /** The agent's templateDigest, recorded so a later change of its runtime or resources is seen. */
  template?: string;
}

/** A failure of one driver action, naming the driver, host and action (SPEC §5). */
export class DriverError extends Error {
  readonly code = 'driver' as const;
  constructor(
    readonly driver: string,
    readonly host: string,
    readonly action: string,
    detail: string,
    readonly hint?: string,
  ) {
    super(`driver ${driver}: ${action} on ${host} failed: ${detail}`);
    this.name = 'DriverError';
  }
}

/** Where an action happens, for DriverError's host: the target node, or the pool or agent it scales. */
export function actionHost(a: PlanAction): string {
  switch (a.type) {
    case 'place': return a.node;
    case 'move': return a.toNode;
    case 'evict':
    case 'remove': return a.node;
    case 'scalePool': return `pool ${a.pool}`;
    case 'scaleAgent': return `agent ${a.agent}`;
  }
}

/** One-line description of an action for messages: "place chat-3 on general-1". */
export function describeAction(a: PlanAction): string {
  switch (a.type) {
    case 'place': return `place ${a.instance} on ${a.node}`;
    case 'move': return `move ${a.instance} from ${a.fromNode} to ${a.toNode}`;
    case 'evict': return `evict ${a.instance} from ${a.node}`;
    case 'remove': return `remove ${a.instance} from ${a.node}`;
    case 'scalePool': return `scale pool ${a.pool} from ${a.from} to ${a.to}`;
    case 'scaleAgent': return `scale agent ${a.agent} from ${a.from} to ${a.to}`;
  }
}
