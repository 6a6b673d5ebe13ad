/**
 * The "Replay of the last 7 days" section of a pull request's plan comment: when the pull request
 * changes a ScalingPolicy, a Pool or an Agent's resources (and the fleet has a ScalingPolicy at
 * all), base and head are replayed over the recent metric history with `qm simulate` and the
 * comparison is shown collapsed. It never fails the pull request: a replay that cannot run says
 * why, in the section.
 */
import type { PolicySet } from '../model/documents.js';
import { runSimulate } from '../engine/simulate.js';
import type { EnginePort } from '../engine/ports.js';
import { renderSimulateMarkdown } from '../simulate/render-markdown.js';

/** At most this many steps: a longer window uses a longer step. */
const MAX_REPLAY_STEPS = 2016;
const STEP = 300;

const byName = <T extends { metadata: { name: string } }>(xs: readonly T[], f: (x: T) => unknown) =>
  JSON.stringify([...xs].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1)).map((x) => [x.metadata.name, f(x)]));

/** What a replay depends on: scaling policies, pools, and what each agent requests. */
function replayKey(p: PolicySet): string {
  return [byName(p.scalingPolicies, (d) => d.spec), byName(p.pools, (d) => d.spec), byName(p.agents, (d) => d.spec.resources)].join('\n');
}

/** True when a replay says something about this change. */
export function replayRelevant(base: PolicySet | undefined, head: PolicySet): boolean {
  if (head.scalingPolicies.length === 0 && (base?.scalingPolicies.length ?? 0) === 0) return false;
  return base === undefined || replayKey(base) !== replayKey(head);
}

export interface ReplayOptions {
  dir: string;
  baseSha: string;
  headSha: string;
  baseRef: string;
  /** ISO 8601: the window ends here (rounded down to the step). */
  now: string;
  /** Seconds of history to replay. */
  window: number;
  snapshot?: string | undefined;
  port?: EnginePort | undefined;
}

function windowName(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} day${seconds === 86400 ? '' : 's'}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  return `${Math.round(seconds / 60)} minutes`;
}

/** The collapsed section (markdown). */
export async function replaySection(o: ReplayOptions): Promise<string> {
  const step = Math.max(STEP, Math.ceil(o.window / MAX_REPLAY_STEPS / STEP) * STEP);
  const to = Math.floor(Date.parse(o.now) / 1000 / step) * step;
  const title = `Replay of the last ${windowName(o.window)}`;
  try {
    const report = await runSimulate({ dir: o.dir, ref: o.headSha, base: o.baseSha, snapshot: o.snapshot, store: o.port, from: to - o.window, to, step, nodeStartup: 180 });
    report.runs[0]!.ref = o.baseRef;
    report.runs[1]!.ref = 'this pull request';
    if (report.comparison) Object.assign(report.comparison, { base: o.baseRef, head: 'this pull request' });
    const md = renderSimulateMarkdown(report, { heading: 3 }).trimEnd();
    return `<details><summary>${title}: base and this pull request on the same metric history (qm simulate)</summary>\n\n${md}\n\n</details>`;
  } catch (e) {
    return `<details><summary>${title}: not available</summary>\n\nThe replay could not run: ${(e as Error).message}\n\n</details>`;
  }
}
