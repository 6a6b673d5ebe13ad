/**
 * Files a command writes on request (`--out FILE`): failures become one sentence naming the path
 * and the reason, never an unexpected error.
 */
import { access, stat, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { QmError } from '../model/errors.js';

function outError(shown: string, reason: string, hint: string): QmError {
  return new QmError('io', `cannot write ${shown}: ${reason}`, hint);
}

/** What went wrong writing `shown` (the path as the user gave it), in words. */
function describe(e: NodeJS.ErrnoException, shown: string): QmError {
  const dir = path.dirname(shown);
  switch (e.code) {
    case 'ENOENT': return outError(shown, `the directory ${dir} does not exist`, `create it first (mkdir -p ${dir}), or give a path in an existing directory`);
    case 'ENOTDIR': return outError(shown, `${dir} is not a directory`, 'give a path in an existing directory');
    case 'EISDIR': return outError(shown, 'it is a directory', `give a file name, e.g. ${path.join(shown, 'plan.json')}`);
    case 'EACCES':
    case 'EPERM': return outError(shown, 'permission denied', 'write it to a directory you may write to');
    case 'EROFS': return outError(shown, 'the file system is read-only', 'write it to a writable directory');
    case 'ENOSPC': return outError(shown, 'no space left on the device', 'free some space, or write it elsewhere');
    default: return outError(shown, e.code ?? e.message, 'check the path');
  }
}

/**
 * Check before the work that `file` can be written: its directory exists and it is not a
 * directory itself. `shown` is the path as the user gave it.
 */
export async function checkOutFile(file: string, shown: string = file): Promise<void> {
  const st = await stat(file).catch(() => undefined);
  if (st?.isDirectory()) throw describe(Object.assign(new Error('EISDIR'), { code: 'EISDIR' }), shown);
  const dir = path.dirname(file);
  const dst = await stat(dir).catch((e: NodeJS.ErrnoException) => e);
  if (dst instanceof Error) throw describe(dst, shown);
  if (!dst.isDirectory()) throw describe(Object.assign(new Error('ENOTDIR'), { code: 'ENOTDIR' }), shown);
  try {
    await access(st ? file : dir, constants.W_OK);
  } catch (e) {
    throw describe(e as NodeJS.ErrnoException, shown);
  }
}

/** Write `text` to `file`; any failure is a QmError naming `shown` and the reason. */
export async function writeOutFile(file: string, text: string, shown: string = file): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (e) {
    throw describe(e as NodeJS.ErrnoException, shown);
  }
}
