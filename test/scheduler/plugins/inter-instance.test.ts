import { describe, expect, it } from 'vitest';
import { makeAgent, makeInstance, makeNode } from '../builders.js';
import { harness } from '../harness.js';

const zones = [makeNode('a1').zone('a').obj(), makeNode('a2').zone('a').obj(), makeNode('b1').zone('b').obj(), makeNode('c1').zone('').obj()];

describe('agent affinity filter', () => {
  const cases: { name: string; placement: Parameters<ReturnType<typeof makeAgent>['placement']>[0]; labels?: Record<string, string>; want: Record<string, string> }[] = [
    {
      name: 'required affinity to the zone of db',
      placement: { agentAffinity: [{ selector: { matchLabels: { app: 'db' } }, topologyKey: 'zone', required: true, weight: 1 }] },
      want: { a1: 'Success', a2: 'Success', b1: 'AgentAffinityUnsatisfied', c1: 'AgentAffinityUnsatisfied' },
    },
    {
      name: 'required anti-affinity to the zone of db (no zone never excludes)',
      placement: { agentAntiAffinity: [{ selector: { matchLabels: { app: 'db' } }, topologyKey: 'zone', required: true, weight: 1 }] },
      want: { a1: 'AgentAntiAffinityConflict', a2: 'AgentAntiAffinityConflict', b1: 'Success', c1: 'Success' },
    },
    {
      name: 'preferred terms never filter',
      placement: { agentAntiAffinity: [{ selector: { matchLabels: { app: 'db' } }, topologyKey: 'zone', required: false, weight: 5 }] },
      want: { a1: 'Success', a2: 'Success', b1: 'Success', c1: 'Success' },
    },
    {
      name: 'first of a group matching its own selector',
      labels: { app: 'web' },
      placement: { agentAffinity: [{ selector: { matchLabels: { app: 'web' } }, topologyKey: 'zone', required: true, weight: 1 }] },
      want: { a1: 'Success', a2: 'Success', b1: 'Success', c1: 'AgentAffinityUnsatisfied' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const h = harness(
        {
          agents: [
            makeAgent('db').labelsOf({ app: 'db' }).req({ cpu: 0.1 }).obj(),
            makeAgent('x').labelsOf(c.labels ?? {}).req({ cpu: 0.1 }).placement(c.placement).obj(),
          ],
        },
        zones,
        [makeInstance('db-0', 'db', 'a1')],
      );
      expect(h.statuses('x-0')).toEqual(c.want);
    });
  }
  it('symmetry: an existing instance keeps matching newcomers out of its domain', () => {
    const h = harness(
      {
        agents: [
          makeAgent('db').labelsOf({ app: 'db' }).req({ cpu: 0.1 }).placement({ agentAntiAffinity: [{ selector: { matchLabels: { app: 'web' } }, topologyKey: 'zone', required: true, weight: 1 }] }).obj(),
          makeAgent('web').labelsOf({ app: 'web' }).req({ cpu: 0.1 }).obj(),
        ],
      },
      zones,
      [makeInstance('db-0', 'db', 'a1')],
    );
    expect(h.statuses('web-0')).toEqual({ a1: 'AgentAntiAffinityConflict', a2: 'AgentAntiAffinityConflict', b1: 'Success', c1: 'Success' });
  });
});

describe('topology spread filter', () => {
  it('skew counts only nodes passing node constraints, and excludes nodes without the key', () => {
    const h = harness(
      {
        agents: [
          makeAgent('web')
            .replicas(4)
            .req({ cpu: 0.1 })
            .placement({
              nodeAffinity: { required: { match: { '!=': [{ var: 'name' }, 'a2'] } } },
              topologySpread: [{ topologyKey: 'zone', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' }],
            })
            .obj(),
        ],
      },
      zones,
      [makeInstance('web-0', 'web', 'a2'), makeInstance('web-1', 'web', 'a2'), makeInstance('web-2', 'web', 'b1')],
    );
    // a2 is not eligible, so zone a counts 0 and zone b counts 1: only zone a may take the next one.
    expect(h.statuses('web-3')).toEqual({ a1: 'Success', a2: 'NodeAffinityMismatch', b1: 'TopologySpreadViolation', c1: 'TopologySpreadViolation' });
  });
});
