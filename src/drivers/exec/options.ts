/**
 * The exec driver's settings: a Driver document's `spec.exec` (schemas/driver.schema.json). The
 * command is resolved against the policy repository root; `env` values may reference the
 * environment as `${env:NAME}`, resolved when the program starts (a missing one fails then, naming
 * the variable, never a value).
 */
import path from 'node:path';
import type { DriverDoc } from '../../model/documents.js';
import { parseDuration } from '../../model/quantity.js';
import { resolveEnvRefs } from '../docker/options.js';

export interface ExecOptions {
  /** The command as written in the Driver document, unresolved. */
  command: string[];
  /** How messages name the program: its path as written (with the script, after an interpreter). */
  display: string;
  /** Milliseconds a request may take (spec.exec.timeout, default 30s). */
  timeoutMs: number;
  /** spec.exec.env as written (values may hold `${env:NAME}`). */
  env: Record<string, string>;
  /** spec.exec.settings, handed to the program in `initialize`. */
  settings: Record<string, unknown>;
  /** Problems with the settings, reported by the first request (never while the plan is being made). */
  problems: string[];
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** Interpreters whose script, not themselves, names the program in messages. */
const INTERPRETER = /^(python[0-9.]*|node|deno|bun|ruby|perl|php|bash|sh|zsh|pwsh|uv|go)$/;

export function execOptions(doc: DriverDoc | undefined): ExecOptions {
  const raw = (doc?.spec.exec ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const command = Array.isArray(raw.command) ? raw.command.filter((x): x is string => typeof x === 'string') : [];
  if (command.length === 0 || !command[0]) problems.push('spec.exec.command is missing or empty: give the program and its arguments, one per item');
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (raw.timeout !== undefined) {
    const d = parseDuration(raw.timeout, 'spec.exec.timeout');
    if (d.ok && d.value > 0) timeoutMs = d.value * 1000;
    else problems.push(d.ok ? 'spec.exec.timeout must be more than 0s' : d.message);
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries((raw.env ?? {}) as Record<string, unknown>)) if (typeof v === 'string') env[k] = v;
  const settings = raw.settings && typeof raw.settings === 'object' && !Array.isArray(raw.settings) ? (raw.settings as Record<string, unknown>) : {};
  const first = command[0] ?? '';
  const display = INTERPRETER.test(path.basename(first)) && command[1] !== undefined ? `${first} ${command[1]}` : first || '(no command)';
  return { command, display, timeoutMs, env, settings, problems };
}

/** The program to start, relative paths resolved against the repository root (as a shell would, only names with a slash). */
export function resolveCommand(command: readonly string[], root: string): string[] {
  const [first, ...rest] = command;
  if (first === undefined) return [];
  const resolved = first.includes('/') && !path.isAbsolute(first) ? path.resolve(root, first) : first;
  return [resolved, ...rest];
}

/** The program's environment: qm's own plus spec.exec.env with references resolved; missing names are listed. */
export function programEnv(env: Record<string, string>, from: Readonly<Record<string, string | undefined>>): { env: Record<string, string>; missing: { key: string; name: string }[] } {
  const out: Record<string, string> = {};
  const missing: { key: string; name: string }[] = [];
  for (const [k, v] of Object.entries(env)) {
    const names: string[] = [];
    out[k] = resolveEnvRefs(v, from, names);
    for (const name of names) missing.push({ key: k, name });
  }
  return { env: out, missing };
}
