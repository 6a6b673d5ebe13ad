/** The messages between the main thread and the HTTP worker of `qm serve` (http.ts, http-worker.ts). */

export interface WorkerConfig {
  host: string;
  port: number;
  /** How long /metrics waits for a fresh exposition before it serves the last one. */
  metricsWaitMs: number;
  /** How long any request waits for the main thread before a 503. */
  answerTimeoutMs: number;
}

export type FromWorker =
  | { type: 'listening'; address: string }
  | { type: 'listen-error'; code: string; message: string }
  | { type: 'request'; id: number; path: '/healthz' | '/readyz' | '/metrics' };

export type ToWorker =
  | { type: 'answer'; id: number; status: number; body: string; contentType: string }
  | { type: 'close' };
