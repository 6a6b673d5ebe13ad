/**
 * The `qm` entry point: parse arguments, run one command, map errors to exit codes in one place.
 * Commands are imported lazily so each pays only for what it uses.
 */
import { parseArgs } from 'node:util';
import { QmError } from '../model/errors.js';
import type { CliIo } from './io.js';
import { processIo } from './io.js';
import { VERSION } from './version.js';

const USAGE = `qm — Quartermaster, a GitOps policy engine for fleets of AI agents

Usage:
  qm init [DIR] [--force] [--action OWNER/NAME@REF]
  qm validate [DIR] [--ref REF] [--format text|json|github|sarif]
  qm plan [DIR] [--ref REF] [--snapshot FILE] [--now TIME] [--format text|markdown|json]
          [--out FILE] [--detailed-exitcode] [--state LOC]
  qm apply [PLANFILE] [--dir DIR] [--auto-approve] [--concurrency N] [--state LOC]
  qm reconcile [DIR] [--interval 10m] [--mode report|fix] [--state LOC]
  qm serve [DIR] [--interval 1m] [--mode report|fix] [--listen 127.0.0.1:9464]
          [--git-pull REMOTE/BRANCH] [--lease 1m] [--usage-retention 8d] [--state LOC]
  qm status [DIR] [--format text|json] [--state LOC]
  qm explain INSTANCE [--dir DIR] [--state LOC]
  qm recommend [DIR] [--window 8d] [--min-history 24h] [--cpu-percentile 90]
          [--memory-percentile 95] [--margin 15%] [--tolerance 10%] [--now TIME]
          [--format text|json] [--write] [--detailed-exitcode] [--state LOC]
  qm force-unlock ID [--dir DIR] [--state LOC]
  qm forecast (--file CSV [--series S] | [DIR] --source NAME --series S|--query Q) --horizon 1h
          [--at TIME] [--format text|json] [--model NAME] [--level 0.95]
  qm simulate [DIR] --from TIME --to TIME [--step 5m] [--ref REF] [--base REF]
          [--node-startup 3m] [--snapshot FILE] [--format text|markdown|json]
          [--out FILE] [--chart FILE] [--state LOC]
  qm pr plan|apply|comment|drift [--repo OWNER/NAME] [--pr N] [--base REF] [--head REF]
          [--out FILE] [--state LOC] [--approvals N] [--max-plan-age 1h] [--replay-window 7d]

State store: --state LOC, else $QM_STATE, else DIR/.qm/state.db (SQLite);
a postgres://… location uses PostgreSQL.

Options:
  --debug     print stack traces of unexpected errors
  --version   print the version
  --help      print this help

Exit codes: 0 success, 1 invalid input or error; qm plan --detailed-exitcode: 0 no changes, 2 changes;
qm recommend --detailed-exitcode: 2 when requests should change (and --write was not given).
`;

type Handler = (positionals: string[], values: Record<string, string | boolean | undefined>, io: CliIo) => Promise<number>;

const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);
const need = (name: string, what: string, pos: string[]) => {
  if (pos[0] === undefined) throw new QmError('usage', `qm ${name} needs ${what}`, `qm ${name} ${what.toUpperCase().replace(/^AN? /, '')}`);
  return pos[0];
};

const COMMANDS: Record<string, { options: Record<string, { type: 'string' | 'boolean' }>; maxPositionals: number; run: Handler }> = {
  init: {
    options: { force: { type: 'boolean' }, action: { type: 'string' } },
    maxPositionals: 1,
    run: async (pos, v, io) => (await import('./commands/init.js')).initCommand({ dir: pos[0], force: v.force === true, action: str(v.action) }, io),
  },
  plan: {
    options: { ref: { type: 'string' }, snapshot: { type: 'string' }, now: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, 'detailed-exitcode': { type: 'boolean' }, state: { type: 'string' }, dir: { type: 'string' } },
    maxPositionals: 1,
    run: async (pos, v, io) => (await import('./commands/plan.js')).planCommand({ dir: str(v.dir) ?? pos[0], ref: str(v.ref), snapshot: str(v.snapshot), now: str(v.now), format: str(v.format), out: str(v.out), state: str(v.state), detailedExitcode: v['detailed-exitcode'] === true }, io),
  },
  apply: {
    options: { dir: { type: 'string' }, 'auto-approve': { type: 'boolean' }, concurrency: { type: 'string' }, state: { type: 'string' }, now: { type: 'string' } },
    maxPositionals: 1,
    run: async (pos, v, io) => (await import('./commands/apply.js')).applyCommand({ planFile: pos[0], dir: str(v.dir), autoApprove: v['auto-approve'] === true, concurrency: str(v.concurrency), state: str(v.state), now: str(v.now) }, io),
  },
  reconcile: {
    options: { dir: { type: 'string' }, interval: { type: 'string' }, mode: { type: 'string' }, state: { type: 'string' } },
    maxPositionals: 1,
    run: async (pos, v, io) => (await import('./commands/reconcile.js')).reconcileCommand({ dir: str(v.dir) ?? pos[0], interval: str(v.interval), mode: str(v.mode), state: str(v.state) }, io),
  },
  serve: {
    options: { dir: { type: 'string' }, interval: { type: 'string' }, mode: { type: 'string' }, listen: { type: 'string' }, 'git-pull': { type: 'string' }, lease: { type: 'string' }, 'usage-retention': { type: 'string' }, state: { type: 'string' } },
    maxPositionals: 1,
    run: async (pos, v, io) => (await import('./commands/serve.js')).serveCommand({ dir: str(v.dir) ?? pos[0], interval: str(v.interval), mode: str(v.mode), listen: str(v.listen), gitPull: str(v['git-pull']), lease: str(v.lease), usageRetention: str(v['usage-retention']), state: str(v.state) }, io),
  },
  status: {
    options: { dir: { type: 'string' }, format: { type: 'string' }, state: { type: 'string' }, now: { type: 'string' } },
    maxPositionals: 1,
    run: async (pos, v, io) => (await import('./commands/status.js')).statusCommand({ dir: str(v.dir) ?? pos[0], format: str(v.format), state: str(v.state), now: str(v.now) }, io),
  },
  explain: {
    options: { dir: { type: 'string' }, state: { type: 'string' } },
    maxPositionals: 1,
    run: async (pos, v, io) => (await import('./commands/explain.js')).explainCommand({ instance: need('explain', 'an INSTANCE', pos), dir: str(v.dir), state: str(v.state) }, io),
  },
  recommend: {
    options: { dir: { type: 'string' }, state: { type: 'string' }, window: { type: 'string' }, 'min-history': { type: 'string' }, 'cpu-percentile': { type: 'string' }, 'memory-percentile': { type: 'string' }, margin: { type: 'string' }, tolerance: { type: 'string' }, now: { type: 'string' }, format: { type: 'string' }, write: { type: 'boolean' }, 'detailed-exitcode': { type: 'boolean' } },
    maxPositionals: 1,
    run: async (pos, v, io) =>
      (await import('./commands/recommend.js')).recommendCommand({ dir: str(v.dir) ?? pos[0], state: str(v.state), window: str(v.window), minHistory: str(v['min-history']), cpuPercentile: str(v['cpu-percentile']), memoryPercentile: str(v['memory-percentile']), margin: str(v.margin), tolerance: str(v.tolerance), now: str(v.now), format: str(v.format), write: v.write === true, detailedExitcode: v['detailed-exitcode'] === true }, io),
  },
  forecast: {
    options: { file: { type: 'string' }, dir: { type: 'string' }, source: { type: 'string' }, series: { type: 'string' }, query: { type: 'string' }, horizon: { type: 'string' }, at: { type: 'string' }, format: { type: 'string' }, model: { type: 'string' }, level: { type: 'string' } },
    maxPositionals: 1,
    run: async (pos, v, io) => (await import('./commands/forecast.js')).forecastCommand({ dir: str(v.dir) ?? pos[0], file: str(v.file), source: str(v.source), series: str(v.series), query: str(v.query), horizon: str(v.horizon), at: str(v.at), format: str(v.format), model: str(v.model), level: str(v.level) }, io),
  },
  simulate: {
    options: { dir: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, step: { type: 'string' }, ref: { type: 'string' }, base: { type: 'string' }, 'node-startup': { type: 'string' }, snapshot: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, chart: { type: 'string' }, state: { type: 'string' } },
    maxPositionals: 1,
    run: async (pos, v, io) =>
      (await import('./commands/simulate.js')).simulateCommand({ dir: str(v.dir) ?? pos[0], from: str(v.from), to: str(v.to), step: str(v.step), ref: str(v.ref), base: str(v.base), nodeStartup: str(v['node-startup']), snapshot: str(v.snapshot), format: str(v.format), out: str(v.out), chart: str(v.chart), state: str(v.state) }, io),
  },
  pr: {
    options: { dir: { type: 'string' }, repo: { type: 'string' }, pr: { type: 'string' }, base: { type: 'string' }, head: { type: 'string' }, 'api-url': { type: 'string' }, event: { type: 'string' }, state: { type: 'string' }, snapshot: { type: 'string' }, now: { type: 'string' }, out: { type: 'string' }, approvals: { type: 'string' }, 'max-plan-age': { type: 'string' }, actor: { type: 'string' }, 'full-plan-url': { type: 'string' }, 'check-name': { type: 'string' }, concurrency: { type: 'string' }, 'replay-window': { type: 'string' } },
    maxPositionals: 1,
    run: async (pos, v, io) =>
      (await import('./commands/pr.js')).prCommand(pos[0], { dir: str(v.dir), repo: str(v.repo), pr: str(v.pr), base: str(v.base), head: str(v.head), apiUrl: str(v['api-url']), event: str(v.event), state: str(v.state), snapshot: str(v.snapshot), now: str(v.now), out: str(v.out), approvals: str(v.approvals), maxPlanAge: str(v['max-plan-age']), actor: str(v.actor), fullPlanUrl: str(v['full-plan-url']), checkName: str(v['check-name']), concurrency: str(v.concurrency), replayWindow: str(v['replay-window']) }, io),
  },
  'force-unlock': {
    options: { dir: { type: 'string' }, state: { type: 'string' } },
    maxPositionals: 1,
    run: async (pos, v, io) => (await import('./commands/unlock.js')).forceUnlockCommand({ id: need('force-unlock', 'a lock ID', pos), dir: str(v.dir), state: str(v.state) }, io),
  },
  validate: {
    options: { ref: { type: 'string' }, format: { type: 'string' }, dir: { type: 'string' } },
    maxPositionals: 1,
    run: async (pos, v, io) => (await import('./commands/validate.js')).validateCommand({ dir: (v.dir as string | undefined) ?? pos[0], ref: v.ref as string | undefined, format: v.format as string | undefined }, io),
  },
};

/** Run qm with argv (without node and script); returns the exit code. Never throws. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    const [name, ...rest] = argv.filter((a) => a !== '--debug');
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(USAGE);
      return name === undefined ? 1 : 0;
    }
    if (name === '--version' || name === '-v') {
      io.stdout.write(`qm ${VERSION}\n`);
      return 0;
    }
    const cmd = COMMANDS[name];
    if (!cmd) throw new QmError('usage', `'${name}' is not a qm command`, `commands: ${Object.keys(COMMANDS).join(', ')}; see qm --help`);
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    } catch (e) {
      throw new QmError('usage', `qm ${name}: ${(e as Error).message.replace(/\. To specify a positional.*$/s, '')}`, 'see qm --help');
    }
    if (parsed.values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    if (parsed.positionals.length > cmd.maxPositionals) throw new QmError('usage', `qm ${name} takes at most ${cmd.maxPositionals} argument${cmd.maxPositionals === 1 ? '' : 's'}, got ${parsed.positionals.join(' ')}`, 'see qm --help');
    return await cmd.run(parsed.positionals, parsed.values, io);
  } catch (e) {
    if (e instanceof QmError) {
      io.stderr.write(`qm: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
      if (debug && e.stack) io.stderr.write(e.stack + '\n');
      return 1;
    }
    const err = e as Error;
    io.stderr.write(`qm: unexpected error: ${err?.message ?? String(e)}\n`);
    io.stderr.write(debug ? `${err?.stack ?? ''}\n` : 'hint: run again with --debug for a stack trace, and report it\n');
    return 1;
  }
}
