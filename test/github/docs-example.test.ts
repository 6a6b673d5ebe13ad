/**
 * docs/github.md shows the comments of one pull request "exactly as posted by the tests' local
 * GitHub run": this is that run, and the page must show what it posts (commit SHAs, plan ids and
 * digests differ from run to run and are compared as "<hex>").
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { FLEET, harness, researchAgent } from './harness.js';
import type { Harness } from './harness.js';

const DOC = path.join(ROOT, 'docs', 'github.md');
const hexless = (s: string) => s.replace(/\b[0-9a-f]{7,64}\b/g, '<hex>').trim();

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.cleanup();
});

/** The example: research-bot 2 → 10 replicas and gpu-east's floor 4 → 6 as #42, asked to apply before and after approval. */
async function exampleComments(x: Harness): Promise<string[]> {
  const head = await x.branch('more-research', { 'agents/research.yaml': researchAgent(10), 'pools/gpu.yaml': FLEET['pools/gpu.yaml']!.replace('min: 4', 'min: 6') });
  x.openPull(42, head);
  x.gh.permissions.set('bob', 'write');
  await x.run('plan', await x.pullRequestEvent(42, 'opened'), { now: '2026-11-28T10:00:00Z' });
  await x.run('comment', await x.commentEvent(42, '/qm apply', 'bob'), { now: '2026-11-28T10:01:00Z' });
  x.gh.review(42, 'carol', 'APPROVED');
  await x.run('comment', await x.commentEvent(42, '/qm apply', 'bob'), { now: '2026-11-28T10:02:00Z' });
  return x.gh.commentsOn(42).map((c) => c.body);
}

describe('docs/github.md', () => {
  it('shows the comments the example pull request really gets', async () => {
    const comments = await exampleComments(h);
    expect(comments).toHaveLength(3);
    const doc = hexless(readFileSync(DOC, 'utf8').slice(readFileSync(DOC, 'utf8').indexOf('## An example comment')));
    for (const body of comments) expect(doc).toContain(hexless(body));
  });
});
