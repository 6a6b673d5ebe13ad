/** Lock helpers shared by both backends and by the commands that report contention. */
import { randomBytes } from 'node:crypto';
import { QmError } from '../model/errors.js';
import type { Lock } from './store.js';

/** 8 random bytes as hex: short enough to type into `qm force-unlock`, unguessable enough not to collide. */
export function newLockId(): string {
  return randomBytes(8).toString('hex');
}

/** "locked by <holder> since <time> (lock id <id>)" and how to get past it. */
export function lockedMessage(lock: Lock): { message: string; hint: string } {
  return {
    message: `locked by ${lock.holder} since ${lock.acquiredAt} (lock id ${lock.id})`,
    hint:
      `wait for it to finish; it expires by itself at ${lock.expiresAt}. ` +
      `If that process is gone for good, run \`qm force-unlock ${lock.id}\``,
  };
}

/** The QmError ('locked') a command throws when it cannot take `lock.name`. */
export function lockedError(lock: Lock): QmError {
  const { message, hint } = lockedMessage(lock);
  return new QmError('locked', `cannot take the "${lock.name}" lock: ${message}`, hint);
}

/**
 * Past its expiry, or with an expiry that cannot be read (a row edited by hand or damaged): such a
 * lock would otherwise never expire and block every apply until someone found `qm force-unlock`.
 */
export function isExpired(lock: Pick<Lock, 'expiresAt'>, now: Date): boolean {
  return expiryUnreadable(lock) || Date.parse(lock.expiresAt) <= now.getTime();
}

/** True when the lock's expiry is not a time; isExpired counts such a lock as expired. */
export function expiryUnreadable(lock: Pick<Lock, 'expiresAt'>): boolean {
  return Number.isNaN(Date.parse(lock.expiresAt));
}
