/** Containers started per engine over an apply: how many, over how long, and the rate. */
export interface EngineThroughput {
  address: string;
  started: number;
  /** From the beginning of the first action that started a container to the last start, in seconds. */
  seconds: number;
  perSecond: number;
}

export class Throughput {
  private since: number | undefined;
  private readonly per = new Map<string, { started: number; last: number }>();

  /** An action that may start containers begins now (the first call opens the window). */
  begin(): void {
    this.since ??= performance.now();
  }

  /** One container started on `address`, now. */
  record(address: string): void {
    const p = this.per.get(address) ?? { started: 0, last: 0 };
    p.started++;
    p.last = performance.now();
    this.per.set(address, p);
  }

  /** Per engine, sorted by address. */
  report(): EngineThroughput[] {
    return [...this.per.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([address, p]) => {
        const seconds = Math.max((p.last - (this.since ?? p.last)) / 1000, 0.001);
        return { address, started: p.started, seconds, perSecond: p.started / seconds };
      });
  }

  /** "started 12 containers: unix:///… 4 in 1.2s (3.3/s), …", or undefined when none started. */
  summary(): string | undefined {
    const r = this.report();
    if (!r.length) return undefined;
    const total = r.reduce((s, x) => s + x.started, 0);
    return `started ${total} container${total === 1 ? '' : 's'}: ${r.map((x) => `${x.address} ${x.started} in ${x.seconds.toFixed(1)}s (${x.perSecond.toFixed(1)}/s)`).join(', ')}`;
  }
}
