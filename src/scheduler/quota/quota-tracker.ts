/**
 * Quotas with Kueue's semantics: each Quota limits one owner within its scope (pools, tiers);
 * members of a cohort may borrow each other's unused quota up to borrowingLimit, and lend at
 * most lendingLimit of their own. Usage counts placed and planned instances.
 */
import type { PoolDoc, QuotaDoc } from '../../model/documents.js';
import { formatResource } from '../../model/quantity.js';
import type { ResourceIndex } from '../framework/resources.js';
import type { Pod } from '../framework/workload.js';

interface QuotaState {
  doc: QuotaDoc;
  /** Per resource; NaN = not limited. The extra last slot is `agents`. */
  limit: Float64Array;
  borrow: Float64Array;
  /** Own quota that may be lent to the cohort (NaN limit → 0). */
  lendable: Float64Array;
  usage: Float64Array;
  cohort?: QuotaState[];
}

export type QuotaCheck = { ok: true } | { ok: false; quota: string; resource: string; message: string };

const OK: QuotaCheck = { ok: true };

export class QuotaTracker {
  private readonly states: QuotaState[] = [];
  private readonly applicable = new Map<string, QuotaState[]>();
  private readonly agentsSlot: number;

  constructor(
    quotas: QuotaDoc[],
    private readonly res: ResourceIndex,
    private readonly pools: Map<string, PoolDoc>,
  ) {
    this.agentsSlot = res.size;
    const cohorts = new Map<string, QuotaState[]>();
    for (const doc of quotas) {
      const limit = this.vec(doc.spec.limits, NaN);
      const borrow = this.vec(doc.spec.borrowingLimit, Infinity);
      const lendCap = this.vec(doc.spec.lendingLimit, Infinity);
      const lendable = new Float64Array(limit.length);
      for (let i = 0; i < limit.length; i++) lendable[i] = Number.isNaN(limit[i]!) ? 0 : Math.min(limit[i]!, lendCap[i]!);
      const st: QuotaState = { doc, limit, borrow, lendable, usage: new Float64Array(limit.length) };
      if (doc.spec.cohort) {
        const members = cohorts.get(doc.spec.cohort) ?? [];
        members.push(st);
        cohorts.set(doc.spec.cohort, members);
        st.cohort = members;
      }
      this.states.push(st);
    }
  }

  private vec(list: Record<string, number> | undefined, absent: number): Float64Array {
    const v = new Float64Array(this.res.size + 1).fill(absent);
    if (!list) return v;
    for (const [k, x] of Object.entries(list)) {
      if (k === 'agents') v[this.agentsSlot] = x;
      else {
        const i = this.res.indexOf(k);
        if (i !== undefined) v[i] = x;
      }
    }
    return v;
  }

  /** Quotas that count an instance of `owner` on a node of `pool`. */
  private statesFor(owner: string, pool: string): QuotaState[] {
    const key = `${owner}\u0000${pool}`;
    let list = this.applicable.get(key);
    if (!list) {
      const tier = this.pools.get(pool)?.spec.tier ?? 'silver';
      list = this.states.filter((q) => {
        if (q.doc.spec.owner !== owner) return false;
        const scope = q.doc.spec.scope;
        if (scope?.pools && !scope.pools.includes(pool)) return false;
        if (scope?.tiers && !(scope.tiers as string[]).includes(tier)) return false;
        return true;
      });
      this.applicable.set(key, list);
    }
    return list;
  }

  /** Whether every quota counting the instance on a node of `pool` admits it; never partial. */
  check(pod: Pod, pool: string): QuotaCheck {
    if (this.states.length === 0) return OK;
    const list = this.statesFor(pod.agent.doc.spec.owner, pool);
    for (const q of list) {
      for (let i = 0; i <= this.agentsSlot; i++) {
        const r = i === this.agentsSlot ? 1 : pod.req[i]!;
        if (r <= 0) continue;
        const lim = q.limit[i]!;
        if (Number.isNaN(lim)) continue;
        const used = q.usage[i]!;
        const after = used + r;
        // Within the own non-lendable part nothing else can hold it; above it, in a cohort, the
        // lendable part may be lent out: as in Kueue, the own limit is only guaranteed through
        // reclaimWithinCohort, so the cohort check below applies up to the own limit too.
        if (after <= lim - (q.cohort ? q.lendable[i]! : 0)) continue;
        const name = i === this.agentsSlot ? 'agents' : this.res.keys[i]!;
        if (!q.cohort) return this.failure(q, name, i, used, r, `limit ${this.fmt(i, lim)}`);
        const borrow = q.borrow[i]!;
        if (after > lim + borrow) return this.failure(q, name, i, used, r, `limit ${this.fmt(i, lim)} + borrowingLimit ${this.fmt(i, borrow)}`);
        // Cohort: what members use beyond their non-lendable part must fit in what they lend.
        let borrowed = 0;
        let pool2 = 0;
        for (const m of q.cohort) {
          const l = m.limit[i]!;
          if (Number.isNaN(l)) continue;
          const u = m === q ? after : m.usage[i]!;
          borrowed += Math.max(0, u - (l - m.lendable[i]!));
          pool2 += m.lendable[i]!;
        }
        if (borrowed > pool2) {
          const within = after <= lim ? `its own limit ${this.fmt(i, lim)} is lent to cohort ${q.doc.spec.cohort}` : `limit ${this.fmt(i, lim)}, and cohort ${q.doc.spec.cohort} lends only ${this.fmt(i, pool2)}`;
          return this.failure(q, name, i, used, r, `${within} (members would use ${this.fmt(i, borrowed)} of the ${this.fmt(i, pool2)} they lend)`);
        }
      }
    }
    return OK;
  }

  private fmt(i: number, v: number): string {
    if (!Number.isFinite(v)) return 'unlimited';
    return i === this.agentsSlot ? `${v} agents` : formatResource(this.res.keys[i]!, v);
  }

  private failure(q: QuotaState, name: string, i: number, used: number, r: number, limit: string): QuotaCheck {
    return {
      ok: false,
      quota: q.doc.metadata.name,
      resource: name === 'agents' ? 'agents' : name,
      message: `quota ${q.doc.metadata.name} (owner ${q.doc.spec.owner}): ${this.fmt(i, used)} used + ${this.fmt(i, r)} requested exceeds ${limit}`,
    };
  }

  /**
   * Kueue's reclaimWithinCohort for an instance the quotas refuse on `pool`: when every quota
   * counting it would stay within its own limit (the nominal quota) and the refusal comes from a
   * cohort member borrowing, the refusing quota's policy and which placed instances may be taken
   * back — those counted by another member that borrows a resource the instance requests.
   */
  reclaimable(pod: Pod, pool: string): { policy: 'LowerPriority' | 'Any'; quota: string; isVictim: (v: Pod, vPool: string) => boolean } | undefined {
    if (this.states.length === 0) return undefined;
    const owner = pod.agent.doc.spec.owner;
    const list = this.statesFor(owner, pool);
    for (const q of list) {
      for (let i = 0; i <= this.agentsSlot; i++) {
        const r = i === this.agentsSlot ? 1 : pod.req[i]!;
        if (r > 0 && !Number.isNaN(q.limit[i]!) && q.usage[i]! + r > q.limit[i]!) return undefined;
      }
    }
    const c = this.check(pod, pool);
    if (c.ok) return undefined;
    const q = list.find((x) => x.doc.metadata.name === c.quota);
    const policy = q?.doc.spec.reclaimWithinCohort ?? 'Never';
    if (!q?.cohort || policy === 'Never') return undefined;
    const members = q.cohort.filter((m) => m !== q);
    const borrowing = (m: QuotaState) => {
      for (let i = 0; i <= this.agentsSlot; i++) {
        const r = i === this.agentsSlot ? 1 : pod.req[i]!;
        if (r > 0 && !Number.isNaN(m.limit[i]!) && m.usage[i]! > m.limit[i]!) return true;
      }
      return false;
    };
    const isVictim = (v: Pod, vPool: string) => {
      const vOwner = v.agent.doc.spec.owner;
      if (vOwner === owner) return false;
      const counted = this.statesFor(vOwner, vPool);
      return members.some((m) => counted.includes(m) && borrowing(m));
    };
    return { policy, quota: q.doc.metadata.name, isVictim };
  }

  add(pod: Pod, pool: string, sign = 1): void {
    if (this.states.length === 0) return;
    for (const q of this.statesFor(pod.agent.doc.spec.owner, pool)) {
      for (let i = 0; i < this.agentsSlot; i++) q.usage[i]! += sign * pod.req[i]!;
      q.usage[this.agentsSlot]! += sign;
    }
  }

  remove(pod: Pod, pool: string): void {
    this.add(pod, pool, -1);
  }

  /** Used and limits per quota in canonical units, for the plan's `quotas` section. */
  report(): { name: string; used: Record<string, number>; limits: Record<string, number> }[] {
    return this.states.map((q) => {
      const used: Record<string, number> = {};
      const limits: Record<string, number> = {};
      for (let i = 0; i <= this.agentsSlot; i++) {
        const key = i === this.agentsSlot ? 'agents' : this.res.keys[i]!;
        if (!Number.isNaN(q.limit[i]!)) {
          limits[key] = q.limit[i]!;
          used[key] = q.usage[i]!;
        }
      }
      return { name: q.doc.metadata.name, used, limits };
    });
  }
}
