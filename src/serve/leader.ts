/**
 * One leader at a time among `qm serve` replicas sharing a state store: the leader holds the
 * `leader` lock (a lease) and renews it every lease/3; a follower tries to take it once every
 * interval, and the store hands it over once the leader's lease has lapsed (a leader killed with
 * -9 never releases it). A leader that cannot renew in time steps down on its own before its lease
 * ends, so two replicas never both believe they lead.
 */
import type { LockStore } from '../state/store.js';
import type { Logger } from './log.js';

export const LEADER_LOCK = 'leader';

export class Leadership {
  private lockId: string | undefined;
  private renewedAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly locks: LockStore,
    private readonly holder: string,
    private readonly leaseSeconds: number,
    private readonly log: Logger,
    private readonly onChange: (leader: boolean) => void,
  ) {}

  /** True while we hold the lock and its lease has not run out by our own clock. */
  get isLeader(): boolean {
    return this.lockId !== undefined && Date.now() - this.renewedAt < this.leaseSeconds * 1000;
  }

  /** Take the lock unless we hold it; true when we lead afterwards. Store errors propagate. */
  async tryAcquire(): Promise<boolean> {
    if (this.lockId !== undefined) {
      if (this.isLeader) return true;
      this.stepDown('the lease ran out before it could be renewed');
    }
    const started = Date.now();
    const got = await this.locks.acquire(LEADER_LOCK, this.holder, this.leaseSeconds, { role: 'qm serve' });
    if (!got.ok) return false;
    this.lockId = got.lock.id;
    this.renewedAt = started;
    this.log.log('info', 'became the leader', { lock: got.lock.id, lease_seconds: this.leaseSeconds, ...(got.replaced ? { took_over_from: got.replaced.holder } : {}) });
    this.timer = setInterval(() => void this.renew(), (this.leaseSeconds * 1000) / 3);
    this.timer.unref();
    this.onChange(true);
    return true;
  }

  private async renew(): Promise<void> {
    const id = this.lockId;
    if (id === undefined) return;
    const started = Date.now();
    try {
      const lock = await this.locks.renew(id, this.leaseSeconds);
      if (this.lockId !== id) return;
      if (lock) this.renewedAt = started;
      else this.stepDown('the leader lock was taken over or force-unlocked');
    } catch (e) {
      // The store is unreachable: keep trying until the lease would end, then step down (isLeader).
      this.log.log('warn', 'could not renew the leader lock', { error: (e as Error).message });
      if (!this.isLeader) this.stepDown('the lease ran out while the state store did not answer');
    }
  }

  private stepDown(reason: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.lockId = undefined;
    this.log.log('warn', 'no longer the leader', { reason });
    this.onChange(false);
  }

  /** Release the lock (on shutdown), so a follower takes over at its next try instead of after the lease. */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const id = this.lockId;
    this.lockId = undefined;
    if (id === undefined) return;
    this.onChange(false);
    await this.locks.release(id).catch((e: unknown) => this.log.log('warn', 'could not release the leader lock', { error: (e as Error).message }));
  }
}
