/**
 * The engine's one hook for metrics: the facts (a driver call took 40 ms and failed, planning took
 * 1.2 s) are reported here, where they happen; `qm serve` installs a sink that turns them into
 * Prometheus metrics (src/serve/metrics.ts). Without a sink (every other command) it costs nothing.
 */
import type { Driver } from '../drivers/contract.js';

export interface TelemetrySink {
  /** One call of a driver: `observe` or `apply`, how long it took, whether it threw. */
  driverCall(driver: string, call: 'observe' | 'apply', seconds: number, ok: boolean): void;
  /** A phase of a reconcile run: planning (load, observe, schedule) or applying. */
  phase(phase: 'plan' | 'apply', seconds: number): void;
}

let sink: TelemetrySink | undefined;

/** Install (or with undefined remove) the process's sink. */
export function setTelemetry(s: TelemetrySink | undefined): void {
  sink = s;
}

export function telemetry(): TelemetrySink | undefined {
  return sink;
}

/** Time `body` as `phase` when a sink is installed; errors still count their time. */
export async function timed<T>(phase: 'plan' | 'apply', body: () => Promise<T>): Promise<T> {
  if (!sink) return body();
  const t = performance.now();
  try {
    return await body();
  } finally {
    sink?.phase(phase, (performance.now() - t) / 1000);
  }
}

/**
 * The driver with its observe and apply calls timed, when a sink is installed; the driver itself
 * otherwise. A Proxy keeps the driver's own prototype, fields and `this`.
 */
export function instrumentDriver(driver: Driver): Driver {
  if (!sink) return driver;
  return new Proxy(driver, {
    get(target, prop) {
      // Read on the driver itself (not the proxy), so getters and methods that use #private fields work.
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value === 'function' && prop !== 'observe' && prop !== 'apply') return (value as (...a: unknown[]) => unknown).bind(target);
      if (typeof value !== 'function') return value;
      const call = prop as 'observe' | 'apply';
      return async (...args: unknown[]) => {
        const t = performance.now();
        let ok = false;
        try {
          const r = (await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)) as unknown;
          ok = true;
          return r;
        } finally {
          sink?.driverCall(target.name, call, (performance.now() - t) / 1000, ok);
        }
      };
    },
  });
}
