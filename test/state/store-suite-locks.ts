/** The store suite, part 2: locks, and the store shared by separate OS processes (races, crashes). */
import { describe, expect, test } from 'vitest';
import { lockedError, lockedMessage } from '../../src/state/index.js';
import type { AcquireResult } from '../../src/state/index.js';
import { clock, node, rejection } from './builders.js';
import { startChild } from './harness.js';
import type { SuiteContext } from './store-suite.js';

export function lockAndProcessTests({ h, fresh, open }: SuiteContext): void {
  describe('locks', () => {
    test('acquire, contend, release, acquire again', async () => {
      const c = clock();
      const { store } = await fresh({ now: c.now });
      const first = await store.locks.acquire('apply', 'ana@laptop (pid 12)', 600, { command: 'apply' });
      expect(first.ok).toBe(true);
      if (!first.ok) return;
      expect(first.lock).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{16}$/),
        name: 'apply',
        holder: 'ana@laptop (pid 12)',
        info: { command: 'apply' },
        acquiredAt: '2026-11-28T10:00:00.000Z',
        expiresAt: '2026-11-28T10:10:00.000Z',
      });
      expect(first.replaced).toBeUndefined();

      const second = await store.locks.acquire('apply', 'ci', 600);
      expect(second).toEqual({ ok: false, heldBy: first.lock });
      // Another name is another lock.
      expect((await store.locks.acquire('pool/gpu-east', 'ci', 600)).ok).toBe(true);

      expect(await store.locks.release(first.lock.id)).toBe(true);
      expect(await store.locks.release(first.lock.id)).toBe(false);
      const third = await store.locks.acquire('apply', 'ci', 600);
      expect(third.ok && third.lock.holder).toBe('ci');
    });

    test('the locked message names holder, time and id, and how to force-unlock', async () => {
      const { store } = await fresh({ now: clock().now });
      const r = (await store.locks.acquire('apply', 'ana@laptop', 60)) as Extract<AcquireResult, { ok: true }>;
      const { message, hint } = lockedMessage(r.lock);
      expect(message).toBe(`locked by ana@laptop since 2026-11-28T10:00:00.000Z (lock id ${r.lock.id})`);
      expect(hint).toContain(`qm force-unlock ${r.lock.id}`);
      const err = lockedError(r.lock);
      expect(err.code).toBe('locked');
      expect(err.message).toBe(`cannot take the "apply" lock: ${message}`);
    });

    test('a stale lock is taken over; the old holder can neither renew nor release it', async () => {
      const c = clock();
      const { location, store } = await fresh({ now: c.now });
      const old = (await store.locks.acquire('apply', 'crashed', 30)) as Extract<AcquireResult, { ok: true }>;
      c.advance(29);
      expect((await store.locks.acquire('apply', 'ci', 30)).ok).toBe(false);
      c.advance(1);
      const other = await open(location, { now: c.now });
      const taken = await other.locks.acquire('apply', 'ci', 30);
      expect(taken.ok).toBe(true);
      if (!taken.ok) return;
      expect(taken.replaced).toEqual(old.lock);
      expect(taken.lock.id).not.toBe(old.lock.id);
      expect(await store.locks.renew(old.lock.id, 30)).toBeUndefined();
      expect(await store.locks.release(old.lock.id)).toBe(false);
      expect((await store.locks.list()).map((l) => l.holder)).toEqual(['ci']);
    });

    test('renew extends a held lock', async () => {
      const c = clock();
      const { store } = await fresh({ now: c.now });
      const r = (await store.locks.acquire('apply', 'reconciler', 60)) as Extract<AcquireResult, { ok: true }>;
      c.advance(50);
      const renewed = await store.locks.renew(r.lock.id, 60);
      expect(renewed).toEqual({ ...r.lock, expiresAt: '2026-11-28T10:01:50.000Z' });
      c.advance(50); // 100 s after acquiring: expired without the renewal
      expect((await store.locks.acquire('apply', 'ci', 60)).ok).toBe(false);
      expect(await store.locks.renew('0000000000000000', 60)).toBeUndefined();
      await expect(store.locks.renew(r.lock.id, 0)).rejects.toThrow(/positive number of seconds/);
    });

    test('force-unlock returns the released lock, then nothing; list shows every lock by name', async () => {
      const { store } = await fresh({ now: clock().now });
      const a = (await store.locks.acquire('pool/gpu-east', 'pr-12', 60, { pr: 12 })) as Extract<AcquireResult, { ok: true }>;
      await store.locks.acquire('apply', 'ci', 60);
      expect((await store.locks.list()).map((l) => `${l.name} ${l.holder}`)).toEqual(['apply ci', 'pool/gpu-east pr-12']);
      expect(await store.locks.forceUnlock(a.lock.id)).toEqual(a.lock);
      expect(await store.locks.forceUnlock(a.lock.id)).toBeUndefined();
      expect((await store.locks.list()).map((l) => l.name)).toEqual(['apply']);
    });

    test('a store kept busy by another connection: a clear error after the busy timeout, not a hang', async () => {
      const { location } = await fresh();
      const store = await open(location, { busyTimeoutMs: 300 });
      const release = await h.holdWriteLock(location);
      try {
        const started = Date.now();
        const err = await rejection(store.locks.acquire('apply', 'ci', 60));
        expect(err.code).toBe('state');
        expect(err.message).toMatch(/is busy: another process kept/);
        expect(Date.now() - started).toBeLessThan(5000);
        await expect(store.cluster.putNode('default', node('n-0'))).rejects.toThrow(/is busy/);
      } finally {
        await release();
      }
      expect((await store.locks.acquire('apply', 'ci', 60)).ok).toBe(true);
    });

    test('many acquirers on one handle at once: exactly one wins', async () => {
      const { store } = await fresh();
      const results = await Promise.all(Array.from({ length: 16 }, (_, i) => store.locks.acquire('apply', `h${i}`, 60)));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    });

    test('processes racing for the lock: exactly one wins, the others see the winner', async () => {
      const { location } = await fresh();
      for (let round = 0; round < 3; round++) {
        const children = Array.from({ length: 4 }, (_, i) => startChild(location, ['race', `process-${round}-${i}`]));
        try {
          for (const child of children) expect(await child.nextLine()).toBe('ready');
          for (const child of children) child.proc.stdin.end('go\n');
          const results = (await Promise.all(children.map((c) => c.nextLine()))).map((l) => JSON.parse(l) as AcquireResult);
          const winners = results.filter((r): r is Extract<AcquireResult, { ok: true }> => r.ok);
          expect(winners).toHaveLength(1);
          for (const r of results) if (!r.ok) expect(r.heldBy.id).toBe(winners[0]?.lock.id);
          expect(await Promise.all(children.map((c) => c.exited))).toEqual([0, 0, 0, 0]);
        } finally {
          for (const child of children) child.proc.kill('SIGKILL');
        }
        const store = await open(location);
        const [lock] = await store.locks.list();
        if (lock) await store.locks.forceUnlock(lock.id);
      }
    }, 60_000);
  });

  describe('processes and crashes', () => {
    test('writers in two processes: every write gets its own revision', async () => {
      const { location, store } = await fresh();
      const children = ['a', 'b'].map((p) => startChild(location, ['write', p, '25']));
      expect(await Promise.all(children.map((c) => c.exited))).toEqual([0, 0]);
      const c = await store.cluster.get('crash');
      expect(c.revision).toBe(50);
      expect(c.nodes).toHaveLength(50 * 20);
    }, 60_000);

    test('a writer killed mid-stream leaves only whole writes behind', async () => {
      const { location } = await fresh();
      const child = startChild(location, ['write', 'k', '0']);
      let seen = 0;
      while (seen < 30) seen = Number(await child.nextLine());
      child.proc.kill('SIGKILL');
      await child.exited;
      const store = await open(location);
      const c = await store.cluster.get('crash');
      expect(c.revision).toBeGreaterThanOrEqual(seen);
      expect(c.nodes).toHaveLength(c.revision * 20);
      // And the store takes writes again.
      expect(await store.cluster.putNode('crash', node('after'))).toBe(c.revision + 1);
    }, 60_000);
  });
}
