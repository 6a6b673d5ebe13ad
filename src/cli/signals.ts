/**
 * SIGINT and SIGTERM while a command holds the apply lock. SIGTERM is what CI cancellation,
 * `docker stop` and Kubernetes send, so both mean the same: finish what is in flight, start
 * nothing new, record the apply, release the lock. The handlers stay installed until the lock is
 * released and the store closed (dispose() comes last), so no signal can kill the process in
 * between; a second signal exits at once, after saying what it leaves behind.
 */
import type { CliIo } from './io.js';

export interface Interruptible {
  readonly signal: AbortSignal;
  /** What a forced exit leaves behind (e.g. the lock id), for the message of a second signal. */
  leaves(what: string | undefined): void;
  dispose(): void;
}

const EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export function interruptible(io: CliIo, opts: { message?: string } = {}): Interruptible {
  const abort = new AbortController();
  let leftBehind: string | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (!abort.signal.aborted) {
      io.stderr.write(`\nqm: ${opts.message ?? `interrupted: finishing the actions in flight, starting no new ones (${sig})…`}\n`);
      abort.abort();
      return;
    }
    io.stderr.write(`\nqm: ${sig} again: exiting now${leftBehind ? `; ${leftBehind}` : ''}\n`);
    process.exit(EXIT_CODES[sig] ?? 1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: abort.signal,
    leaves(what) {
      leftBehind = what;
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
