/** What a pull request changes compared with main: the difference of two plans, in words. */
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/model/plan.js';
import { actionKey, blockedCause, describeDiff, diffPlans, diffSentence } from '../../src/github/plan-diff.js';
import { aPlan } from '../render/builders.js';

const asPlan = (p: unknown) => p as Plan;
const quota = (name: string): [string, string] => ['QuotaExceeded', `quota ${name} (owner ${name}): 8 gpu used + 1 gpu requested exceeds limit 8 gpu`];

describe('diffPlans', () => {
  const base = asPlan(aPlan().pool('gpu-east', [4, 4]).pool('general', [2, 2]).place('chat-0', 'general', 'general-0').place('chat-1', 'general', 'general-1').blocked('batch-0', [['InsufficientResource', 'cpu']]).build());
  const head = asPlan(
    aPlan()
      .pool('gpu-east', [4, 6])
      .pool('general', [2, 2])
      .scalePool('gpu-east', 4, 6, { add: ['gpu-east-4', 'gpu-east-5'] })
      .place('chat-0', 'general', 'general-0')
      .place('chat-1', 'general', 'general-0')
      .place('research-bot-0', 'gpu-east', 'gpu-east-4')
      .place('research-bot-1', 'gpu-east', 'gpu-east-5')
      .place('research-bot-2', 'gpu-east', 'gpu-east-5')
      .blocked('research-bot-3', [quota('ml-team')])
      .blocked('research-bot-4', [quota('ml-team')])
      .build(),
  );

  it('says what merging adds, scales, blocks and unblocks, priced by node cost', () => {
    const d = diffPlans(base, head, { costPerHour: { 'gpu-east': 3.2, general: 0.4 } });
    expect(describeDiff(d, 'main')).toEqual([
      'adds 3 placements',
      'places 1 instance on other nodes than main would',
      'scales gpu-east 4 → 6 (+6.40/h)',
      'blocks 2 instances on quota ml-team',
      'unblocks 1 instance',
    ]);
    expect(d.costPerHourDelta).toBe(6.4);
    expect(d.touchedPools).toEqual(['general', 'gpu-east']);
  });

  it('names the base branch it compares with, not main', () => {
    const d = diffPlans(head, base);
    expect(describeDiff(d, 'master')).toContain('places 1 instance on other nodes than master would');
    expect(describeDiff(d, 'master')).toContain('drops 3 placements master would make');
    expect(describeDiff(d, 'master').join(' ')).not.toContain('main');
  });

  it('counts a placement that only moved to another node apart from new ones', () => {
    const d = diffPlans(base, head);
    expect(d.replaced).toEqual([{ instance: 'chat-1', baseNode: 'general-1', headNode: 'general-0' }]);
    expect(d.added.map((a) => a.id)).toEqual(['a1', 'a4', 'a5', 'a6']);
    expect(d.dropped).toEqual([]);
  });

  it('a plan compared with itself is no difference', () => {
    const d = diffPlans(head, head);
    expect(describeDiff(d, 'main')).toEqual([]);
    expect(diffSentence(d, 'main')).toBe('no difference from main: merging changes nothing in the plan');
    expect(diffSentence(d, 'master')).toBe('no difference from master: merging changes nothing in the plan');
    expect(d.touchedPools).toEqual([]);
  });

  it.each([
    [{ base: undefined, head: 3 }, 'adds pool gpu-west with 3 nodes (+9.60/h)'],
    [{ base: 3, head: undefined }, 'removes pool gpu-west (3 nodes) (−9.60/h)'],
    [{ base: 5, head: 3 }, 'scales gpu-west 5 → 3 (−6.40/h)'],
  ])('pool node counts %j', (counts, phrase) => {
    const b = aPlan();
    const h = aPlan();
    if (counts.base !== undefined) b.pool('gpu-west', [counts.base, counts.base]);
    if (counts.head !== undefined) h.pool('gpu-west', [counts.head, counts.head]);
    expect(describeDiff(diffPlans(asPlan(b.build()), asPlan(h.build()), { costPerHour: { 'gpu-west': 3.2 } }), 'main')).toEqual([phrase]);
  });

  it('identifies actions by what they act on and where', () => {
    const p = asPlan(aPlan().place('chat-0', 'general', 'general-0').move('chat-1', 'general-0', 'general-1').scaleAgent('chat', 2, 3).build());
    expect(p.actions.map(actionKey)).toEqual(['place/chat-0@general-0', 'move/chat-1@general-0>general-1', 'scaleAgent/chat:2>3']);
  });

  const causes: [[string, string][], string][] = [
    [[quota('ml-team')], 'quota ml-team'],
    [[['QuotaExceeded', '0/8 nodes fit: 6 QuotaExceeded(ml-team: gpuMillis)']], 'quota ml-team'],
    [[['QuotaExceeded', 'over']], 'quota'],
    [[['NoPoolCanFit', 'no pool']], 'NoPoolCanFit'],
  ];
  it.each(causes)('blocked cause of %j is %s', (reasons, cause) => {
    expect(blockedCause({ instance: 'x-0', agent: 'x', reasons: reasons.map(([code, message]) => ({ code, message })) })).toBe(cause);
  });

  // As src/scheduler/blocked.ts writes them: reasons by node count, each message starting with the summary.
  const diagnosed = (summary: string, codes: string[], withSummary = true) => ({ instance: 'x-0', agent: 'x', reasons: codes.map((code) => ({ code, message: summary })), ...(withSummary ? { summary } : {}) });
  it.each<[string, string[], string]>([
    ['0/7 nodes fit: 6 NodeAffinityMismatch(placement.pools), 1 InsufficientResource(example.com/coral-tpu)', ['NodeAffinityMismatch', 'InsufficientResource', 'NoPoolCanFit'], 'InsufficientResource(example.com/coral-tpu)'],
    ['0/12 nodes fit: 8 InsufficientResource(gpu), 4 UntoleratedTaint(dedicated=ml:NoSchedule)', ['InsufficientResource', 'UntoleratedTaint'], 'InsufficientResource(gpu)'],
    ['0/12 nodes fit: 8 UntoleratedTaint(dedicated=ml:NoSchedule), 3 PoolNotActive(draining), 1 InsufficientResource(cpu, memory)', ['UntoleratedTaint', 'PoolNotActive', 'InsufficientResource'], 'PoolNotActive(draining)'],
    ['0/9 nodes fit: 6 NodeAffinityMismatch(placement.pools), 2 InsufficientResource(cpu, memory), 1 InsufficientResource(gpu)', ['NodeAffinityMismatch', 'InsufficientResource'], 'InsufficientResource(cpu, memory)'],
    ['0/6 nodes fit: 4 NodeAffinityMismatch(placement.pools), 2 UntoleratedTaint(dedicated=ml:NoSchedule)', ['NodeAffinityMismatch', 'UntoleratedTaint'], 'NodeAffinityMismatch(placement.pools)'],
  ])('blocked by what fails on the nodes the rules allow: %s', (summary, codes, cause) => {
    expect(blockedCause(diagnosed(summary, codes))).toBe(cause);
    // A plan without the summary field (format 1.0 before it): the same from the first message.
    expect(blockedCause(diagnosed(summary, codes, false))).toBe(cause);
  });
});
