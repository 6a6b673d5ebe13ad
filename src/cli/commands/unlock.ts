/** `qm force-unlock ID [--dir DIR] [--state LOC]`: release a lock whose holder died. */
import { QmError } from '../../model/errors.js';
import { openEnginePort } from '../../engine/store-port.js';
import type { CliIo } from '../io.js';
import { policyDir } from './common.js';

export async function forceUnlockCommand(args: { id: string; dir?: string | undefined; state?: string | undefined }, io: CliIo): Promise<number> {
  const store = await openEnginePort(policyDir(io, args.dir), args.state, io.env);
  try {
    const released = await store.forceUnlock(args.id);
    if (!released) throw new QmError('not-found', `no lock with id ${args.id} is held`, 'qm status lists the locks in the store with their ids; this one may have expired and been taken over, or been released');
    io.stdout.write(`Released lock ${released.id} (${released.name}) held by ${released.holder} since ${released.acquiredAt}.\n`);
    return 0;
  } finally {
    await store.close();
  }
}
