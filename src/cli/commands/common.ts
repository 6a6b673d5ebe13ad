/** Helpers shared by the commands: directories, clocks, the state store, policy errors. */
import path from 'node:path';
import { QmError } from '../../model/errors.js';
import type { CliIo } from '../io.js';
import { InvalidPolicyError, InvalidSnapshotError } from '../../engine/plan.js';
import { paletteFor } from '../../render/color.js';
import { renderText } from '../../render/diagnostics/text.js';

export function policyDir(io: CliIo, dir: string | undefined): string {
  return path.resolve(io.cwd, dir ?? '.');
}

/** `--now` (ISO 8601) or the wall clock, to the second. */
export function clock(now: string | undefined): () => string {
  if (now !== undefined) {
    const t = Date.parse(now);
    if (Number.isNaN(t)) throw new QmError('usage', `--now '${now}' is not a time`, 'write ISO 8601, e.g. 2026-11-28T10:00:00Z');
    const iso = new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return () => iso;
  }
  return () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Print the diagnostics of an invalid policy the way qm validate does, on stderr. */
export function printPolicyErrors(e: InvalidPolicyError, io: CliIo): void {
  const sources = new Map(e.loaded.files.map((f) => [f.path, f.text]));
  io.stderr.write(renderText(e.diagnostics, sources, paletteFor(io.stderr, io.env), e.loaded.files.length, e.loaded.documentCount));
}

/** Print every problem of a snapshot file the way qm validate does, on stderr. */
export function printSnapshotErrors(e: InvalidSnapshotError, io: CliIo): void {
  io.stderr.write(renderText(e.diagnostics, e.sources, paletteFor(io.stderr, io.env), 1, 1));
}

/** Run a command body; an invalid policy or snapshot prints its diagnostics and becomes exit 1. */
export async function withPolicyErrors(io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof InvalidPolicyError) {
      printPolicyErrors(e, io);
      io.stderr.write(`qm: ${e.message}\n`);
      return 1;
    }
    if (e instanceof InvalidSnapshotError) {
      printSnapshotErrors(e, io);
      const n = e.diagnostics.length;
      io.stderr.write(`qm: the snapshot ${e.file} has ${n} problem${n === 1 ? '' : 's'}; nothing was planned\n`);
      return 1;
    }
    throw e;
  }
}
