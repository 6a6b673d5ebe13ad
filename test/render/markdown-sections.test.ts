import { describe, expect, it } from 'vitest';
import {
  actionRow,
  blockedItem,
  blockedSection,
  footerSection,
  forecastBlock,
  forecastsSection,
  poolDetails,
  quotasSection,
  summaryTable,
  titleSection,
  utilisationTable,
  warningsSection,
} from '../../src/render/plan/markdown.js';
import { groupByPool } from '../../src/render/plan/groups.js';
import type { Plan } from '../../src/render/plan/types.js';
import { aPlan, GiB, realisticPlan } from './builders.js';

const one = (build: (b: ReturnType<typeof aPlan>) => unknown): Plan => {
  const b = aPlan();
  build(b);
  return b.build();
};
/** Cells of a table row, split on pipes that are not escaped. */
const cells = (row: string) => row.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());

describe('markdown: title and summary', () => {
  it.each([
    ['changes', realisticPlan(), '### Quartermaster plan: 4 to place, 1 to move, 1 to evict, 1 to remove, 1 pool to scale, 1 agent to scale; 2 blocked'],
    ['no changes', aPlan().build(), '### Quartermaster plan: no changes, the fleet matches the policy'],
    ['only blocked', one((b) => b.blocked('x-0', [['QuotaExceeded', 'full']])), '### Quartermaster plan: no changes; 1 blocked'],
  ])('title: %s', (_, plan, title) => expect(titleSection(plan)).toBe(title));

  it('summary table: every change type with its count', () => {
    expect(summaryTable(realisticPlan()).split('\n').slice(2).map(cells)).toEqual([
      ['`+` place', '4'],
      ['`~` move', '1'],
      ['`-` evict', '1'],
      ['`-` remove', '1'],
      ['`~` scale pool', '1'],
      ['`~` scale agent', '1'],
      ['`!` blocked', '2'],
    ]);
  });
});

describe('markdown: per-pool details', () => {
  it.each([
    ['scalePool', one((b) => b.scalePool('gpu', 4, 6, { reason: 'demand' })), ['`~`', 'a1', 'scale up 4 → 6 nodes', '', '+gpu-4, +gpu-5', '', 'demand']],
    ['place', one((b) => b.place('inf-7', 'gpu', 'gpu-1', { cpuMillis: 1000, memoryBytes: 8 * GiB, gpuMillis: 250 }, { gpuDevices: [2], score: 91, reason: 'packed' })), ['`+`', 'a1', 'place', 'inf-7 (inf)', 'gpu-1', '1 cpu, 8Gi memory, 0.25 gpu; GPU device 2, shared', 'packed (score 91)']],
    ['move', one((b) => b.move('chat-2', 'g-0', 'g-2', 'drain')), ['`~`', 'a1', 'move', 'chat-2 (chat)', 'g-0 → g-2', '', 'drain']],
    ['evict', one((b) => b.evict('s-7', 'g-1', 'preempted (80 > 20)')), ['`-`', 'a1', 'evict', 's-7 (s)', 'g-1', '', 'preempted (80 &gt; 20)']],
    ['remove', one((b) => b.remove('chat-5', 'g-2', 'replicas 6 → 5')), ['`-`', 'a1', 'remove', 'chat-5 (chat)', 'g-2', '', 'replicas 6 → 5']],
    ['scaleAgent', one((b) => b.scaleAgent('chat', 6, 5, 'quiet')), ['`~`', 'a1', 'scale 6 → 5 replicas', 'chat', '', '', 'quiet']],
  ])('action row: %s', (_, plan, expected) => {
    expect(cells(actionRow(plan.actions[0]!))).toEqual(expected);
  });

  it.each([
    [[0, 0], '0%', '0%'],
    [[50, 100], '50%', '100%'],
    [[100, 130], '100%', '**130%** overcommitted'],
  ])('utilisation %j', ([current, planned], before, after) => {
    const table = utilisationTable({ name: 'p', nodes: { current: 2, planned: 3 }, utilizationPercent: { cpu: { current: current!, planned: planned! } } });
    expect(table.split('\n').slice(2).map(cells)).toEqual([['nodes', '2', '3'], ['cpu', before, after]]);
  });

  it('puts a pool in a collapsible block: summary, utilisation, actions', () => {
    const [gpu] = groupByPool(realisticPlan());
    const text = poolDetails(gpu!);
    expect(text.startsWith('<details><summary><b>gpu-east</b> · 4 → 6 nodes · 2.75 GPU stranded or fragmented · 5 actions</summary>\n\n| Resource | Before | After |')).toBe(true);
    expect(text.endsWith('\n\n</details>')).toBe(true);
    expect(text.match(/^\| `[+~-]` \|/gm)).toHaveLength(5);
  });

  it('shows the first n actions of a pool and says how many more', () => {
    const [gpu] = groupByPool(realisticPlan());
    const text = poolDetails(gpu!, 2);
    expect(text.match(/^\| `[+~-]` \|/gm)).toHaveLength(2);
    expect(text).toContain('_… 3 more actions in gpu-east not shown._');
    expect(text.endsWith('</details>')).toBe(true);
  });
});

describe('markdown: blocked', () => {
  it('one reason: inline, code in backticks', () => {
    expect(blockedItem({ instance: 'batch-9', agent: 'batch', reasons: [{ code: 'QuotaExceeded', message: 'quota ml-team is full' }] })).toBe('- **batch-9** (agent batch): `QuotaExceeded` quota ml-team is full');
  });
  it('the node summary once, then each reason in its own words', () => {
    expect(blockedItem(realisticPlan().blocked[1]!)).toBe(
      '- **trainer-0** (agent trainer): 0/12 nodes fit: 9 InsufficientResource(gpu), 3 UntoleratedTaint(spot=true)\n' +
        '  - `InsufficientResource` 9 nodes lack gpu: it requests 4 gpu, the most free on one of them is 2 gpu\n' +
        '  - `UntoleratedTaint` 3 nodes have a NoSchedule taint the instance does not tolerate: spot=true',
    );
  });
  it('several unrelated reasons: a nested list', () => {
    const item = blockedItem({ instance: 'a-0', agent: 'a', reasons: [{ code: 'QuotaExceeded', message: 'q' }, { code: 'DependencyNotPlaced', message: 'db-0' }] });
    expect(item.split('\n')).toEqual(['- **a-0** (agent a)', '  - `QuotaExceeded` q', '  - `DependencyNotPlaced` db-0']);
  });
  it('the section counts all and shows the first n', () => {
    const blocked = realisticPlan().blocked;
    expect(blockedSection(blocked).split('\n')[0]).toBe('### Blocked (2)');
    expect(blockedSection(blocked, 1)).toContain('_… 1 more blocked instance not shown._');
    expect(blockedSection([])).toBe('');
  });
});

describe('markdown: quotas, warnings, forecasts, footer', () => {
  it('quotas: one row per resource with use', () => {
    const rows = quotasSection(realisticPlan()).split('\n').slice(4).map(cells);
    expect(rows[0]).toEqual(['ml-team', 'cpu', '88', '128', '69%']);
    expect(rows[2]).toEqual(['ml-team', 'gpu', '19.5', '20', '98%']);
    expect(rows[4]).toEqual(['chat-team', 'cpu', '6.5', '16', '41%']);
    const over = quotasSection(one((b) => b.quota('q', { gpuMillis: 3000, cpuMillis: 1000 }, { gpuMillis: 2000 })));
    expect(over).toContain('| q | gpu | 3 | 2 | **150%** exceeded |');
    expect(over).toContain('| q | cpu | 1 | — | no limit |');
  });

  it('warnings: code in backticks, message escaped, first n', () => {
    const ws = [{ code: 'W1', message: 'a <b>' }, { code: 'W2', message: 'c' }];
    expect(warningsSection(ws)).toBe('### Warnings (2)\n\n- `W1` a &lt;b&gt;\n- `W2` c');
    expect(warningsSection(ws, 1)).toBe('### Warnings (2)\n\n- `W1` a &lt;b&gt;\n- _… 1 more warning not shown._');
  });

  it('forecasts: a heading, the facts, a Mermaid chart and its legend', () => {
    const text = forecastsSection(realisticPlan());
    expect(text).toContain('**Pool gpu-east · gpu-demand**: model `holt-winters(season=1d)`, horizon 1h');
    expect(text).toContain('```mermaid\n%%{init:');
    expect(text).toContain('Lines: history (dark blue), capacity (red), forecast (teal), upper bound (orange).');
    expect(forecastBlock({ model: 'm' })).toBe('**forecast**: model `m` (no points)');
    expect(forecastsSection(aPlan().build())).toBe('');
  });

  it('footer: short plan id, digests, commit, time', () => {
    const footer = footerSection(realisticPlan());
    expect(footer).toMatch(/^---\n\n<sub>plan `sha256:[0-9a-f]{12}` · format 1\.0 · policy `sha256:[0-9a-f]{64}` · commit 4f7c2e91b0d35a6c8e1f2a3b4c5d6e7f80912ab3 · state `sha256:[0-9a-f]{64}` · at 2026-11-28T10:00:00Z<\/sub>$/);
    const inputs = aPlan().build().inputs;
    expect(footerSection(aPlan().with({ inputs: { ...inputs, gitCommit: null } }).build())).toContain(' · no commit · ');
    expect(footerSection(aPlan().with({ inputs: { ...inputs, gitCommit: 'not`hex' } }).build())).toContain(' · commit `` not`hex `` · ');
  });
});
