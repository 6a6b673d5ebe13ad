/**
 * The exec driver: any driver or provisioner as an external program speaking SPEC §8's JSON-RPC
 * protocol (docs/plugins.md). One program per driver per command, started on first use and
 * initialized once; every failure is one sentence naming the driver, the program and the method.
 */
import { templateDigest } from '../../model/digest.js';
import type { DriverDoc, PolicySet, PoolDoc } from '../../model/documents.js';
import type { PlanAction } from '../../model/plan.js';
import type { ApplyContext, Driver, DriverCapabilities, DriverContext, Health, Observation } from '../contract.js';
import { actionHost, describeAction, DriverError } from '../contract.js';
import type { SimStore } from '../sim/store.js';
import { AnswerProblem, healthAnswer, initializeAnswer, observeAnswer } from './answers.js';
import type { ExecOptions } from './options.js';
import { execOptions, programEnv, resolveCommand } from './options.js';
import { RpcFailureError, RpcProcess } from './process.js';

type HistoryStore = Pick<SimStore, 'scalingHistory' | 'appendScaling'>;

export const PROTOCOL_VERSION = '1';

/** A failure of the program, worded around it rather than around a host: "driver x (prog): observe failed: …". */
export class ExecDriverError extends DriverError {
  constructor(driver: string, program: string, method: string, detail: string, hint?: string, host?: string) {
    super(driver, host ?? program, method, detail, hint);
    this.message = host ? `driver ${driver} (${program}): ${method} on ${host} failed: ${detail}` : `driver ${driver} (${program}): ${method} failed: ${detail}`;
    this.name = 'ExecDriverError';
  }
}

export interface ExecDriverDeps {
  /** The policy repository root: relative commands resolve against it, and the program runs there. */
  root: string;
  env?: Readonly<Record<string, string | undefined>>;
  log?: (line: string) => void;
}

export class ExecDriver implements Driver {
  readonly type = 'exec' as const;
  private proc: RpcProcess | undefined;
  private init: Promise<DriverCapabilities> | undefined;
  /**
   * What the program declared in `initialize`. Until then (the registry builds drivers before any
   * request) it is assumed able to do both; a program that cannot refuses the action itself, and
   * a scalePool to a program that declared scaleNodes: false is refused here.
   */
  private declared: DriverCapabilities | undefined;

  constructor(
    readonly name: string,
    private readonly opts: ExecOptions,
    private readonly store: HistoryStore,
    private readonly deps: ExecDriverDeps,
  ) {}

  get capabilities(): DriverCapabilities {
    return this.declared ?? { scaleNodes: true, placeOnNode: true };
  }

  /** The program's group id while it runs, for tests that check nothing is left behind. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  private error(method: string, detail: string, hint?: string, host?: string): ExecDriverError {
    return new ExecDriverError(this.name, this.opts.display, method, detail, hint, host);
  }

  /** Start the program and initialize it, once. */
  private ready(): Promise<DriverCapabilities> {
    if (!this.init) this.init = this.start();
    return this.init;
  }

  private async start(): Promise<DriverCapabilities> {
    if (this.opts.problems.length) throw this.error('initialize', this.opts.problems[0]!, 'correct the Driver document; qm validate checks it');
    const { env, missing } = programEnv(this.opts.env, this.deps.env ?? process.env);
    if (missing.length) {
      const m = missing[0]!;
      throw this.error('initialize', `spec.exec.env.${m.key} references the environment variable ${m.name}, which is not set`, `export ${m.name} before running qm`);
    }
    const log = this.deps.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    this.proc = new RpcProcess({
      command: resolveCommand(this.opts.command, this.deps.root),
      cwd: this.deps.root,
      env,
      timeoutMs: this.opts.timeoutMs,
      log: (line) => log(`driver ${this.name}: ${line}`),
    });
    const answer = await this.call('initialize', { protocolVersion: PROTOCOL_VERSION, driver: { name: this.name, settings: this.opts.settings } });
    const init = this.check('initialize', () => initializeAnswer(answer));
    this.declared = init.capabilities;
    return init.capabilities;
  }

  /**
   * One request. A JSON-RPC error the program answered becomes a DriverError on its data.host (for
   * apply, else the action's host); a program that stopped, hung or wrote garbage names the method.
   */
  private async call(method: string, params: unknown, action?: PlanAction): Promise<unknown> {
    try {
      return await this.proc!.request(method, params);
    } catch (e) {
      if (!(e instanceof RpcFailureError)) throw e;
      const f = e.failure;
      const hint = f.hint ?? hintFor(f.kind, this.opts.timeoutMs);
      if (action && f.kind === 'error' && f.code !== -32601) throw this.error(describeAction(action), f.detail, hint, f.host ?? actionHost(action));
      throw this.error(action ? `apply (${describeAction(action)})` : method, f.detail, hint, f.kind === 'error' ? f.host : undefined);
    }
  }

  private check<T>(method: string, parse: () => T): T {
    try {
      return parse();
    } catch (e) {
      if (e instanceof AnswerProblem) throw this.error(method, `the program's answer is malformed: ${e.message}`, 'see docs/plugins.md for the shape of each answer');
      throw e;
    }
  }

  async health(_ctx: DriverContext): Promise<Health> {
    try {
      await this.ready();
      const answer = await this.call('health', {});
      return this.check('health', () => healthAnswer(answer));
    } catch (e) {
      // Health never throws: a program that cannot start is unhealthy, said in one sentence.
      if (e instanceof DriverError) return { ok: false, message: e.message };
      throw e;
    }
  }

  async observe(ctx: DriverContext): Promise<Observation> {
    await this.ready();
    const answer = await this.call('observe', { pools: ctx.pools.map(poolInfo), now: ctx.now });
    const obs = this.check('observe', () => observeAnswer(answer, ctx.pools));
    fillRequests(obs.instances, ctx.policy);
    return { ...obs, warnings: obs.warnings.map((w) => `driver ${this.name}: ${w}`), scalingHistory: await this.store.scalingHistory() };
  }

  async apply(action: PlanAction, ctx: ApplyContext): Promise<void> {
    const label = describeAction(action);
    if (ctx.signal?.aborted) throw new DriverError(this.name, actionHost(action), label, 'the apply was interrupted before this action started');
    const caps = await this.ready();
    if (action.type === 'scalePool' && !caps.scaleNodes) {
      throw new DriverError(this.name, actionHost(action), label, `the program ${this.opts.display} declared that it cannot add or remove nodes (capabilities.scaleNodes: false)`, 'give the pool a provisioner that can scale, or make it static');
    }
    const params: Record<string, unknown> = { action, planId: ctx.planId, now: ctx.now };
    if (action.type === 'place' || action.type === 'move') {
      // The agent's template digest: kept by the program and observed back, it lets a changed Agent roll out.
      const agent = ctx.policy.agents.find((a) => a.metadata.name === action.agent);
      if (agent) params.template = templateDigest(agent);
    }
    if (action.type === 'scalePool') {
      const pool = ctx.policy.pools.find((p) => p.metadata.name === action.pool);
      if (pool) params.pool = poolInfo(pool);
      params.poolNodes = (ctx.poolNodes ?? []).filter((n) => n.pool === action.pool);
    }
    await this.call('apply', params, action);
    if (action.type === 'scalePool' || action.type === 'scaleAgent') {
      const target = action.type === 'scalePool' ? { kind: 'Pool' as const, name: action.pool } : { kind: 'Agent' as const, name: action.agent };
      await this.store.appendScaling({ target, at: ctx.now, from: action.from, to: action.to, planId: ctx.planId, reason: action.reason });
    }
  }

  async close(): Promise<void> {
    await this.proc?.close();
  }
}

function hintFor(kind: string, timeoutMs: number): string | undefined {
  switch (kind) {
    case 'exited': return 'run the program by hand to see why it stops; it must keep reading requests until shutdown';
    case 'timeout': return `raise spec.exec.timeout (now ${timeoutMs / 1000}s) if the program is merely slow`;
    case 'garbage': return 'the program must write only JSON-RPC answers to stdout, one per line, and its logs to stderr';
    case 'protocol': return 'see docs/plugins.md for the protocol';
    default: return undefined;
  }
}

function fillRequests(instances: Observation['instances'], policy: PolicySet): void {
  for (const i of instances) {
    if (Object.keys(i.requests).length) continue;
    const agent = policy.agents.find((a) => a.metadata.name === i.agent);
    if (agent) i.requests = { ...agent.spec.resources.requests };
  }
}

/** What a program learns of a pool: enough to name, place and count its machines. */
function poolInfo(p: PoolDoc): { name: string; region: string; zones: string[]; size: PoolDoc['spec']['size'] } {
  return { name: p.metadata.name, region: p.spec.region, zones: [...p.spec.zones], size: { ...p.spec.size } };
}


/** The registry's factory. */
export function createExecDriver(name: string, store: HistoryStore, doc: DriverDoc | undefined, deps: ExecDriverDeps): ExecDriver {
  return new ExecDriver(name, execOptions(doc), store, deps);
}
