/**
 * Small plan builders for renderer tests (kube-scheduler's MakePod() style): start from an empty,
 * valid plan, add what the case needs; build() numbers the actions a1, a2, … and fills the summary.
 */
import type {
  BlockedInstance,
  Plan,
  PlanAction,
  PlanWarning,
  PoolSummary,
  QuotaSummary,
  Resources,
} from '../../src/render/plan/types.js';
import type { PlanAnomaly } from '../../src/model/plan.js';

type Unnumbered = PlanAction extends infer A ? (A extends PlanAction ? Omit<A, 'id'> : never) : never;

const HEX = '0123456789abcdef';
/** A fake but well-formed sha256 digest, derived from a seed word. */
export function digest(seed: string): string {
  let h = 2166136261;
  let out = '';
  for (let i = 0; out.length < 64; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i % seed.length) ^ i, 16777619) >>> 0;
    out += HEX[h & 15]!;
  }
  return `sha256:${out}`;
}

/** The agent of an instance named `<agent>-<ordinal>`. */
const agentOf = (instance: string) => instance.replace(/-\d+$/, '');

export const GiB = 2 ** 30;

export class PlanBuilder {
  private actions: Unnumbered[] = [];
  private blockedList: BlockedInstance[] = [];
  private poolList: PoolSummary[] = [];
  private quotaList: QuotaSummary[] = [];
  private forecastList: unknown[] = [];
  private warningList: PlanWarning[] = [];
  private overrides: Partial<Plan> = {};

  scalePool(pool: string, from: number, to: number, o: { add?: string[]; remove?: string[]; reason?: string } = {}): this {
    const add = o.add ?? (to > from ? Array.from({ length: to - from }, (_, i) => `${pool}-${from + i}`) : []);
    const remove = o.remove ?? (to < from ? Array.from({ length: from - to }, (_, i) => `${pool}-${from - 1 - i}`) : []);
    this.actions.push({ type: 'scalePool', pool, from, to, addNodes: add, removeNodes: remove, reason: o.reason ?? `pool ${pool} needs ${to} nodes` });
    return this;
  }

  place(instance: string, pool: string, node: string, requests: Resources = { cpuMillis: 1000, memoryBytes: 2 * GiB }, o: { agent?: string; gpuDevices?: number[]; score?: number; reason?: string } = {}): this {
    this.actions.push({
      type: 'place', instance, agent: o.agent ?? agentOf(instance), pool, node, requests,
      ...(o.gpuDevices ? { gpuDevices: o.gpuDevices } : {}),
      score: o.score ?? 80,
      reason: o.reason ?? `best score of the feasible nodes`,
    });
    return this;
  }

  move(instance: string, fromNode: string, toNode: string, reason = 'rebalance'): this {
    this.actions.push({ type: 'move', instance, agent: agentOf(instance), fromNode, toNode, reason });
    return this;
  }

  evict(instance: string, node: string, reason = 'preempted'): this {
    this.actions.push({ type: 'evict', instance, agent: agentOf(instance), node, reason });
    return this;
  }

  remove(instance: string, node: string, reason = 'replicas lowered'): this {
    this.actions.push({ type: 'remove', instance, agent: agentOf(instance), node, reason });
    return this;
  }

  scaleAgent(agent: string, from: number, to: number, reason = `replicas ${from} → ${to}`): this {
    this.actions.push({ type: 'scaleAgent', agent, from, to, reason });
    return this;
  }

  blocked(instance: string, reasons: [string, string][], agent = agentOf(instance), summary?: string): this {
    this.blockedList.push({ instance, agent, reasons: reasons.map(([code, message]) => ({ code, message })), ...(summary !== undefined ? { summary } : {}) });
    return this;
  }

  pool(name: string, nodes: [number, number], util: Record<string, [number, number]> = {}, gpu?: PoolSummary['gpu']): this {
    const utilizationPercent = Object.fromEntries(Object.entries(util).map(([k, [current, planned]]) => [k, { current, planned }]));
    this.poolList.push({ name, nodes: { current: nodes[0], planned: nodes[1] }, utilizationPercent, ...(gpu ? { gpu } : {}) });
    return this;
  }

  quota(name: string, used: Resources, limits: Resources): this {
    this.quotaList.push({ name, used, limits });
    return this;
  }

  forecast(f: unknown): this {
    this.forecastList.push(f);
    return this;
  }

  warning(code: string, message: string): this {
    this.warningList.push({ code, message });
    return this;
  }

  /** Fields set as given, after everything else (formatVersion, inputs, a wrong summary, …). */
  with(fields: Partial<Plan> & Record<string, unknown>): this {
    this.overrides = { ...this.overrides, ...fields };
    return this;
  }

  build(): Plan {
    const actions = this.actions.map((a, i) => ({ id: `a${i + 1}`, ...a }) as PlanAction);
    const count = (t: PlanAction['type']) => actions.filter((a) => a.type === t).length;
    const plan: Plan = {
      formatVersion: '1.0',
      planId: digest(`plan:${actions.length}:${this.blockedList.length}`),
      createdAt: '2026-11-28T10:00:00Z',
      inputs: { policyDigest: digest('policy'), gitCommit: '4f7c2e91b0d35a6c8e1f2a3b4c5d6e7f80912ab3', stateFingerprint: digest('state'), now: '2026-11-28T10:00:00Z' },
      changes: actions.length > 0,
      summary: {
        place: count('place'), move: count('move'), evict: count('evict'), remove: count('remove'),
        scalePool: count('scalePool'), scaleAgent: count('scaleAgent'), blocked: this.blockedList.length,
      },
      actions,
      blocked: this.blockedList,
      pools: this.poolList,
      quotas: this.quotaList,
      forecasts: this.forecastList,
      warnings: this.warningList,
    };
    return { ...plan, ...this.overrides };
  }
}

export const aPlan = () => new PlanBuilder();

/** Timestamps every `step` minutes from `start` (UTC, on 2026-11-28). */
function times(startHour: number, startMinute: number, count: number, step: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const m = startHour * 60 + startMinute + i * step;
    return `2026-11-28T${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:00Z`;
  });
}

/**
 * The example of docs/plan-output.md: three pools, a scale-up, placements with whole and shared
 * GPUs, a move, an eviction for preemption, a removal, two blocked instances (quota, taints), a forecast.
 */
export function realisticPlan(): Plan {
  const history = [12, 12.5, 13, 13.5, 14, 14, 14.5, 15, 15.5, 16, 16, 16.5];
  const forecast = [17, 17.5, 18, 18.5, 19, 19.5, 20, 20, 20.5, 21, 21, 21.5];
  return aPlan()
    .scalePool('gpu-east', 4, 6, { reason: 'pending GPU demand needs 6 nodes (utilization 6, predictive 5: the larger wins)' })
    .place('research-bot-3', 'gpu-east', 'gpu-east-4', { cpuMillis: 4000, memoryBytes: 32 * GiB, gpuMillis: 1000 }, { gpuDevices: [0], score: 87, reason: 'highest score of 6 feasible nodes (gpu packing 92, balance 81)' })
    .place('inference-7', 'gpu-east', 'gpu-east-1', { cpuMillis: 1000, memoryBytes: 8 * GiB, gpuMillis: 250 }, { gpuDevices: [2], score: 91, reason: 'shares GPU 2, which has 0.5 free' })
    .place('inference-8', 'gpu-east', 'gpu-east-1', { cpuMillis: 1000, memoryBytes: 8 * GiB, gpuMillis: 250 }, { gpuDevices: [2], score: 90, reason: 'shares GPU 2, which has 0.25 free' })
    .place('chat-6', 'general', 'general-2', { cpuMillis: 500, memoryBytes: GiB, networkMbps: 100 }, { score: 74, reason: 'spread across zones: eu-1b had the fewest chat instances' })
    .move('chat-2', 'general-0', 'general-2', 'general-0 is cordoned for maintenance')
    .evict('scraper-7', 'gpu-east-2', 'preempted by research-bot-1 (priority 80 > 20)')
    .remove('batch-worker-4', 'batch-spot-1', 'replicas 5 → 4')
    .scaleAgent('batch-worker', 5, 4, 'ScalingPolicy batch-queue: queue depth 12 per worker is below the target 20')
    .blocked('finetune-2', [['QuotaExceeded', 'quota ml-team (owner ml): 19.5 gpu used + 2 gpu requested exceeds 20 gpu']], 'finetune', '0/12 nodes fit: 12 QuotaExceeded(ml-team: gpu)')
    .blocked('trainer-0', [
      ['InsufficientResource', '9 nodes lack gpu: it requests 4 gpu, the most free on one of them is 2 gpu'],
      ['UntoleratedTaint', '3 nodes have a NoSchedule taint the instance does not tolerate: spot=true'],
    ], 'trainer', '0/12 nodes fit: 9 InsufficientResource(gpu), 3 UntoleratedTaint(spot=true)')
    .pool('gpu-east', [4, 6], { cpu: [78, 62], memory: [71, 58], gpu: [100, 79] }, { capacityMillis: 24000, freeMillis: 5000, strandedMillis: 2000, fragmentedMillis: 750, blockedInstances: 1 })
    .pool('general', [3, 3], { cpu: [64, 66], memory: [55, 56], network: [12, 14] })
    .pool('batch-spot', [3, 3], { cpu: [83, 68], memory: [70, 58] })
    .quota('ml-team', { cpuMillis: 88000, memoryBytes: 352 * GiB, gpuMillis: 19500, agents: 31 }, { cpuMillis: 128000, memoryBytes: 512 * GiB, gpuMillis: 20000, agents: 40 })
    .quota('chat-team', { cpuMillis: 6500, memoryBytes: 13 * GiB }, { cpuMillis: 16000, memoryBytes: 32 * GiB })
    .forecast({
      target: { kind: 'Pool', name: 'gpu-east' },
      series: 'gpu-demand',
      model: 'holt-winters(season=1d)',
      horizon: 3600,
      history: times(9, 0, 12, 5).map((timestamp, i) => ({ timestamp, value: history[i]! })),
      points: times(10, 5, 12, 5).map((timestamp, i) => ({ timestamp, value: forecast[i]!, lower: forecast[i]! - 1 - i * 0.1, upper: forecast[i]! + 1 + i * 0.1 })),
      capacity: 24,
    })
    .warning('CapacityHeadroomLow', 'pool gpu-east: the forecast upper bound reaches 23.6 of 24 GPUs within 1h')
    .build();
}

/** A plan with `actions` placements over three pools and `blocked` blocked instances, for the comment-size limit. */
export function hugePlan(actions: number, blocked = 0): Plan {
  const b = aPlan();
  const pools = ['gpu-east', 'general', 'batch-spot'];
  for (const p of pools) b.pool(p, [100, 100], { cpu: [50, 90], memory: [40, 80] });
  for (let i = 0; i < actions; i++) {
    const pool = pools[i % 3]!;
    b.place(`worker-${i}`, pool, `${pool}-${i % 100}`, { cpuMillis: 500, memoryBytes: GiB }, { reason: 'best score of 100 feasible nodes' });
  }
  for (let i = 0; i < blocked; i++) b.blocked(`stuck-${i}`, [['InsufficientResource', '0/300 nodes fit: 300 InsufficientResource(cpu)']]);
  return b.build();
}

/** A plan anomaly: gpu-demand above its forecast for 3 samples (override any field). */
export function anAnomaly(over: Partial<PlanAnomaly> = {}): PlanAnomaly {
  return {
    policy: 'gpu-east',
    target: { kind: 'Pool', name: 'gpu-east' },
    source: 'history',
    series: 'gpu-demand',
    metric: 'history/gpu-demand',
    direction: 'above',
    from: '2026-11-28T09:50:00Z',
    at: '2026-11-28T10:00:00Z',
    samples: 3,
    level: 0.95,
    model: 'holt-winters(season=1d)',
    observed: 27,
    expected: 17,
    lower: 16,
    upper: 18,
    deviation: 10,
    deviationPercent: 58.8,
    points: [
      { timestamp: '2026-11-28T09:50:00Z', value: 26, expected: 16.5, lower: 15.6, upper: 17.4 },
      { timestamp: '2026-11-28T09:55:00Z', value: 26.5, expected: 16.8, lower: 15.8, upper: 17.8 },
      { timestamp: '2026-11-28T10:00:00Z', value: 27, expected: 17, lower: 16, upper: 18 },
    ],
    ...over,
  };
}
