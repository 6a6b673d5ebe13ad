/** JSON-lines logs on stderr: `{"time","level","msg",...fields}`, one object a line (SPEC §10). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
}

export function jsonLogger(out: { write(s: string): unknown }, clock: () => Date = () => new Date()): Logger {
  return {
    log(level, msg, fields = {}) {
      // time, level and msg first, and never overwritten by a field of the same name.
      const { time: _t, level: _l, msg: _m, ...rest } = fields;
      out.write(`${JSON.stringify({ time: clock().toISOString(), level, msg, ...rest })}\n`);
    },
  };
}
