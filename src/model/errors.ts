/**
 * The handful of error classes the product throws for I/O and usage failures (expected outcomes
 * are values, not exceptions). The CLI maps `code` to exit codes in one place.
 */
export type ErrorCode = 'usage' | 'io' | 'invalid' | 'state' | 'locked' | 'stale' | 'driver' | 'not-found';

export class QmError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  constructor(code: ErrorCode, message: string, hint?: string) {
    super(message);
    this.name = 'QmError';
    this.code = code;
    this.hint = hint;
  }
}
