/** The store suite, part 1: the simulated cluster, scaling history, decision log and audit trail. */
import { describe, expect, test } from 'vitest';
import { clock, instance, node, rejection } from './builders.js';
import type { SuiteContext } from './store-suite.js';

export function dataTests({ fresh, open, h }: SuiteContext): void {
  describe('simulated cluster', () => {
    test('an unknown cluster is empty at revision 0', async () => {
      const { store } = await fresh();
      expect(await store.cluster.get('default')).toEqual({ name: 'default', revision: 0, nodes: [], instances: [] });
      expect(await store.cluster.list()).toEqual([]);
    });

    test('put and delete nodes and instances; each write bumps the revision; reads are sorted by name', async () => {
      const { store } = await fresh();
      expect(await store.cluster.putNode('default', node('gpu-east-1'))).toBe(1);
      expect(await store.cluster.putNode('default', node('gpu-east-0'))).toBe(2);
      expect(await store.cluster.putInstance('default', instance('chat-1', 'gpu-east-0', { gpuDevices: [0], startedAt: '2026-11-27T08:00:00Z' }))).toBe(3);
      expect(await store.cluster.putInstance('default', instance('chat-0', 'gpu-east-1'))).toBe(4);
      let c = await store.cluster.get('default');
      expect(c.revision).toBe(4);
      expect(c.nodes.map((n) => n.name)).toEqual(['gpu-east-0', 'gpu-east-1']);
      expect(c.nodes[0]).toEqual(node('gpu-east-0'));
      expect(c.instances).toEqual([instance('chat-0', 'gpu-east-1'), instance('chat-1', 'gpu-east-0', { gpuDevices: [0], startedAt: '2026-11-27T08:00:00Z' })]);

      // A put replaces: a move, and a node that turned not ready.
      await store.cluster.putInstance('default', instance('chat-0', 'gpu-east-0'));
      await store.cluster.putNode('default', node('gpu-east-1', { ready: false }));
      c = await store.cluster.get('default');
      expect(c.instances.find((i) => i.name === 'chat-0')?.node).toBe('gpu-east-0');
      expect(c.nodes.find((n) => n.name === 'gpu-east-1')?.ready).toBe(false);

      expect(await store.cluster.deleteInstance('default', 'chat-0')).toBe(7);
      expect(await store.cluster.deleteNode('default', 'gpu-east-1')).toBe(8);
      c = await store.cluster.get('default');
      expect(c.nodes.map((n) => n.name)).toEqual(['gpu-east-0']);
      expect(c.instances.map((i) => i.name)).toEqual(['chat-1']);
    });

    test('names sort byte-wise (the same order on both backends)', async () => {
      const { store } = await fresh();
      const names = ['b-10', 'B-2', 'a_1', 'a-1', 'a.1', 'Z', 'b-2'];
      await store.cluster.write('default', names.map((n) => ({ op: 'putNode' as const, node: node(n) })));
      expect((await store.cluster.get('default')).nodes.map((n) => n.name)).toEqual([...names].sort());
    });

    test('clusters are independent, each with its own revision', async () => {
      const { store, location } = await fresh();
      await store.cluster.putNode('east', node('e-0'));
      await store.cluster.putNode('east', node('e-1'));
      await store.cluster.putNode('west', node('w-0'));
      expect((await store.cluster.get('east')).revision).toBe(2);
      expect((await store.cluster.get('west')).revision).toBe(1);
      // revision() alone answers the same, and 0 for a cluster never written.
      expect([await store.cluster.revision('east'), await store.cluster.revision('west'), await store.cluster.revision('north')]).toEqual([2, 1, 0]);
      // Another handle's write is seen at once (a kept copy is checked against it).
      const other = await open(location);
      await other.cluster.putNode('west', node('w-1'));
      expect(await store.cluster.revision('west')).toBe(2);
      // A write without changes is no revision.
      await other.cluster.write('west', []);
      expect(await store.cluster.revision('west')).toBe(2);
      expect((await store.cluster.get('west')).nodes.map((n) => n.name)).toEqual(['w-0', 'w-1']);
      expect(await store.cluster.list()).toEqual(['east', 'west']);
    });

    test('a write of many changes is one revision, in any order within the write', async () => {
      const { store } = await fresh();
      const rev = await store.cluster.write('default', [
        { op: 'putInstance', instance: instance('chat-0', 'n-0') },
        { op: 'putNode', node: node('n-0') },
        { op: 'putNode', node: node('n-1') },
      ]);
      expect(rev).toBe(1);
      const c = await store.cluster.get('default');
      expect([c.nodes.length, c.instances.length]).toEqual([2, 1]);
    });

    test('a failing write rolls back entirely: nothing of it is left behind', async () => {
      const { store } = await fresh();
      await store.cluster.putNode('default', node('n-0'));
      const before = await store.cluster.get('default');
      const err = await rejection(
        store.cluster.write('default', [
          { op: 'putNode', node: node('n-new') },
          { op: 'putInstance', instance: instance('chat-0', 'n-0') },
          { op: 'putInstance', instance: instance('chat-1', 'n-missing') },
        ]),
      );
      expect(err.code).toBe('state');
      expect(err.message).toContain('chat-1 on n-missing');
      expect(await store.cluster.get('default')).toEqual(before);
    });

    test('a node with instances on it cannot be deleted', async () => {
      const { store } = await fresh();
      await store.cluster.write('default', [
        { op: 'putNode', node: node('n-0') },
        { op: 'putInstance', instance: instance('chat-0', 'n-0') },
      ]);
      const err = await rejection(store.cluster.deleteNode('default', 'n-0'));
      expect(err.message).toMatch(/instances would run on nodes that do not exist \(chat-0 on n-0\)/);
      expect(err.hint).toMatch(/remove or move its instances/);
      expect((await store.cluster.get('default')).revision).toBe(1);
      // Evict first, then the node can go — in one write.
      await store.cluster.write('default', [
        { op: 'deleteInstance', name: 'chat-0' },
        { op: 'deleteNode', name: 'n-0' },
      ]);
      expect((await store.cluster.get('default')).nodes).toEqual([]);
    });

    test('a write without changes is not a revision', async () => {
      const { store } = await fresh();
      expect(await store.cluster.write('default', [])).toBe(0);
      await store.cluster.putNode('default', node('n-0'));
      expect(await store.cluster.write('default', [], { expectRevision: 1 })).toBe(1);
      await expect(store.cluster.write('default', [], { expectRevision: 0 })).rejects.toThrow(/changed since revision 0/);
      expect((await store.cluster.get('default')).revision).toBe(1);
    });

    test('expectRevision refuses a write on a cluster that moved on', async () => {
      const { store } = await fresh();
      await store.cluster.putNode('default', node('n-0'));
      await store.cluster.putNode('default', node('n-1'));
      const err = await rejection(store.cluster.write('default', [{ op: 'deleteNode', name: 'n-0' }], { expectRevision: 1 }));
      expect(err.code).toBe('stale');
      expect(err.message).toContain('changed since revision 1 (it is at revision 2 now)');
      expect((await store.cluster.get('default')).nodes).toHaveLength(2);
      expect(await store.cluster.write('default', [{ op: 'deleteNode', name: 'n-0' }], { expectRevision: 2 })).toBe(3);
    });

    test('a reader sees one revision whole while another handle writes', async () => {
      const { location, store } = await fresh();
      const writer = await open(location);
      await writer.cluster.write('default', Array.from({ length: 200 }, (_, i) => ({ op: 'putNode' as const, node: node(`n-${i}`) })));
      const writes = Array.from({ length: 20 }, (_, k) =>
        writer.cluster.write('default', [{ op: 'putNode', node: node(`extra-${k}`) }, { op: 'putInstance', instance: instance(`chat-${k}`, `extra-${k}`) }]),
      );
      const reads = Array.from({ length: 20 }, () => store.cluster.get('default'));
      await Promise.all(writes);
      for (const c of await Promise.all(reads)) {
        // Revision r holds exactly r-1 extra nodes, each with its instance.
        expect(c.nodes.length - 200).toBe(c.revision - 1);
        expect(c.instances.length).toBe(c.revision - 1);
      }
    });
  });

  describe('scaling history', () => {
    test('append, then list by target and since, oldest first, with times normalised', async () => {
      const { store } = await fresh();
      const pool = { kind: 'Pool' as const, name: 'gpu-east' };
      await store.scaling.append({ target: pool, at: '2026-11-28T09:00:00Z', from: 2, to: 4, planId: 'sha256:a', reason: 'cpu 91% > 80%' });
      await store.scaling.append({ target: { kind: 'Agent', name: 'chat' }, at: '2026-11-28T09:30:00Z', from: 6, to: 5 });
      await store.scaling.append({ target: pool, at: '2026-11-28T10:00:00+01:00', from: 4, to: 3 }); // 09:00Z, appended later
      await store.scaling.append({ target: pool, at: '2026-11-28T11:00:00Z', from: 3, to: 6 });

      const all = await store.scaling.list();
      expect(all.map((e) => `${e.target.name} ${e.at} ${e.from}→${e.to}`)).toEqual([
        'gpu-east 2026-11-28T09:00:00.000Z 2→4',
        'gpu-east 2026-11-28T09:00:00.000Z 4→3',
        'chat 2026-11-28T09:30:00.000Z 6→5',
        'gpu-east 2026-11-28T11:00:00.000Z 3→6',
      ]);
      expect(all[0]).toEqual({ target: pool, at: '2026-11-28T09:00:00.000Z', from: 2, to: 4, planId: 'sha256:a', reason: 'cpu 91% > 80%' });
      expect(all[2]).toEqual({ target: { kind: 'Agent', name: 'chat' }, at: '2026-11-28T09:30:00.000Z', from: 6, to: 5 });
      expect((await store.scaling.list({ target: pool })).map((e) => e.to)).toEqual([4, 3, 6]);
      expect((await store.scaling.list({ target: pool, since: '2026-11-28T09:00:01Z' })).map((e) => e.to)).toEqual([6]);
      expect((await store.scaling.list({ since: '2026-11-28T09:30:00Z' })).map((e) => e.to)).toEqual([5, 6]);
      expect((await store.scaling.list({ target: pool, limit: 2 })).map((e) => e.to)).toEqual([3, 6]);
      expect(await store.scaling.list({ target: { kind: 'Agent', name: 'gpu-east' } })).toEqual([]);
    });

    test.each([
      ['a time that is not ISO 8601', { at: 'yesterday', from: 1, to: 2 }, '"yesterday"'],
      ['a count that is not a whole number', { at: '2026-11-28T09:00:00Z', from: 1, to: 2.5 }, "a scaling event's to must be a whole number ≥ 0, not 2.5"],
    ])('%s is refused', async (_what, event, message) => {
      const { store } = await fresh();
      const err = await rejection(store.scaling.append({ target: { kind: 'Pool', name: 'p' }, ...event }));
      expect(err.message).toContain(message);
      expect(await store.scaling.list()).toEqual([]);
    });
  });

  describe('decision log', () => {
    test('the latest decision per instance comes from the most recently recorded plan that mentions it', async () => {
      const c = clock();
      const { store } = await fresh({ now: c.now });
      const chosen = { node: 'gpu-east-4', score: 87, candidates: [{ node: 'gpu-east-4', score: 87 }, { node: 'gpu-east-1', score: 40 }] };
      await store.decisions.record('sha256:plan-a', { 'chat-0': chosen, 'batch-9': { blocked: ['QuotaExceeded'] } });
      c.advance(60);
      await store.decisions.record('sha256:plan-b', { 'chat-0': { node: 'gpu-east-1', score: 90 } });

      expect(await store.decisions.latest('chat-0')).toEqual({
        planId: 'sha256:plan-b',
        instance: 'chat-0',
        recordedAt: '2026-11-28T10:01:00.000Z',
        decision: { node: 'gpu-east-1', score: 90 },
      });
      expect((await store.decisions.latest('batch-9'))?.planId).toBe('sha256:plan-a');
      expect(await store.decisions.latest('nobody-0')).toBeUndefined();

      // The same plan recorded again (plans are deterministic) replaces it and becomes the latest.
      c.advance(60);
      await store.decisions.record('sha256:plan-a', { 'chat-0': chosen });
      const latest = await store.decisions.latest('chat-0');
      expect(latest?.planId).toBe('sha256:plan-a');
      expect(JSON.stringify(latest?.decision)).toBe(JSON.stringify(chosen)); // key order kept
      expect(await store.decisions.latest('batch-9')).toBeUndefined();
    });

    test('history: the decisions for an instance from every plan that mentions it, newest first', async () => {
      const c = clock();
      const { store } = await fresh({ now: c.now });
      await store.decisions.record('sha256:plan-a', { 'chat-0': { node: 'general-0' }, 'chat-1': { node: 'general-1' } });
      c.advance(60);
      await store.decisions.record('sha256:plan-b', { 'chat-1': { node: 'general-2' } });
      c.advance(60);
      await store.decisions.record('sha256:plan-c', { 'chat-0': { node: 'general-3' } });
      expect(await store.decisions.history('chat-0')).toEqual([
        { planId: 'sha256:plan-c', instance: 'chat-0', recordedAt: '2026-11-28T10:02:00.000Z', decision: { node: 'general-3' } },
        { planId: 'sha256:plan-a', instance: 'chat-0', recordedAt: '2026-11-28T10:00:00.000Z', decision: { node: 'general-0' } },
      ]);
      expect((await store.decisions.history('chat-0', 1)).map((r) => r.planId)).toEqual(['sha256:plan-c']);
      expect(await store.decisions.history('nobody-0')).toEqual([]);
      expect((await rejection(store.decisions.history('chat-0', -1))).message).toMatch(/number of decisions/);
    });

    test('prune keeps the decisions of the last N plans', async () => {
      const { store } = await fresh();
      for (const p of ['p1', 'p2', 'p3']) await store.decisions.record(p, { [`only-${p}`]: p, shared: p });
      expect(await store.decisions.prune(2)).toBe(1);
      expect(await store.decisions.latest('only-p1')).toBeUndefined();
      expect((await store.decisions.latest('only-p2'))?.decision).toBe('p2');
      expect((await store.decisions.latest('shared'))?.decision).toBe('p3');
    });
  });

  describe('applied plans (audit)', () => {
    test('record, list the latest N newest first, get by planId (the latest attempt)', async () => {
      const { store } = await fresh();
      const plan = { formatVersion: '1.0', planId: 'sha256:a', z: 1, actions: [{ id: 'a1', type: 'place' }], a: null };
      await store.audit.record({ planId: 'sha256:a', appliedAt: '2026-11-28T10:00:00Z', actor: 'ana@laptop', status: 'partial', plan, results: [{ id: 'a1', ok: false }] });
      await store.audit.record({ planId: 'sha256:b', appliedAt: '2026-11-28T10:05:00Z', actor: 'ci', status: 'applied', plan: { planId: 'sha256:b' }, results: [] });
      await store.audit.record({ planId: 'sha256:a', appliedAt: '2026-11-28T10:10:00Z', actor: 'ana@laptop', status: 'applied', plan, results: [{ id: 'a1', ok: true }] });

      const latest = await store.audit.latest(2);
      expect(latest.map((r) => `${r.planId} ${r.status}`)).toEqual(['sha256:a applied', 'sha256:b applied']);
      const a = await store.audit.get('sha256:a');
      expect(a).toEqual({ planId: 'sha256:a', appliedAt: '2026-11-28T10:10:00.000Z', actor: 'ana@laptop', status: 'applied', plan, results: [{ id: 'a1', ok: true }] });
      expect(JSON.stringify(a?.plan)).toBe(JSON.stringify(plan)); // the plan comes back byte for byte
      expect(await store.audit.get('sha256:none')).toBeUndefined();
      expect(await store.audit.latest(10)).toHaveLength(3);
    });

    test('an apply recorded as it starts: running with its lock id, results updated, then its end', async () => {
      const { store } = await fresh();
      const plan = { planId: 'sha256:r', actions: [{ id: 'a1' }, { id: 'a2' }] };
      const ref = await store.audit.start({ planId: 'sha256:r', appliedAt: '2026-11-28T10:00:00Z', actor: 'ci', plan, results: [], lockId: '00ff00ff00ff00ff' });
      expect(await store.audit.get('sha256:r')).toEqual({ planId: 'sha256:r', appliedAt: '2026-11-28T10:00:00.000Z', actor: 'ci', status: 'running', plan, results: [], lockId: '00ff00ff00ff00ff' });
      await store.audit.update(ref, { results: [{ id: 'a1', status: 'ok' }] });
      expect(await store.audit.get('sha256:r')).toMatchObject({ status: 'running', results: [{ id: 'a1', status: 'ok' }] });
      await store.audit.update(ref, { results: [{ id: 'a1', status: 'ok' }, { id: 'a2', status: 'failed' }], status: 'partial' });
      expect((await store.audit.latest(1))[0]).toMatchObject({ status: 'partial', results: [{ id: 'a1' }, { id: 'a2', status: 'failed' }] });
      expect((await rejection(store.audit.update(ref, { results: [], status: 'done' as 'applied' }))).message).toMatch(/one of applied, failed, partial/);
      expect((await rejection(store.audit.update('999999', { results: [] }))).message).toMatch(/the audit record 999999 of .* is gone/);
    });

    test('a store of schema 1 keeps its audit trail when migrated', async () => {
      const location = await h.fresh();
      const { SQLITE_MIGRATIONS } = await import('../../src/state/sqlite/migrations.js');
      const { POSTGRES_MIGRATIONS } = await import('../../src/state/postgres/migrations.js');
      const v1 = (h.name === 'sqlite' ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS).find((m) => m.version === 1)!;
      const json = h.name === 'sqlite' ? '' : '::json';
      await h.exec(
        location,
        `${v1.up};
        CREATE TABLE qm_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at ${h.name === 'sqlite' ? 'text' : 'timestamptz'} NOT NULL);
        INSERT INTO qm_schema_migrations VALUES (1, 'initial', '2026-11-01T00:00:00Z');
        INSERT INTO qm_applied_plans (plan_id, applied_at, actor, status, plan, results) VALUES ('sha256:old', '2026-11-01T00:00:00.000Z', 'ana', 'applied', '{"planId":"sha256:old"}'${json}, '[]'${json});`,
      );
      const store = await open(location);
      expect(await store.schemaVersion()).toBe(4);
      expect(await store.audit.get('sha256:old')).toEqual({ planId: 'sha256:old', appliedAt: '2026-11-01T00:00:00.000Z', actor: 'ana', status: 'applied', plan: { planId: 'sha256:old' }, results: [] });
      await store.audit.record({ planId: 'sha256:new', appliedAt: '2026-11-02T00:00:00Z', actor: 'ana', status: 'applied', plan: {}, results: [] });
      expect((await store.audit.latest(5)).map((r) => r.planId)).toEqual(['sha256:new', 'sha256:old']);
    });

    test('an unknown status is refused', async () => {
      const { store } = await fresh();
      const err = await rejection(
        store.audit.record({ planId: 'p', appliedAt: '2026-11-28T10:00:00Z', actor: 'x', status: 'done' as 'applied', plan: {}, results: {} }),
      );
      expect(err.message).toMatch(/one of applied, failed, partial/);
    });
  });
}
