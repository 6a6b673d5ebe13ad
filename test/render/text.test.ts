/* eslint-disable no-control-regex -- these tests look for escape codes on purpose */
import { describe, expect, it } from 'vitest';
import { COLOR, PLAIN } from '../../src/render/color.js';
import {
  actionLines,
  actionsSection,
  blockedSection,
  clean,
  forecastsSection,
  headerLines,
  poolsSection,
  quotasSection,
  renderText,
  summaryLine,
  warningsSection,
  wrap,
} from '../../src/render/plan/text.js';
import type { Plan } from '../../src/render/plan/types.js';
import { aPlan, GiB, realisticPlan } from './builders.js';

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
const one = (build: (b: ReturnType<typeof aPlan>) => unknown): Plan => {
  const b = aPlan();
  build(b);
  return b.build();
};

describe('text: header', () => {
  it('names the plan, format, time and the short inputs', () => {
    const [first, second] = headerLines(realisticPlan(), PLAIN);
    expect(first).toMatch(/^Quartermaster plan sha256:[0-9a-f]{12} \(format 1\.0, made 2026-11-28T10:00:00Z\)$/);
    expect(second).toMatch(/policy sha256:[0-9a-f]{12} · commit 4f7c2e91b0d3 · state sha256:[0-9a-f]{12} · now 2026-11-28T10:00:00Z/);
  });
  it('says when there is no commit', () => {
    expect(headerLines(aPlan().with({ inputs: { ...aPlan().build().inputs, gitCommit: null } }).build(), PLAIN)[1]).toContain('commit none');
  });
});

describe('text: one line per action, with its symbol', () => {
  it.each([
    ['scale up', one((b) => b.scalePool('gpu', 4, 6, { reason: 'demand' })), ['  ~ a1 scale up pool gpu 4 → 6 nodes: +gpu-4, +gpu-5', '        demand']],
    ['scale down', one((b) => b.scalePool('gpu', 3, 2, { reason: 'idle' })), ['  ~ a1 scale down pool gpu 3 → 2 nodes: -gpu-2', '        idle']],
    [
      'place with a GPU share',
      one((b) => b.place('inf-7', 'gpu', 'gpu-1', { cpuMillis: 1000, memoryBytes: 8 * GiB, gpuMillis: 250 }, { gpuDevices: [2], score: 91, reason: 'shares GPU 2' })),
      ['  + a1 place inf-7 (inf) on gpu-1 in pool gpu', '        1 cpu, 8Gi memory, 0.25 gpu; GPU device 2, shared; score 91', '        shares GPU 2'],
    ],
    ['move', one((b) => b.move('chat-2', 'g-0', 'g-2', 'drain')), ['  ~ a1 move chat-2 (chat) g-0 → g-2', '        drain']],
    ['evict', one((b) => b.evict('scraper-7', 'g-1', 'preempted by r-1 (priority 80 > 20)')), ['  - a1 evict scraper-7 (scraper) from g-1', '        preempted by r-1 (priority 80 > 20)']],
    ['remove', one((b) => b.remove('chat-5', 'g-2', 'replicas 6 → 5')), ['  - a1 remove chat-5 (chat) from g-2', '        replicas 6 → 5']],
    ['scale agent', one((b) => b.scaleAgent('chat', 6, 5, 'quiet')), ['  ~ a1 scale agent chat 6 → 5 replicas', '        quiet']],
  ])('%s', (_, plan, lines) => {
    expect(actionLines(plan.actions[0]!, PLAIN, 80)).toEqual(lines);
  });

  it('colours + green, ~ yellow, - red, and the reason dim', () => {
    const plan = one((b) => b.place('a-0', 'p', 'p-0').move('b-0', 'p-0', 'p-1').remove('c-0', 'p-1'));
    const [place, move, remove] = plan.actions.map((a) => actionLines(a, COLOR, 80));
    expect(place![0]).toContain('\x1b[32m+\x1b[39m');
    expect(move![0]).toContain('\x1b[33m~\x1b[39m');
    expect(remove![0]).toContain('\x1b[31m-\x1b[39m');
    expect(remove![1]).toMatch(/^\x1b\[2m/);
  });

  it('groups actions under a heading per phase, in the plan’s order', () => {
    const out = actionsSection(realisticPlan(), PLAIN, 80).filter((l) => /^ {2}[A-Z]/.test(l));
    expect(out).toEqual(['  Scale up pools', '  Place', '  Move', '  Evict', '  Remove', '  Scale agents']);
  });

  it('wraps reasons to the width', () => {
    const lines = wrap('one two three four five six seven eight nine ten', 20, '    ');
    expect(lines).toEqual(['    one two three', '    four five six', '    seven eight nine', '    ten']);
    expect(lines.every((l) => l.length <= 20)).toBe(true);
  });
});

describe('text: blocked, pools, quotas, forecasts, warnings', () => {
  it('says a blocked instance’s node summary once, then each reason in its own words', () => {
    expect(blockedSection(realisticPlan(), PLAIN, 200)).toEqual([
      '2 instances cannot be placed:',
      '  ! finetune-2 (finetune): 0/12 nodes fit: 12 QuotaExceeded(ml-team: gpu)',
      '        QuotaExceeded: quota ml-team (owner ml): 19.5 gpu used + 2 gpu requested exceeds 20 gpu',
      '  ! trainer-0 (trainer): 0/12 nodes fit: 9 InsufficientResource(gpu), 3 UntoleratedTaint(spot=true)',
      '        InsufficientResource: 9 nodes lack gpu: it requests 4 gpu, the most free on one of them is 2 gpu',
      '        UntoleratedTaint: 3 nodes have a NoSchedule taint the instance does not tolerate: spot=true',
    ]);
  });

  it('draws before/after bars per pool, aligned, with overcommit called out', () => {
    const plan = one((b) => b.pool('gpu', [4, 6], { gpu: [100, 130], cpu: [0, 50] }).pool('general', [3, 3], { memory: [80, 60] }));
    expect(poolsSection(plan, PLAIN)).toEqual([
      'Pools, before → after:',
      '  gpu  4 → 6 nodes',
      '    cpu     [░░░░░░░░░░]   0% → [█████░░░░░]  50%',
      '    gpu     [██████████] 100% → [██████████] 130% overcommitted',
      '  general  3 → 3 nodes',
      '    memory  [████████░░]  80% → [██████░░░░]  60%',
    ]);
  });

  it('shows each quota’s use against its limits', () => {
    expect(quotasSection(realisticPlan(), PLAIN, 200)).toEqual([
      'Quotas, used after the plan / limit:',
      '  ml-team',
      '      cpu 88/128 (69%), memory 352Gi/512Gi (69%), gpu 19.5/20 (98%), agents 31/40 (78%)',
      '  chat-team',
      '      cpu 6.5/16 (41%), memory 13Gi/32Gi (41%)',
    ]);
  });

  it('sums up a forecast on one line', () => {
    expect(forecastsSection(realisticPlan(), PLAIN)).toEqual(['Forecasts:', '  Pool gpu-east · gpu-demand: holt-winters(season=1d), horizon 1h, expected 17 → 21.5 (upper 23.6), capacity 24']);
  });

  it('lists warnings', () => {
    expect(warningsSection(one((b) => b.warning('W1', 'mind the gap')), PLAIN, 80)).toEqual(['1 warning:', '  ! W1: mind the gap']);
  });
});

describe('text: summary line', () => {
  it.each([
    ['changes', realisticPlan(), 'Plan: 4 to place, 1 to move, 1 to evict, 1 to remove, 1 pool to scale, 1 agent to scale; 2 blocked.'],
    ['no changes', aPlan().build(), 'No changes. The fleet matches the policy.'],
    ['no changes but blocked', one((b) => b.blocked('x-0', [['QuotaExceeded', 'full']])), 'No changes, but 1 instance is blocked: the fleet cannot fully match the policy.'],
  ])('%s', (_, plan, line) => expect(summaryLine(plan, PLAIN)).toBe(line));
});

describe('renderText', () => {
  it('has no escape codes without colour, and the same text with colour once they are stripped', () => {
    const plain = renderText(realisticPlan(), PLAIN);
    const colour = renderText(realisticPlan(), COLOR);
    expect(plain).not.toMatch(/\x1b/);
    expect(colour).toMatch(/\x1b\[/);
    expect(strip(colour)).toBe(plain);
  });

  it('is deterministic', () => {
    expect(renderText(realisticPlan(), COLOR, { width: 100 })).toBe(renderText(realisticPlan(), COLOR, { width: 100 }));
  });

  it('ends with the summary line and a newline', () => {
    expect(renderText(aPlan().build(), PLAIN).endsWith('\n\nNo changes. The fleet matches the policy.\n')).toBe(true);
  });

  it('keeps wrapped reasons within the width', () => {
    const plan = one((b) => b.evict('x-0', 'n-0', 'word '.repeat(60)));
    const lines = renderText(plan, PLAIN, { width: 50 }).split('\n').filter((l) => l.startsWith('        word'));
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.every((l) => l.length <= 50)).toBe(true);
  });

  it('makes terminal control characters in names and reasons harmless', () => {
    expect(clean('evil\x1b[2J\x07name\nnext')).toBe('evil�[2J�name next');
    const plan = one((b) => b.evict('x\x1b]0;pwned\x07-0', 'n-0', 'bad\x1b[31m reason'));
    expect(renderText(plan, PLAIN)).not.toMatch(/[\x00-\x08\x0b-\x1f]/);
  });
});
