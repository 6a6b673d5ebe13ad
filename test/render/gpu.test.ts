/** The stranded/fragmented GPU line (issue #13 item 4): shown only when it explains something. */
import { describe, expect, it } from 'vitest';
import { PLAIN } from '../../src/render/color.js';
import { gpuSentence, gpuToShow } from '../../src/render/plan/gpu.js';
import { poolDetails, poolSummaryLine } from '../../src/render/plan/markdown-sections.js';
import { poolsSection } from '../../src/render/plan/text.js';
import type { PoolSummary } from '../../src/render/plan/types.js';
import { aPlan } from './builders.js';

const gpu = (stranded: number, fragmented: number, blocked: number): PoolSummary['gpu'] => ({ capacityMillis: 8000, freeMillis: 4500, strandedMillis: stranded, fragmentedMillis: fragmented, blockedInstances: blocked });

describe('GPU packing line', () => {
  it.each([
    { name: 'stranded and fragmented with a blocked instance', g: gpu(2000, 300, 2), line: 'GPU 4.5 of 8 free after the plan: 2 stranded (node CPU or memory full), 0.3 fragmented (free shares too small); 2 GPU instances blocked' },
    { name: 'only fragmented', g: gpu(0, 1500, 0), line: 'GPU 4.5 of 8 free after the plan: 1.5 fragmented (free shares too small)' },
    { name: 'only a blocked instance', g: gpu(0, 0, 1), line: 'GPU 4.5 of 8 free after the plan; 1 GPU instance blocked' },
    { name: 'nothing to explain', g: gpu(0, 0, 0), line: undefined },
    { name: 'no GPU figures (an older plan)', g: undefined, line: undefined },
    { name: 'garbled figures from another writer', g: { capacityMillis: 8000, freeMillis: -1, strandedMillis: 1, fragmentedMillis: 0 }, line: undefined },
  ])('$name', ({ g, line }) => {
    const pool: PoolSummary = { name: 'gpu', nodes: { current: 2, planned: 2 }, ...(g ? { gpu: g } : {}) };
    const shown = gpuToShow(pool);
    expect(shown && gpuSentence(shown)).toBe(line);
  });

  it('the terminal shows it under the pool, the comment in the pool summary and details', () => {
    const plan = aPlan().pool('gpu', [2, 2], { gpu: [60, 60] }, gpu(2000, 300, 2)).pool('cpu', [1, 1], { cpu: [10, 10] }).build();
    const text = poolsSection(plan, PLAIN);
    expect(text).toContain('    GPU 4.5 of 8 free after the plan: 2 stranded (node CPU or memory full), 0.3 fragmented (free shares too small); 2 GPU instances blocked');
    expect(text.filter((l) => l.includes('GPU '))).toHaveLength(1);
    const pool = plan.pools![0]!;
    const group = { kind: 'pool' as const, name: 'gpu', pool, actions: [] };
    expect(poolSummaryLine(group)).toBe('<summary><b>gpu</b> · 2 nodes · 2.3 GPU stranded or fragmented · no actions</summary>');
    expect(poolDetails(group)).toContain('\n\nGPU 4.5 of 8 free after the plan: 2 stranded (node CPU or memory full), 0.3 fragmented (free shares too small); 2 GPU instances blocked.\n\n');
  });
});
