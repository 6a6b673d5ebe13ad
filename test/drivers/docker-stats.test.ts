/** The arithmetic of the docker driver's usage figures (stats.ts), on readings shaped as the Engine API returns them. */
import { describe, expect, it } from 'vitest';
import { cpuBetween, memoryInUse, usageFrom } from '../../src/drivers/docker/stats.js';

const reading = (read: string, cpuNs: number, systemNs: number, mem: Record<string, number> = {}, usage = 50_000_000) => ({
  read,
  cpu_stats: { cpu_usage: { total_usage: cpuNs }, system_cpu_usage: systemNs, online_cpus: 2 },
  memory_stats: { usage, stats: mem },
});

describe('docker usage from two one-shot stats readings', () => {
  it('CPU is CPU time over wall time between the readings, nanoseconds of the timestamps included', () => {
    // 0.25 s of CPU in 0.5 s = 500 millicores.
    expect(cpuBetween(reading('2026-12-06T12:00:00.100000000Z', 1e9, 0), reading('2026-12-06T12:00:00.600000000Z', 1.25e9, 0))).toBe(500);
    // 1 ms of CPU in 2 µs-precise 10 ms: sub-millisecond digits count.
    expect(cpuBetween(reading('2026-12-06T12:00:00.000500000Z', 0, 0), reading('2026-12-06T12:00:00.010500000Z', 1e6, 0))).toBe(100);
  });

  it('falls back to the host CPU time per CPU when the timestamps do not move, and gives up on a counter that went back', () => {
    // Host CPU time 2 s over 2 CPUs = 1 s of wall time; 0.5 s of CPU → 500m.
    expect(cpuBetween(reading('bad', 0, 10e9), reading('bad', 0.5e9, 12e9))).toBe(500);
    expect(cpuBetween(reading('2026-12-06T12:00:00Z', 2e9, 0), reading('2026-12-06T12:00:01Z', 1e9, 0))).toBeUndefined();
  });

  it('memory is usage minus the inactive file cache (cgroup v2 inactive_file, v1 total_inactive_file, older cache)', () => {
    expect(memoryInUse({ usage: 100, stats: { inactive_file: 30 } })).toBe(70);
    expect(memoryInUse({ usage: 100, stats: { total_inactive_file: 40 } })).toBe(60);
    expect(memoryInUse({ usage: 100, stats: { cache: 10 } })).toBe(90);
    // A cache figure above the usage (seen on some kernels) is ignored, as docker stats does.
    expect(memoryInUse({ usage: 100, stats: { inactive_file: 200 } })).toBe(100);
    expect(memoryInUse({})).toBeUndefined();
  });

  it("usage carries the second reading's time (UTC, whole seconds) and only the measured keys", () => {
    const u = usageFrom(reading('2026-12-06T12:00:00.5Z', 0, 0), reading('2026-12-06T12:00:01.5Z', 2e8, 0, { inactive_file: 10_000_000 }));
    expect(u).toEqual({ at: '2026-12-06T12:00:01Z', use: { cpuMillis: 200, memoryBytes: 40_000_000 } });
    expect(usageFrom({}, {})).toBeUndefined();
  });
});
