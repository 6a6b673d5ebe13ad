/**
 * The aws provisioner: node counts of pools through EC2 Auto Scaling groups, one group per pool
 * (spec.aws.autoScalingGroup, `agents-{pool}`). It never places: the pool's `driver` (kubernetes
 * or docker) observes the nodes and places on them. Scale-up sets the group's desired capacity and
 * returns once AWS accepted it (the engine waits for the new nodes to register); scale-down
 * terminates exactly the instances behind the nodes the plan chose, decrementing the desired
 * capacity so they are not replaced. Observation reads the groups only to warn when their
 * MinSize/MaxSize disagree with the pools' size bounds. For Docker-placed pools it also lists the
 * machines (`machines`): the group's instances in service at their templated addresses (EC2
 * DescribeInstances for `{privateIp}`), which the docker driver takes as the pool's engines.
 */
import type { AutoScalingClientConfig } from '@aws-sdk/client-auto-scaling';
import type { DriverDoc, PoolDoc } from '../../model/documents.js';
import type { PlanAction, ScalePoolAction } from '../../model/plan.js';
import type { ApplyContext, Driver, DriverContext, Health, Machine, MachineSource, Observation } from '../contract.js';
import { describeAction, DriverError } from '../contract.js';
import type { SimStore } from '../sim/store.js';
import { boundsWarning, missingGroupWarning } from './bounds.js';
import { AutoScalingApi, AwsCallError, classify } from './client.js';
import type { Group } from './client.js';
import { Ec2Api } from './ec2.js';
import type { ThrottleBackoff } from './ec2.js';
import { groupMachines, idsNeedingAddresses } from './machines.js';
import { mapNodes } from './mapping.js';
import type { PrivateIpLookup } from './mapping.js';
import { awsOptions, groupOf, regionOf } from './options.js';
import type { AwsOptions } from './options.js';
import { withRetry } from '../retry.js';
import type { RetryOptions } from '../retry.js';

type HistoryStore = Pick<SimStore, 'scalingHistory' | 'appendScaling'>;

export interface AwsDeps {
  /** Extra SDK client settings (tests: retry mode, endpoint); credentials always come from the chain. */
  clientConfig?: Partial<AutoScalingClientConfig>;
  /** Backoff for ScalingActivityInProgress (attempts, first and largest wait in ms). */
  retry?: Backoff;
  /** Private addresses for `{privateIp}`; default: EC2 DescribeInstances (undefined: no lookup at all). */
  privateIps?: PrivateIpLookup | undefined;
  /** Backoff for EC2 throttling that outlived the SDK's retries. */
  throttleRetry?: ThrottleBackoff;
}

/**
 * ScalingActivityInProgress clears once the group's current activity ends (tens of seconds): the
 * SDK does not retry it (it already retries throttling and 5xx), so qm does, with backoff.
 */
interface Backoff {
  attempts: number;
  baseMs: number;
  maxMs: number;
}
const DEFAULT_BACKOFF: Backoff = { attempts: 6, baseMs: 2000, maxMs: 20_000 };
const busy = (e: unknown) => ({ retry: e instanceof AwsCallError && e.kind === 'in-progress' });

export class AwsDriver implements Driver {
  readonly type = 'aws' as const;
  readonly capabilities = { scaleNodes: true, placeOnNode: false };
  /** Seconds apply waits for the nodes this provisioner asked for to register (spec.aws.startTimeout). */
  readonly startTimeout: number;
  private readonly apis = new Map<string, AutoScalingApi>();
  private readonly ec2s = new Map<string, Ec2Api>();
  /** The machines of a Docker-placed pool (Driver.machines): bound, so the engine can hand it to the docker driver. */
  readonly machines: MachineSource = (pool, signal) => this.discover(pool, signal);

  constructor(
    readonly name: string,
    private readonly store: HistoryStore,
    private readonly opts: AwsOptions,
    private readonly deps: AwsDeps = {},
  ) {
    this.startTimeout = opts.startTimeout;
  }

  private sdkConfig(region: string | undefined): Record<string, unknown> {
    return { ...(region ? { region } : {}), ...(this.opts.profile ? { profile: this.opts.profile } : {}), ...this.deps.clientConfig };
  }

  /** The API client of a region (undefined: the SDK's default region), made on first use. */
  private api(region: string | undefined): AutoScalingApi {
    const key = region ?? '';
    let a = this.apis.get(key);
    if (!a) {
      a = new AutoScalingApi(this.sdkConfig(region) as AutoScalingClientConfig);
      this.apis.set(key, a);
    }
    return a;
  }

  /** Private addresses of instances through EC2 (or the test's lookup). */
  private privateIps(region: string | undefined): PrivateIpLookup | undefined {
    if ('privateIps' in this.deps) return this.deps.privateIps;
    return async (ids, signal) => {
      const key = region ?? '';
      let e = this.ec2s.get(key);
      if (!e) {
        e = new Ec2Api(this.sdkConfig(region), this.deps.throttleRetry);
        this.ec2s.set(key, e);
      }
      const found = await e.describeInstances(ids, signal);
      return new Map([...found.values()].filter((i) => i.privateIp).map((i) => [i.id, i.privateIp!]));
    };
  }

  /** The pool's group's instances in service as machines at spec.aws.address; one sentence naming driver, group and call on failure. */
  private async discover(pool: PoolDoc, signal?: AbortSignal): Promise<Machine[]> {
    const region = regionOf(this.opts, pool);
    const group = groupOf(this.opts, pool);
    const host = `Auto Scaling group ${group}${region ? ` (${region})` : ''}`;
    const action = `list the machines of pool ${pool.metadata.name}`;
    try {
      const g = (await this.api(region).describeGroups([group], signal)).get(group);
      if (!g) throw new DriverError(this.name, host, action, `the group does not exist${region ? ` in ${region}` : ''}`, 'create it, or correct spec.aws.autoScalingGroup (and region) of the Driver');
      const ids = idsNeedingAddresses(g, this.opts.address);
      let ips: Map<string, string> | undefined;
      if (ids.length) {
        const lookup = this.privateIps(region);
        if (!lookup) throw new DriverError(this.name, host, action, `spec.aws.address '${this.opts.address}' needs {privateIp}, and this driver has no EC2 lookup`, 'use {instanceId} in spec.aws.address');
        ips = await lookup(ids, signal);
      }
      return groupMachines(g, pool.metadata.name, this.opts.address, ips);
    } catch (e) {
      if (e instanceof DriverError) throw e;
      const err = e instanceof AwsCallError ? e : classify(e, 'an AWS call');
      const { detail, hint } = this.explain(err, group);
      throw new DriverError(this.name, host, action, detail, hint);
    }
  }

  /** Scalable pools (static pools never scale) grouped by region: group name per pool. */
  private groups(pools: readonly PoolDoc[]): Map<string, { region: string | undefined; pools: { pool: PoolDoc; group: string }[] }> {
    const out = new Map<string, { region: string | undefined; pools: { pool: PoolDoc; group: string }[] }>();
    for (const pool of pools) {
      if (pool.spec.nodes) continue;
      const region = regionOf(this.opts, pool);
      const entry = out.get(region ?? '') ?? { region, pools: [] };
      entry.pools.push({ pool, group: groupOf(this.opts, pool) });
      out.set(region ?? '', entry);
    }
    return out;
  }

  async health(ctx: DriverContext): Promise<Health> {
    const found: string[] = [];
    const missing: string[] = [];
    for (const { region, pools } of this.groups(ctx.pools).values()) {
      try {
        const groups = await this.api(region).describeGroups(pools.map((p) => p.group));
        for (const p of pools) (groups.has(p.group) ? found : missing).push(p.group);
      } catch (e) {
        const err = e instanceof AwsCallError ? e : classify(e, 'DescribeAutoScalingGroups');
        return { ok: false, message: `Auto Scaling API${region ? ` in ${region}` : ''}: ${this.explain(err, pools.map((p) => p.group).join(', ')).detail}` };
      }
    }
    if (missing.length) return { ok: false, message: `Auto Scaling group${missing.length === 1 ? '' : 's'} ${missing.join(', ')} not found (of ${found.length + missing.length})` };
    return { ok: true, message: `${found.length} Auto Scaling group${found.length === 1 ? '' : 's'} found` };
  }

  /** No nodes (the placing driver observes them): the groups' bounds checked against the pools'. */
  async observe(ctx: DriverContext): Promise<Observation> {
    const warnings = this.opts.problems.map((p) => `driver ${this.name}: ${p}`);
    for (const pool of ctx.pools) if (pool.spec.nodes) warnings.push(`driver ${this.name}: pool ${pool.metadata.name} lists its nodes (spec.nodes), so it never scales and its provisioner is not used; remove spec.provisioner or spec.nodes`);
    for (const { region, pools } of [...this.groups(ctx.pools).values()].sort((a, b) => ((a.region ?? '') < (b.region ?? '') ? -1 : 1))) {
      let groups: Map<string, Group>;
      try {
        groups = await this.api(region).describeGroups(pools.map((p) => p.group));
      } catch (e) {
        const err = e instanceof AwsCallError ? e : classify(e, 'DescribeAutoScalingGroups');
        warnings.push(`driver ${this.name}: could not read the Auto Scaling groups ${pools.map((p) => p.group).join(', ')} (${this.explain(err, 'them').detail}); their MinSize/MaxSize were not checked against the pools' bounds`);
        continue;
      }
      for (const { pool, group } of pools) {
        const g = groups.get(group);
        const w = g ? boundsWarning(this.name, pool, g) : missingGroupWarning(this.name, pool, group, region);
        if (w) warnings.push(w);
      }
    }
    return { nodes: [], instances: [], scalingHistory: await this.store.scalingHistory(), warnings };
  }

  async apply(action: PlanAction, ctx: ApplyContext): Promise<void> {
    if (action.type !== 'scalePool') {
      throw new DriverError(this.name, 'AWS', describeAction(action), 'the aws driver only changes node counts (it is a provisioner): it cannot place, move or remove instances', "name a placing driver (kubernetes or docker) in the pool's spec.driver and this one in spec.provisioner");
    }
    const pool = ctx.policy.pools.find((p) => p.metadata.name === action.pool);
    if (!pool) throw new DriverError(this.name, `pool ${action.pool}`, describeAction(action), `pool ${action.pool} is not in the policy`, 'plan again: the policy changed since the plan was made');
    const region = regionOf(this.opts, pool);
    const group = groupOf(this.opts, pool);
    const host = `Auto Scaling group ${group}${region ? ` (${region})` : ''}`;
    const fail = (e: unknown): never => {
      if (e instanceof DriverError) throw e;
      const err = e instanceof AwsCallError ? e : classify(e, 'an AWS call');
      if (ctx.signal?.aborted) {
        const busyNow = err.kind === 'in-progress' ? ' while waiting to retry it (the group was busy with another scaling activity: ScalingActivityInProgress)' : '';
        throw new DriverError(this.name, host, describeAction(action), `the apply was interrupted during ${err.operation}${busyNow}`, 'apply again: the fleet converges from where it stopped');
      }
      const { detail, hint } = this.explain(err, group, action);
      throw new DriverError(this.name, host, describeAction(action), detail, hint);
    };
    const api = this.api(region);
    const retry = { ...(this.deps.retry ?? DEFAULT_BACKOFF), classify: busy, signal: ctx.signal };
    try {
      const g = (await api.describeGroups([group], ctx.signal)).get(group);
      if (!g) throw new DriverError(this.name, host, describeAction(action), `the group does not exist${region ? ` in ${region}` : ''}`, 'create it, or correct spec.aws.autoScalingGroup (and region) of the Driver');
      if (action.to > action.from || action.addNodes.length) await this.scaleUp(api, g, action, retry);
      else await this.scaleDown(api, g, pool, action, ctx, host, retry);
    } catch (e) {
      fail(e);
    }
    await this.store.appendScaling({ target: { kind: 'Pool', name: action.pool }, at: ctx.now, from: action.from, to: action.to, planId: ctx.planId, reason: action.reason });
  }

  /** Ask for `to` instances; never lowers a desired capacity that is already higher (instances still booting). */
  private async scaleUp(api: AutoScalingApi, g: Group, action: ScalePoolAction, retry: RetryOptions): Promise<void> {
    if (g.desired >= action.to) return;
    await withRetry(() => api.setDesiredCapacity(g.name, action.to, retry.signal), retry);
  }

  /** Terminate the instances of the chosen nodes, one at a time (parallel terminations only collide). */
  private async scaleDown(api: AutoScalingApi, g: Group, pool: PoolDoc, action: ScalePoolAction, ctx: ApplyContext, host: string, retry: RetryOptions): Promise<void> {
    if (!action.removeNodes.length) {
      throw new DriverError(this.name, host, describeAction(action), 'the plan names no nodes to remove, and lowering the desired capacity would let AWS pick which instances to terminate', 'plan again with this version of qm');
    }
    if (!ctx.poolNodes) throw new DriverError(this.name, host, describeAction(action), "qm did not pass the pool's observed nodes, so the chosen nodes cannot be mapped to instances", 'apply with a qm whose engine passes poolNodes to provisioners');
    // Nodes the docker driver took from this provisioner carry their providerID; others are found by address.
    const privateIps = this.privateIps(regionOf(this.opts, pool));
    const m = await mapNodes({ chosen: action.removeNodes, poolNodes: ctx.poolNodes, group: g, pool: pool.metadata.name, addressTemplate: this.opts.address, privateIps, signal: ctx.signal });
    if (m.unmapped.length) {
      throw new DriverError(this.name, host, describeAction(action), `cannot tell which instance ${m.unmapped.length === 1 ? 'node' : 'nodes'} ${m.unmapped.map((u) => `${u.node} is (${u.why})`).join('; ')}`, 'nothing was terminated; fix the mapping (docs/aws.md) and apply again');
    }
    for (const f of m.found) await withRetry(() => api.terminateInstance(f.instanceId, retry.signal), retry);
  }

  /** One clause saying what AWS answered, and how to fix it. */
  private explain(err: AwsCallError, group: string, action?: ScalePoolAction): { detail: string; hint?: string } {
    const op = err.operation;
    const ec2 = op === 'DescribeInstances';
    const permission = `${ec2 ? 'ec2' : 'autoscaling'}:${op}`;
    switch (err.kind) {
      case 'denied':
        return { detail: `AWS denied ${permission}${ec2 ? ` for the instances of ${group}` : ` on ${group}`} (${err.awsCode}: ${err.message})`, hint: `allow ${permission} ${ec2 ? '(Resource "*")' : 'on the group'} for the credentials qm runs with (docs/aws.md lists the minimal IAM policy)` };
      case 'credentials':
        return { detail: `no AWS credentials were found for ${op} (${err.message})`, hint: `set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE or spec.aws.profile${this.opts.profile ? ` (now '${this.opts.profile}')` : ''}, or run with an instance or task role` };
      case 'validation': {
        const above = action && /above max/i.test(err.message);
        const below = action && /(below min|min size)/i.test(err.message);
        const hint = above ? `raise the group's MaxSize to at least ${action.to}, or lower the pool's spec.size.max` : below ? "lower the group's MinSize, or raise the pool's spec.size.min" : 'check the group and the Driver settings, then apply again';
        return { detail: `AWS refused ${op} (ValidationError: ${err.message})`, hint };
      }
      case 'in-progress':
        return { detail: `the group was still busy with another scaling activity after ${(this.deps.retry ?? DEFAULT_BACKOFF).attempts} attempts of ${op} (ScalingActivityInProgress)`, hint: 'apply again once the activity has finished (aws autoscaling describe-scaling-activities)' };
      case 'throttled':
        return { detail: `AWS kept throttling ${op} after the SDK's retries (${err.awsCode})`, hint: 'apply again in a minute; lower how often qm reconciles if this repeats' };
      case 'unreachable':
        return { detail: `cannot reach the ${ec2 ? 'EC2' : 'Auto Scaling'} API for ${op} (${err.message})`, hint: 'check the network, the region and AWS_ENDPOINT_URL if set' };
      default:
        return { detail: `${op} failed (${err.awsCode}: ${err.message})` };
    }
  }

  async close(): Promise<void> {
    for (const a of this.apis.values()) a.close();
    this.apis.clear();
    for (const e of this.ec2s.values()) e.close();
    this.ec2s.clear();
  }
}

/** The registry's factory: a Driver document's `spec.aws`, or the defaults for the built-in `aws` type. */
export function createAwsDriver(name: string, store: HistoryStore, doc?: DriverDoc): AwsDriver {
  return new AwsDriver(name, store, awsOptions(doc));
}
