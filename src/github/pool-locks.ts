/**
 * Per-pool locks across pull requests, kept in the shared state store as leases named
 * "pool/<name>" held by "<owner>/<repo>#<number>": a second pull request touching a locked pool
 * is told which one holds it. Taken at plan time, kept until merge, close or /qm unlock.
 */
import type { LockStore } from '../state/store.js';
import type { LockConflict } from './comment-sections.js';

/** A pull request's locks last this long without a new plan; every plan renews them. */
export const POOL_LOCK_TTL_SECONDS = 30 * 24 * 3600;

export const poolLockName = (pool: string) => `pool/${pool}`;
export const prHolder = (fullName: string, pr: number) => `${fullName}#${pr}`;

export interface LockOutcome {
  /** Pools this pull request holds after the call. */
  held: string[];
  conflicts: LockConflict[];
  /** Pools it held before and no longer needs: released. */
  released: string[];
}

/**
 * Hold exactly `pools` for `holder`: all or nothing. A pool another pull request holds is a
 * conflict, and then none of the newly taken locks is kept (two pull requests never deadlock on
 * each other's half). Locks the pull request held on pools it no longer touches are released.
 */
export async function lockPools(locks: LockStore, holder: string, pools: readonly string[], now: Date, ttl = POOL_LOCK_TTL_SECONDS): Promise<LockOutcome> {
  const wanted = [...new Set(pools)].sort();
  const taken: { pool: string; id: string }[] = [];
  const held: string[] = [];
  const conflicts: LockConflict[] = [];
  for (const pool of wanted) {
    const r = await locks.acquire(poolLockName(pool), holder, ttl, { pr: holder });
    if (r.ok) {
      taken.push({ pool, id: r.lock.id });
      held.push(pool);
    } else if (r.heldBy.holder === holder) {
      await locks.renew(r.heldBy.id, ttl);
      held.push(pool);
    } else conflicts.push({ pool, holder: r.heldBy.holder });
  }
  if (conflicts.length > 0) {
    for (const t of taken) await locks.release(t.id);
    const kept = new Set(taken.map((t) => t.pool));
    return { held: held.filter((p) => !kept.has(p)), conflicts, released: [] };
  }
  const keep = new Set(wanted);
  const released = await releasePrLocks(locks, holder, now, keep);
  return { held, conflicts, released };
}

/** Release every pool lock `holder` holds (except `keep`); returns the pools released. */
export async function releasePrLocks(locks: LockStore, holder: string, _now: Date, keep: ReadonlySet<string> = new Set()): Promise<string[]> {
  const out: string[] = [];
  for (const l of await locks.list()) {
    if (l.holder !== holder || !l.name.startsWith('pool/')) continue;
    const pool = l.name.slice('pool/'.length);
    if (keep.has(pool)) continue;
    if (await locks.release(l.id)) out.push(pool);
  }
  return out.sort();
}
